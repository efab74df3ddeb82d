"""Where does it hurt? in headless Chromium: from a click on the skin to the ranked causes in the page,
for each geometry set built here (mskt always, spl once built).

Run: ``.venv/bin/python benchmarks/pain_map_in_browser.py [--geometry NAME] [--clicks N]`` (needs
/usr/bin/chromium and Playwright). It starts ``knee-explorer serve`` in a separate process, opens the
explorer in the learning mode (``?hurt=...``) with the camera behind, outside and inside the knee in turn,
and clicks (by default 24 times, the same spots every run) points of the skin spread over the back and
sides of the thigh, knee and calf, ordered so that each click lands in other regions than the one before.
Each spot is clicked twice, on fresh pages: once after the pointer rested 1.5 s over it (the view names
what is under a resting pointer, so the off-screen picture of structure ids it reads a click from is
drawn by then), once coming straight from the side panel after 1.5 s there (the click must draw that
picture first). For each it prints:

- click to causes, p50 and p95 (aim: p95 under 150 ms in headless Chromium), measured in the page from
  the mouse release on the canvas to the mode's status line naming the new point's regions (the ranked
  cause cards come with it, in the same HTML);
- where that time goes, medians and p95s: the browser's pick (release to the websocket message), the
  server and the network (message sent to the last websocket frame received before the causes are
  shown), and the page (that frame to the causes shown); with the frames and bytes received meanwhile.

Then the server's Python for one click, in this process and without Bokeh: the mode's ``take_click``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

from app_in_browser import ARGS, TIMEOUT_MS, start_server

EYE_DISTANCE_MM = 540.9
VIEW_ANGLE_DEG = 30.0
#: The sides the camera looks from, as angles round the leg (0 front, 90 outer side, 180 back, 270 inner).
SIDES = {"behind": 180.0, "outside": 90.0, "inside": 270.0}
SETTLE_S = 1.5
#: The region the pages open on (``hurt=``); no spot clicked lies in it, so each click changes the answer.
OPENING_REGION = "anterior_knee"
#: What is recorded of each click: its time, and the pick's, the server's and the page's shares of it (ms),
#: and the websocket frames and bytes received meanwhile.
KEYS = ("total", "pick", "server", "page", "frames", "bytes")

# Records each websocket frame sent and received (time, bytes), a received one before Bokeh handles it, and
# the last mouse release on the page.
_HOOKS = """
(() => {
  window.__frames = { sent: [], received: [] };
  window.addEventListener('pointerup', () => { window.__releasedAt = performance.now(); }, true);
  const size = (data) => typeof data === 'string' ? data.length : (data.byteLength ?? data.size ?? 0);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => window.__frames.received.push([performance.now(), size(event.data)]));
    }
  };
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    window.__frames.sent.push([performance.now(), size(data)]);
    return send.call(this, data);
  };
})();
"""

# Resolves, once the mode's status line differs from `before`, with its text and the times (ms since the
# page's origin) of the release and of that change. Watches the shadow root holding the mode's result.
_WATCH_CAUSES = """
(before) => new Promise((resolve) => {
  const find = (root) => {
    if (root.querySelector('p.pain-disclaimer, p.pain-source')) return root;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
    }
    return null;
  };
  const root = find(document);
  const check = () => {
    const status = root && root.querySelector('p[role=status]');
    if (status && status.textContent !== before) {
      observer.disconnect();
      clearTimeout(timer);
      resolve([status.textContent, root.querySelectorAll('.pain-cause').length, window.__releasedAt,
               performance.now()]);
    }
  };
  const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, 10000);
  const observer = new MutationObserver(check);
  observer.observe(root || document, { subtree: true, childList: true, characterData: true });
  check();
})
"""


@contextlib.contextmanager
def served(geometry: str) -> Iterator[str]:
    """``knee-explorer serve`` with one geometry set, in a separate process; yields its URL once it answers."""
    server, url = start_server(geometry)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def camera(angle_deg: float) -> dict[str, list[float]]:
    """The camera looking at the joint centre from ``angle_deg`` round the leg, at the default distance."""
    turn = math.radians(angle_deg)
    return {"position": [EYE_DISTANCE_MM * math.sin(turn), EYE_DISTANCE_MM * math.cos(turn), 0.0],
            "focalPoint": [0.0, 0.0, 0.0], "viewUp": [0.0, 0.0, 1.0]}


def cam_query(view: dict[str, list[float]]) -> str:
    """The link's ``cam`` argument for a camera."""
    return "cam=" + ",".join(f"{v:.2f}" for key in ("position", "focalPoint", "viewUp") for v in view[key])


