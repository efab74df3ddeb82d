"""The browser explorer in headless Chromium: first frame, bytes, click-to-info, memory per session,
for each geometry set built here (mskt always, spl once built).

Run: ``.venv/bin/python benchmarks/app_in_browser.py`` (needs /usr/bin/chromium and Playwright).
It starts ``knee-explorer serve`` in a separate process and prints:

- navigation to the first rendered frame of the 3D view (aim: under 3 s);
- bytes sent to the browser for the default scene, over HTTP and the websocket (aim: under 3 MB);
- click-to-info time, p50 and p95 over 20 clicks on the canvas (aim: p95 under 150 ms),
  from the mouse release to the structure's name being in the information panel;
- growth of the server's resident memory per added browser session, over 10 sessions (aim: under 30 MB).
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CAMERA = "cam=0,540.9,0,0,0,0,0,0,1"
TIMEOUT_MS = 180_000

# Polls (every 5 ms) until the info panel's heading differs from `before`; resolves with the time
# since the last mouse release on the page.
_WATCH_INFO = """
(before) => new Promise((resolve) => {
  const find = (root) => {
    const hit = root.querySelector('h2.info-name');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
    }
    return null;
  };
  const timer = setInterval(() => {
    const heading = find(document);
    if (heading && heading.textContent !== before) {
      clearInterval(timer);
      resolve([heading.textContent, performance.now() - window.__releasedAt]);
    }
  }, 5);
})
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def start_server(geometry: str) -> tuple[subprocess.Popen, str]:
    """``knee-explorer serve`` for one geometry set in its own process, once it answers: the process and its URL."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "explorer.cli", "--geometry", geometry, "serve", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "credits", timeout=30).read()
            break
        except OSError:
            time.sleep(0.2)
    return server, url


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _project(point, box) -> tuple[float, float]:
    """Page position of a world point for the camera in CAMERA (anterior, 30 degree view angle)."""
    position, forward, up = np.array([0, 540.9, 0.0]), np.array([0, -1.0, 0]), np.array([0, 0, 1.0])
    right = np.cross(forward, up)
    relative = np.asarray(point) - position
    scale = (relative @ forward) * np.tan(np.radians(15))
    x = (relative @ right) / (scale * box["width"] / box["height"])
    y = (relative @ up) / scale
    return box["x"] + (1 + x) * box["width"] / 2, box["y"] + (1 - y) * box["height"] / 2


def _anchor(atlas, sid):
    points = np.asarray(atlas[sid].mesh.points)
    nearest = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    return points[np.linalg.norm(points - nearest, axis=1) < 4.0].mean(axis=0)


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


def measure(geometry: str) -> list[str]:
    """The figures for the explorer served with one geometry set, as printed lines."""
    from playwright.sync_api import sync_playwright

    from explorer import load_atlas

    atlas = load_atlas(geometry=geometry)
    server, url = start_server(geometry)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            # Warm-up: the server's first session pays for imports and caches.
            warm = browser.new_page()
            warm.goto(url)
            warm.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            warm.close()

            # First frame and bytes, default scene, fresh browser context (nothing cached).
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            counted = {"http": 0, "ws": 0}
            cdp.on("Network.loadingFinished", lambda e: counted.__setitem__("http", counted["http"] + e["encodedDataLength"]))
            cdp.on("Network.webSocketFrameReceived",
                   lambda e: counted.__setitem__("ws", counted["ws"] + len(e["response"]["payloadData"])
                                                 * (3 / 4 if e["response"]["opcode"] == 2 else 1)))
            page.goto(url)
            ready = page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            first_frame_s = int(ready.get_attribute("data-ready-at")) / 1000
            page.wait_for_load_state("networkidle")
            time.sleep(1.0)  # let the last websocket frames of the initial document arrive
            sent_mb = (counted["http"] + counted["ws"]) / 1e6
            http_mb, ws_mb = counted["http"] / 1e6, counted["ws"] / 1e6
            context.close()

            # Click-to-info: alternate between two bones, shown alone so each click hits its bone.
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}?show=femur,tibia&{CAMERA}")
            page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            page.evaluate("() => window.addEventListener('pointerup', () => { window.__releasedAt = performance.now(); }, true)")
            box = page.locator(".knee-canvas canvas").first.bounding_box()
            targets = [_project(_anchor(atlas, sid), box) for sid in ("femur", "tibia")]
            times, before = [], ""
            for index in range(20):
                x, y = targets[index % 2]
                page.evaluate(f"(before) => {{ window.__info = ({_WATCH_INFO})(before); }}", before)
                page.mouse.click(x, y)
                name, elapsed = page.evaluate("() => window.__info")
                before = name
                times.append(elapsed)
            page.close()

            # Memory per added session: ten more sessions kept open.
            pages = [browser.new_page()]
            pages[0].goto(url)
            pages[0].wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
            time.sleep(2)
            base = _rss_mb(server.pid)
            for _ in range(10):
                extra = browser.new_page()
                extra.goto(url)
                extra.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
                pages.append(extra)
            time.sleep(2)
            per_session = (_rss_mb(server.pid) - base) / 10
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return [f"scene: {len(atlas.structures)} structures, {atlas.triangle_count} triangles",
            f"navigation to first rendered frame:  {first_frame_s:6.2f} s    (aim < 3 s)",
            f"bytes sent for the default scene:     {sent_mb:6.2f} MB   (aim < 3 MB; HTTP {http_mb:.2f}, "
            f"websocket {ws_mb:.2f})",
            f"click to info, p50 / p95 (20 clicks): {p50:6.0f} / {p95:.0f} ms (aim p95 < 150 ms)",
            f"server memory per added session:      {per_session:6.1f} MB   (aim < 30 MB; over 10 sessions)"]


if __name__ == "__main__":
    sys.exit(main())
