"""What the browser tests share: Debian's Chromium driven by Playwright, a served explorer, and where things are drawn.

Importing this module skips the importing test module (with the reason) where ``/usr/bin/chromium``
or Playwright is missing.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000
#: A camera looking from the front (the default anterior view), spelled out so tests can project points.
CAMERA = {"position": [0.0, 540.9, 0.0], "focalPoint": [0.0, 0.0, 0.0], "viewUp": [0.0, 0.0, 1.0]}
CAM_QUERY = "cam=0,540.9,0,0,0,0,0,0,1"
#: A phone as Playwright emulates one: its screen, a touch screen and a mobile browser's layout.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright (pip install playwright)")
expect = sync_api.expect
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(atlas):
    from explorer.app.server import BackgroundServer, ServeOptions

    running = BackgroundServer(atlas, ServeOptions(port=0))
    yield running.url
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_app(server, browser):
    """Open the explorer with a query string; returns the page once the 3D scene is in the browser."""
    pages = []

    def open_(query: str = "", viewport=(1280, 800), phone: bool = False):
        options = PHONE if phone else {"viewport": {"width": viewport[0], "height": viewport[1]}}
        context = browser.new_context(**options)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.errors = errors
        pages.append(page)
        page.goto(server + query)
        page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached")
        return page

    yield open_
    for page in pages:
        assert not page.errors, page.errors
        page.context.close()


def canvas_point(page, point, camera: dict | None = None) -> tuple[float, float]:
    """Where a world point (mm) appears on the page, for ``camera`` (by default :data:`CAMERA` as it is then)."""
    camera = camera or CAMERA
    box = page.locator(".knee-canvas canvas").first.bounding_box()
    position, focal, up = (np.asarray(camera[k], float) for k in ("position", "focalPoint", "viewUp"))
    forward = (focal - position) / np.linalg.norm(focal - position)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    relative = np.asarray(point, float) - position
    depth = relative @ forward
    scale = depth * math.tan(math.radians(30.0 / 2))
    ndc_x = (relative @ right) / (scale * box["width"] / box["height"])
    ndc_y = (relative @ true_up) / scale
    return box["x"] + (1 + ndc_x) * box["width"] / 2, box["y"] + (1 - ndc_y) * box["height"] / 2


def anchor(atlas, structure_id):
    """A point to click: the middle of the mesh's vertices within 4 mm of the one nearest its centre.

    On a thin tube (a nerve) that is the tube's axis, so the click lands in the middle of it.
    """
    points = np.asarray(atlas[structure_id].mesh.points)
    nearest = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    return points[np.linalg.norm(points - nearest, axis=1) < 4.0].mean(axis=0)