def project(point, view: dict[str, list[float]], box: dict[str, float]) -> tuple[float, float]:
    """Where a world point (mm) appears on the page for ``view``, the canvas being at ``box``."""
    position, focal, up = (np.asarray(view[key], float) for key in ("position", "focalPoint", "viewUp"))
    forward = (focal - position) / np.linalg.norm(focal - position)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    relative = np.asarray(point, float) - position
    scale = (relative @ forward) * math.tan(math.radians(VIEW_ANGLE_DEG / 2))
    x = (relative @ right) / (scale * box["width"] / box["height"])
    y = (relative @ np.cross(right, forward)) / scale
    return box["x"] + (1 + x) * box["width"] / 2, box["y"] + (1 - y) * box["height"] / 2


def spots(atlas, side: float, count: int, seed: int) -> list[tuple[np.ndarray, tuple[str, ...]]]:
    """Points of the skin facing the camera at ``side``, -110 to +110 mm high, each with the regions a click
    there falls in (the same 6 mm and 4 degrees around it, and not the front of the knee the page opens on),
    in the order drawn, each left waiting while its regions are the previous one's."""
    from explorer.pain_map import point_from_ray, regions_at

    generator, eye, shown = np.random.default_rng(seed), np.asarray(camera(side)["position"]), list(atlas.structures)

    def landed(height: float, angle: float) -> tuple[str, ...]:
        target = atlas.pain_regions.surface_point(height, angle)
        direction = (target - eye) / np.linalg.norm(target - eye)
        return tuple(r.id for r in regions_at(atlas, point_from_ray(atlas, (*eye, *direction), shown)))

    pool, ordered = [], []
    while len(ordered) < count:
        unlike = [index for index, spot in enumerate(pool) if not ordered or spot[1] != ordered[-1][1]]
        if unlike:
            ordered.append(pool.pop(unlike[0]))
            continue
        height, angle = generator.uniform(-110.0, 110.0), side + generator.uniform(-45.0, 45.0)
        regions = {landed(height + dh, angle + da) for dh, da in ((0, 0), (-6, 0), (6, 0), (0, -4), (0, 4))}
        if len(regions) == 1 and next(iter(regions)) not in ((), (OPENING_REGION,)):
            pool.append((atlas.pain_regions.surface_point(height, angle), regions.pop()))
    return ordered


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def server_python_ms(atlas, clicks: list[tuple[float, ...]]) -> list[float]:
    """The mode's ``take_click`` for each ray, timed in this process on one app (no Bokeh server), after one
    click not counted."""
    from explorer.app.explorer import KneeExplorerApp
    from explorer.app.pain_map import PainMapMode
    from explorer.pain_map import prepare

    prepare(atlas)
    app = KneeExplorerApp(atlas=atlas)
    mode = next(m for m in app.modes if isinstance(m, PainMapMode))
    mode.switch(True)
    times = []
    for ray in clicks[:1] + clicks:  # the first one warms the caches of the cards' texts
        app.canvas.last_ray = ray
        started = time.perf_counter()
        mode.take_click("")
        times.append(1000 * (time.perf_counter() - started))
    return times[1:]


def click_times(page, plan: list, view: dict, away: tuple[float, float] | None) -> tuple[dict[str, list[float]], int]:
    """Click each spot of ``plan`` in turn, the pointer waiting :data:`SETTLE_S` before each click over the spot
    or, when given, at ``away`` off the view; returns the times of each click (ms) and the clicks the page did
    not answer."""
    box = page.locator(".knee-canvas canvas").first.bounding_box()
    before = page.evaluate(f"() => ({_WATCH_CAUSES})('').then((r) => r[0])")
    times, missed = {key: [] for key in KEYS}, 0
    for target, _ in plan:
        page.mouse.move(*(away or project(target, view, box)))
        time.sleep(SETTLE_S)
        page.evaluate(f"(before) => {{ window.__frames.sent.length = 0; window.__frames.received.length = 0;"
                      f" window.__result = ({_WATCH_CAUSES})(before); }}", before)
        page.mouse.click(*project(target, view, box))
        result = page.evaluate("() => window.__result")
        if result is None:
            missed += 1
            continue
        before, _, released, shown = result
        frames = page.evaluate("() => window.__frames")
        sent = next(t for t, _ in frames["sent"] if t >= released)
        back = [(t, n) for t, n in frames["received"] if sent <= t <= shown]
        last = max((t for t, _ in back), default=sent)
        for key, value in zip(KEYS, (shown - released, sent - released, last - sent, shown - last, len(back),
                                     sum(n for _, n in back))):
            times[key].append(value)
    return times, missed


