"""The skin in the browser explorer: what it adds to the download, and a click on it in *Where does it hurt?*.

Run: ``.venv/bin/python benchmarks/skin_in_browser.py`` (needs /usr/bin/chromium and Playwright). For each
geometry set built here it prints:

- the bytes the skin adds to the mesh block the browser downloads (aim: under 0.5 MB), gzip-compressed as
  the server sends it and raw: the block packed with and without the skin, the skin's manifest entry, and
  the served block's size checked against the packed one;
- the time from a click on the skin to the ranked causes, p50 and p95 over 21 clicks from behind on the
  back and sides of the knee, thigh and calf (aim: p95 under 150 ms in headless Chromium): from the mouse
  release to the pain map's summary changing in the page (its causes come in the same message), and to
  the frame drawn after it. Successive clicks land in different regions, so each changes the summary.
  Without a GPU, Chromium draws WebGL in software and reads every frame back for its compositor.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import math
import statistics
import sys
import urllib.request

import numpy as np

from app_in_browser import ARGS, TIMEOUT_MS, start_server

CLICKS = 21
#: The camera from behind, far enough to see from mid-thigh to mid-calf.
EYE = np.array([0.0, -760.0, 0.0])
CAMERA = "cam=0,-760,0,0,0,0,0,0,1"
#: Regions a click from behind can reach, in the order clicks visit them.
REGIONS = ["medial_popliteal_fossa", "posterior_thigh", "lateral_popliteal_fossa", "posterior_calf",
           "central_popliteal_fossa", "medial_calf", "lateral_calf"]

# Polls (every 5 ms) until the pain map's summary differs from `before`; once the frame showing it is drawn,
# resolves with it and the times since the last mouse release on the page to the change and to that frame.
_WATCH_SUMMARY = """
(before) => new Promise((resolve) => {
  const find = (root) => {
    const hit = root.querySelector('.pain-map p[role=status], p[role=status]');
    if (hit && hit.closest && hit.textContent.includes('cause')) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
    }
    return null;
  };
  const timer = setInterval(() => {
    const status = find(document);
    if (status && status.textContent !== before) {
      clearInterval(timer);
      // Then the frame that shows it: the next animation frame, and the task after its paint.
      const inPage = performance.now() - window.__releasedAt;
      requestAnimationFrame(() => setTimeout(() => resolve([status.textContent, inPage,
                                                             performance.now() - window.__releasedAt]), 0));
    }
  }, 5);
})
"""


def skin_bytes(atlas):
    """What the skin adds to the browser's download, as printed lines, and the packed block with the skin."""
    from explorer.app.meshdata import pack_meshes

    with_skin = pack_meshes(atlas)
    without = pack_meshes(dataclasses.replace(atlas, structures={sid: s for sid, s in atlas.structures.items()
                                                                 if sid != "skin"}))
    entry = next(e for e in with_skin.manifest if e["id"] == "skin")
    manifest_bytes = len(json.dumps(entry, separators=(",", ":")))
    added = len(with_skin.compressed) - len(without.compressed) + manifest_bytes
    return [f"mesh block, gzip: {len(with_skin.compressed):,} B with the skin, {len(without.compressed):,} B without; "
            f"raw {len(with_skin.payload):,} / {len(without.payload):,} B",
            f"skin: {entry['vertices']:,} vertices, {entry['triangles']:,} triangles; manifest entry {manifest_bytes} B",
            f"added by the skin:                {added / 1e6:6.3f} MB (aim < 0.5 MB)"], with_skin


def _targets(atlas, box, count: int) -> list[tuple[float, float]]:
    """Page positions of points on the skin, each in the next region of REGIONS, seen from EYE."""
    generator = np.random.default_rng(11)
    regions = atlas.pain_regions
    found = []
    while len(found) < count:
        region = regions.regions[REGIONS[len(found) % len(REGIONS)]]
        low, high = region.height_mm
        start, end = region.sector_deg
        height = generator.uniform(max(low, -170.0) + 10, min(high, 170.0) - 10)
        angle = (start + generator.uniform(0.2, 0.8) * ((end - start) % 360.0)) % 360.0
        if not 110.0 <= angle <= 250.0:  # the far sides are not in sight from behind
            continue
        point = regions.surface_point(height, angle) - 6.0 * np.array([math.sin(math.radians(angle)),
                                                                      math.cos(math.radians(angle)), 0.0])
        found.append(_project(point, box))
    return found


def _project(point, box) -> tuple[float, float]:
    """Page position of a world point for the camera from behind (30 degree view angle, up +z)."""
    forward, up = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    right = np.cross(forward, up)
    relative = np.asarray(point) - EYE
    scale = (relative @ forward) * math.tan(math.radians(15))
    x = (relative @ right) / (scale * box["width"] / box["height"])
    y = (relative @ up) / scale
    return box["x"] + (1 + x) * box["width"] / 2, box["y"] + (1 - y) * box["height"] / 2


def measure(geometry: str) -> list[str]:
    """The figures for one geometry set, as printed lines."""
    from playwright.sync_api import sync_playwright

    from explorer import load_atlas
    from explorer.app.server import MESH_ROUTE

    atlas = load_atlas(geometry=geometry)
    lines, packed = skin_bytes(atlas)
    server, url = start_server(geometry)
    try:
        request = urllib.request.Request(url + MESH_ROUTE.lstrip("/"), headers={"Accept-Encoding": "gzip"})
        served = urllib.request.urlopen(request, timeout=60).read()
        same = "the same bytes" if served == packed.compressed and gzip.decompress(served) == packed.payload else "DIFFERENT"
        lines.append(f"served block: {len(served):,} B gzip, {same} as packed here")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}?{CAMERA}")
            page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Learn").click()
            page.get_by_role("checkbox", name="Take a point: a click on the 3D view marks where it hurts").check()
            page.evaluate("() => window.addEventListener('pointerup', () => { window.__releasedAt = performance.now(); }, true)")
            box = page.locator(".knee-canvas canvas").first.bounding_box()
            in_page, drawn, before = [], [], ""
            for x, y in _targets(atlas, box, CLICKS + 1):  # the first click warms up
                page.evaluate(f"(before) => {{ window.__summary = ({_WATCH_SUMMARY})(before); }}", before)
                page.mouse.click(x, y)
                before, changed, shown = page.evaluate("() => window.__summary")
                in_page.append(changed)
                drawn.append(shown)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    for label, times in (("in the page", in_page), ("drawn", drawn)):
        lines.append(f"click on the skin to ranked causes {label}, p50 / p95 ({CLICKS} clicks): "
                     f"{_p50_p95(times[1:])} ms (aim p95 < 150 ms)")
    return lines


def _p50_p95(times: list[float]) -> str:
    times = sorted(times)
    return f"{statistics.median(times):.0f} / {times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]:.0f}"


def main() -> int:
    from explorer.geometry import geometry_set

    for name in ("mskt", "spl"):
        if not geometry_set(name).present():
            print(f"geometry {name}: not built here, skipped")
            continue
        print(f"geometry {name}:")
        for line in measure(name):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
