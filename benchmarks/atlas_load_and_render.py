"""Print how fast the atlas loads and how long a cold process takes to render the full scene.

Figures, not assertions: run ``make benchmark`` (or this file with the project's Python).

- cold render: wall time from ``python -c`` to a written 1600x1200 PNG of the full default scene;
- load: ``load_atlas()`` (parse, validate, checksum and decode every mesh) beside just reading
  the mesh files' bytes, as a ratio, which cancels most of the machine's noise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from explorer.atlas import default_root, load_atlas

COLD_RUNS = 3
LOAD_RUNS = 15


def cold_render_seconds(output: Path) -> float:
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    code = f"from explorer.cli import main; main(['render', {str(output)!r}])"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def read_bytes_seconds(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted((root / "meshes").glob("*.ply")):
        path.read_bytes()
    return time.perf_counter() - start


def load_seconds(root: Path) -> float:
    start = time.perf_counter()
    load_atlas(root)
    return time.perf_counter() - start


def main() -> None:
    root = default_root()
    with tempfile.TemporaryDirectory() as tmp:
        cold = [cold_render_seconds(Path(tmp) / f"scene{i}.png") for i in range(COLD_RUNS)]
    load_seconds(root)  # first call pays for importing pyvista; not part of the load
    loads = [load_seconds(root) for _ in range(LOAD_RUNS)]
    reads = [read_bytes_seconds(root) for _ in range(LOAD_RUNS)]
    atlas = load_atlas(root)
    mesh_bytes = sum(p.stat().st_size for p in (root / "meshes").glob("*.ply"))
    print(f"scene: {len(atlas.structures)} structures, {atlas.triangle_count} triangles, {mesh_bytes / 1e6:.2f} MB of meshes")
    print(f"cold process to full-scene PNG (1600x1200): median {statistics.median(cold):.2f} s "
          f"(min {min(cold):.2f}, max {max(cold):.2f}, {COLD_RUNS} runs; aim < 3 s)")
    load, read = statistics.median(loads), statistics.median(reads)
    print(f"load_atlas(): median {load * 1000:.1f} ms; raw read of the mesh files: median {read * 1000:.2f} ms; "
          f"ratio {load / read:.1f}x (aim <= 3x)")


if __name__ == "__main__":
    main()
