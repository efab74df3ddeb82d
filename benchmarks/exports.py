"""Print the time and size of each export of the full default scene.

Figures, not assertions: run ``make benchmark`` (or this file with the project's Python).
The atlas is loaded once beforehand; each export's time includes building its scene. Aims:
PNG 1920x1080 under 3 s, GLB under 1 s, HTML under 5 s.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

RUNS = 3


def main() -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from explorer import export, load_atlas

    atlas = load_atlas()
    view = {"labels": True, "title": "The right knee"}
    jobs = [
        ("PNG 1920x1080, labelled", "knee.png", lambda p: export.png(view, p, size=(1920, 1080), atlas=atlas, force=True), 3.0),
        ("PNG 3840x2160, labelled", "knee4k.png", lambda p: export.png(view, p, size=(3840, 2160), atlas=atlas, force=True), None),
        ("GLB", "knee.glb", lambda p: export.glb(view, p, atlas=atlas, force=True), 1.0),
        ("HTML", "knee.html", lambda p: export.html(view, p, atlas=atlas, force=True), 5.0),
        ("GIF orbit 640x480, 72 frames", "knee.gif", lambda p: export.gif(view, p, atlas=atlas, force=True), None),
        ("MP4 orbit 640x480, 72 frames", "knee.mp4", lambda p: export.mp4(view, p, atlas=atlas, force=True), None),
    ]
    print(f"{'export':32s} {'time (median)':>14s} {'size':>10s}  aim")
    with tempfile.TemporaryDirectory() as folder:
        for name, filename, run, aim in jobs:
            path = Path(folder) / filename
            runs = RUNS if aim is not None else 1
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                run(path)
                times.append(time.perf_counter() - start)
            seconds = statistics.median(times)
            verdict = "" if aim is None else f"< {aim:g} s: {'met' if seconds < aim else 'MISSED'}"
            print(f"{name:32s} {seconds:12.2f} s {path.stat().st_size / 1e6:8.2f} MB  {verdict}", flush=True)


if __name__ == "__main__":
    main()
