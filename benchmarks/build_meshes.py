"""Print how long each geometry set's mesh build takes on this machine.

Figures, not assertions: run this file with the project's Python where the source data is present
(``KNEE_EXPLORER_SHARED`` or ``KNEE_EXPLORER_DATA``). Each set is built into a temporary folder, one
after the other, so that the two do not share the cores. The issue's figure for the ``spl`` set is
under five minutes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from explorer.build import meshes
from explorer.build.sources import default_data_dir
from explorer.build.spl import build_spl


def timed(build) -> float:
    started = time.monotonic()
    build()
    return time.monotonic() - started


def main() -> None:
    data = default_data_dir()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        quiet = lambda line: None  # noqa: E731
        seconds = {
            "mskt": timed(lambda: meshes.build_meshes(data, out / "mskt", log=quiet)),
            "spl": timed(lambda: build_spl(data / "spl-knee-atlas", data, out / "spl" / "v1", log=quiet)),
        }
    for name, value in seconds.items():
        print(f"build-meshes --geometry {name}: {value:6.1f} s")


if __name__ == "__main__":
    main()