def measure(geometry: str, clicks: int) -> list[str]:
    """The figures for the learning mode served with one geometry set, as printed lines."""
    from playwright.sync_api import sync_playwright

    from explorer import load_atlas

    atlas = load_atlas(geometry=geometry)
    per_side = math.ceil(clicks / len(SIDES))
    plan = {name: spots(atlas, side, per_side, seed=index) for index, (name, side) in enumerate(SIDES.items())}
    passes = {"pointer resting on the view": None, "pointer coming from the side panel": (1270.0, 790.0)}
    found = {label: {key: [] for key in KEYS} for label in passes}
    missed = dict.fromkeys(passes, 0)
    with served(geometry) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)

        def opened(side: float):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(_HOOKS)
            page.goto(f"{url}?hurt={OPENING_REGION}&{cam_query(camera(side))}")
            page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            page.wait_for_selector(".pain-cause", state="attached", timeout=TIMEOUT_MS)
            return page

        warm = opened(SIDES["behind"])  # the server's first session pays for imports, caches and the ray index
        click_times(warm, plan["behind"][:1], camera(SIDES["behind"]), None)
        warm.close()
        for name, side in SIDES.items():
            for label, away in passes.items():
                page = opened(side)
                times, unanswered = click_times(page, plan[name], camera(side), away)
                page.close()
                missed[label] += unanswered
                for key, values in times.items():
                    found[label][key].extend(values)
        browser.close()
    lines = [f"{per_side} spots from each of {', '.join(SIDES)}, clicked {SETTLE_S:.1f} s after the previous answer"]
    rays = []
    for name, side in SIDES.items():
        eye = np.asarray(camera(side)["position"])
        rays += [(*eye, *((target - eye) / np.linalg.norm(target - eye))) for target, _ in plan[name]]
    for label, times in found.items():
        total = times["total"]
        lines += [f"{label}: {len(total)} clicks"
                  + (f", {missed[label]} not answered in 10 s (left out)" if missed[label] else ""),
                  f"  click to causes, p50 / p95:  {statistics.median(total):6.0f} / {percentile(total, 0.95):.0f} ms "
                  f"(aim p95 < 150 ms; max {max(total):.0f} ms)",
                  f"  medians: browser pick {statistics.median(times['pick']):.1f} ms (release to websocket send), "
                  f"server and network {statistics.median(times['server']):.1f} ms (send to last frame before the "
                  f"causes), page {statistics.median(times['page']):.1f} ms (that frame to the causes shown)",
                  f"  p95s:    browser pick {percentile(times['pick'], 0.95):.1f} ms, server and network "
                  f"{percentile(times['server'], 0.95):.1f} ms, page {percentile(times['page'], 0.95):.1f} ms; "
                  f"{statistics.median(times['frames']):.0f} frames, {statistics.median(times['bytes']) / 1000:.1f} kB "
                  f"back before the causes show (median)"]
    python = server_python_ms(atlas, rays)
    lines.append(f"server Python per click (take_click in this process, no Bokeh), p50 / p95: "
                 f"{statistics.median(python):.1f} / {percentile(python, 0.95):.1f} ms")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--geometry", action="append", help="geometry set (repeatable; default: mskt, and spl if built)")
    parser.add_argument("--clicks", type=int, default=24, help="clicks measured (at least 20 for the aim)")
    arguments = parser.parse_args()
    from explorer.geometry import geometry_set

    for name in arguments.geometry or ["mskt", "spl"]:
        if not geometry_set(name).present():
            print(f"geometry {name}: not built here, skipped")
            continue
        print(f"geometry {name}:")
        for line in measure(name, arguments.clicks):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
