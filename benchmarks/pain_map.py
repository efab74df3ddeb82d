"""Where does it hurt? in Python: from a click's ray to the ranked causes and the structures beneath.

Run: ``.venv/bin/python benchmarks/pain_map.py [--geometry NAME]``. It prints, for 50 clicks from
behind and from the sides aimed at points round the knee, thigh and calf (the same points every run):

- the one-off cost of the first click in a process (the ray-casting index of every mesh is built then);
- the click-to-causes time, median and 95th percentile: ``point_from_ray`` on the default view,
  then ``causes_at`` (aim: median under 50 ms);
- the same with ``structures_beneath`` added, which is what the learning mode shows.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from explorer import load_atlas
from explorer.pain_map import causes_at, point_from_ray, structures_beneath

CLICKS = 50
EYE_DISTANCE_MM = 540.9


def rays(atlas, count: int = CLICKS) -> list[tuple[float, ...]]:
    """Rays from an eye outside the leg through points spread over the back and sides, -200 to +200 mm high."""
    generator = np.random.default_rng(7)
    found = []
    for _ in range(count):
        height, angle = generator.uniform(-200.0, 200.0), generator.uniform(60.0, 300.0)
        target = atlas.pain_regions.surface_point(height, angle)
        turn = math.radians(angle)
        eye = np.array([EYE_DISTANCE_MM * math.sin(turn), EYE_DISTANCE_MM * math.cos(turn), 0.0])
        direction = (target - eye) / np.linalg.norm(target - eye)
        found.append((*eye, *direction))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--geometry", default=None, help="geometry set (default: as load_atlas chooses)")
    atlas = load_atlas(geometry=parser.parse_args().geometry)
    clicks = rays(atlas)
    started = time.perf_counter()
    causes_at(atlas, point_from_ray(atlas, clicks[0]))
    first = time.perf_counter() - started
    causes_ms, full_ms = [], []
    for ray in clicks:
        started = time.perf_counter()
        point = point_from_ray(atlas, ray)
        causes_at(atlas, point)
        causes_ms.append(1000 * (time.perf_counter() - started))
        structures_beneath(atlas, point)
        full_ms.append(1000 * (time.perf_counter() - started))
    print(f"geometry {atlas.geometry.name}: {CLICKS} clicks")
    print(f"first click in the process (builds the ray index): {first * 1000:.0f} ms")
    for label, times in (("click to ranked causes", causes_ms), ("... and structures beneath", full_ms)):
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms (aim: median under 50 ms)")


if __name__ == "__main__":
    main()
