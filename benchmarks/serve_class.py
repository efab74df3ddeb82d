"""A class at once: pick to info, a new session's first frame and server memory, 25 to 200 sessions.

Run: ``.venv/bin/python benchmarks/serve_class.py [--levels 25,50,100,200] [--processes 1,2]``
(needs /usr/bin/chromium and Playwright; add ``--geometry NAME`` to choose the set drawn).

For each number of server processes and each level it starts ``knee-explorer serve --port 0
--processes P`` and holds that many sessions open: a few real Chromium pages and, for the rest,
light websocket clients (``tests/session_client.py``, in a process of their own) that open a
session as a page does. While the level runs, every light client picks a structure about every
``--pick-every`` seconds and waits for its name in the information panel, the real pages are
clicked on the canvas, and one new page is opened. Printed per level:

- pick to info, p50 / p95, of the light clients (aim: p95 under 250 ms at 200 sessions);
- click to info, p50 / p95, on the real pages (mouse release to the name shown);
- navigation to the first drawn frame of a session opened while the class works;
- the server's memory (proportional set size of all its processes) and its growth per session.

Everything runs on this machine: the clients' work competes with the server's for its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from app_in_browser import ARGS, CAMERA, TIMEOUT_MS, _WATCH_INFO, _anchor, _project  # noqa: E402

BROWSER_PAGES = 3
OPENING_AT_ONCE = 8
#: A click whose name has not come after this long counts as unanswered (and as slower than any other).
CLICK_TIMEOUT_MS = 20_000
STRUCTURES = ("femur", "tibia", "fibula", "patella", "medial_meniscus", "lateral_meniscus")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="25,50,100,200", help="sessions held at once, comma-separated")
    parser.add_argument("--processes", default=f"1,{os.cpu_count()}", help="server processes, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each level runs")
    parser.add_argument("--pick-every", type=float, default=3.0, help="seconds between a light client's picks")
    parser.add_argument("--geometry", default=None, help="geometry set to serve (default: the best one present)")
    parser.add_argument("--light", nargs=2, metavar=("URL", "SESSIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.light:
        return asyncio.run(_light_clients(args.light[0], int(args.light[1]), args.seconds, args.pick_every))
    from explorer import load_atlas

    atlas = load_atlas(geometry=args.geometry)
    print(f"geometry {atlas.geometry.name}: {atlas.triangle_count} triangles; {os.cpu_count()} cores; "
          f"{BROWSER_PAGES} real pages per level, light clients pick every ~{args.pick_every:g} s, "
          f"{args.seconds:g} s per level")
    print("processes sessions | light pick->info p50/p95 | page click->info p50/p95 | new session first frame | "
          "server memory (per session)")
    for processes in [int(p) for p in args.processes.split(",")]:
        for level in [int(n) for n in args.levels.split(",")]:
            row = _level(atlas, processes, level, args)
            print(f"{processes:9d} {level:8d} | {row}", flush=True)
    return 0


def _level(atlas, processes: int, sessions: int, args) -> str:
    from playwright.sync_api import sync_playwright

    command = [sys.executable, "-m", "explorer.cli", "serve", "--port", "0", "--processes", str(processes)]
    if args.geometry:
        command[3:3] = ["--geometry", args.geometry]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              start_new_session=True)
    light = None
    try:
        url = server.stdout.readline().strip().removeprefix("Knee explorer: ")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            _open_page(browser, url)  # the server's first session pays for imports and caches
            idle = _server_pss_mb(server.pid)
            pages = [_open_page(browser, f"{url}?show=femur,tibia&{CAMERA}") for _ in range(BROWSER_PAGES)]
            light = subprocess.Popen([sys.executable, __file__, "--light", url, str(sessions - BROWSER_PAGES),
                                      "--seconds", str(args.seconds), "--pick-every", str(args.pick_every)],
                                     cwd=ROOT, stdout=subprocess.PIPE, text=True)
            if light.stdout.readline().strip() != "ready":
                raise RuntimeError("the light clients could not open their sessions")
            clicks, first_frame, memory = _work_the_pages(atlas, browser, url, pages, args.seconds, server.pid)
            light_times = json.loads(light.stdout.readline())
            light.wait(timeout=120)
            browser.close()
    finally:
        if light is not None and light.poll() is None:
            light.kill()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    per_session = (memory - idle) / sessions
    return (f"{_percentiles(light_times)} ({len(light_times)} picks) | {_percentiles(clicks)} | "
            f"{first_frame:5.2f} s | {memory:6.0f} MB ({per_session:.1f} MB)")


def _open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
    return page


def _work_the_pages(atlas, browser, url: str, pages: list, seconds: float,
                    server_pid: int) -> tuple[list[float], float, float]:
    """Click the real pages in turn while the light clients work; open one new page halfway."""
    box = pages[0].locator(".knee-canvas canvas").first.bounding_box()
    targets = [_project(_anchor(atlas, sid), box) for sid in ("femur", "tibia")]
    for page in pages:
        page.evaluate("() => window.addEventListener('pointerup', () => { window.__releasedAt = performance.now(); }, true)")
    clicks, first_frame, memory, before, turn = [], 0.0, 0.0, {}, 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        for index, page in enumerate(pages):
            x, y = targets[turn % 2]
            turn += 1
            page.evaluate(f"(before) => {{ window.__info = Promise.race([({_WATCH_INFO})(before), "
                          f"new Promise((resolve) => setTimeout(() => resolve([before, null]), {CLICK_TIMEOUT_MS}))]); }}",
                          before.get(index, ""))
            page.mouse.click(x, y)
            before[index], elapsed = page.evaluate("() => window.__info")
            clicks.append(float("inf") if elapsed is None else elapsed / 1000)
        if not first_frame and time.monotonic() - start > seconds / 2:
            memory = _server_pss_mb(server_pid)
            fresh = _open_page(browser, url)
            first_frame = int(fresh.locator(".knee-canvas[data-ready=true]").get_attribute("data-ready-at")) / 1000
            fresh.close()
        time.sleep(1.0)
    return clicks, first_frame, memory


async def _light_clients(url: str, sessions: int, seconds: float, pick_every: float) -> int:
    from explorer import load_atlas

    from session_client import SessionClient

    names = {sid: load_atlas(meshes=False)[sid].name for sid in STRUCTURES}
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def open_one() -> SessionClient:
        async with gate:
            return await SessionClient.open(url, timeout=300)

    clients = await asyncio.gather(*(open_one() for _ in range(sessions)))
    print("ready", flush=True)
    times: list[float] = []
    stop_at = time.monotonic() + seconds

    async def work(client: SessionClient, offset: int) -> None:
        await asyncio.sleep(random.uniform(0, pick_every))
        index = offset
        while time.monotonic() < stop_at:
            structure = STRUCTURES[index % len(STRUCTURES)]
            times.append(await client.pick(structure, names[structure], timeout=120))
            index += 1
            await asyncio.sleep(random.uniform(0.5, 1.5) * pick_every)

    await asyncio.gather(*(work(client, offset) for offset, client in enumerate(clients)))
    for client in clients:
        client.close()
    print(json.dumps(times), flush=True)
    return 0


def _server_pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return total / 1024


def _percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    if not ordered:
        return "   - /   - ms"
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    unanswered = sum(1 for value in ordered if value == float("inf"))
    return (f"{statistics.median(ordered) * 1000:4.0f} / {p95 * 1000:4.0f} ms"
            + (f", {unanswered} unanswered" if unanswered else ""))


if __name__ == "__main__":
    sys.exit(main())
