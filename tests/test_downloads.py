"""Downloads from the browser: PNG, GLB and offline page of the current view, clicked in headless Chromium.

Each downloaded file is opened as a user would: the picture with Pillow, the model with trimesh (and
the Khronos validator where ``make test`` installed it), the page in Chromium with the network cut.
The buttons are clicked on the explorer itself, opened at the view's link.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from browser_support import browser, expect  # noqa: F401 (browser is a fixture)

from explorer.app.downloads import PNG_SIZE, export_bytes
from explorer.appearance import HIGHLIGHT_COLOUR
from explorer.cli import main
from explorer.export.model import srgb_to_linear
from explorer.export.saved_view import SavedView, save_view
from explorer.views import named_camera

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 180_000
VALIDATOR = ROOT / ".node" / "node_modules" / "gltf-validator"
VALIDATE_JS = """
const fs = require('fs');
const validator = require(process.argv[1]);
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])))
  .then((report) => { console.log(JSON.stringify(report.issues)); })
  .catch((error) => { console.error(error); process.exit(3); });
"""
#: The view the page shows: the popliteal fossa from behind, the artery selected, labelled. The camera is
#: spelled out, as a link holds it (a link has no named views).
VIEW = {"show": ["femur", "tibia", "fibula", "popliteal_artery", "popliteal_vein", "tibial_nerve"],
        "selected": "popliteal_artery", "camera": named_camera("posterior"), "labels": True}


@pytest.fixture(scope="module")
def view(atlas) -> SavedView:
    return SavedView.from_dict(VIEW, atlas)


@pytest.fixture(scope="module")
def served(atlas, view):
    """The URL of the explorer opened at the link of :data:`VIEW`."""
    from explorer.app.server import BackgroundServer, ServeOptions

    running = BackgroundServer(atlas, ServeOptions(port=0))
    yield running.url + view.to_query(atlas)
    running.stop()


@pytest.fixture
def page(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(served)
    page.get_by_role("button", name="Download PNG").wait_for()
    yield page
    page.close()
    assert not errors, errors


def _download(page, label: str, folder: Path) -> tuple[Path, float]:
    """Click the button named ``label``; the saved file and the seconds from the click to the file."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        start = time.perf_counter()
        page.get_by_role("button", name=label).click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target, time.perf_counter() - start


def _near(pixels: np.ndarray, colour: str, tolerance: int) -> int:
    """How many pixels lie within ``tolerance`` of ``colour`` on every channel."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels[..., :3].astype(int) - rgb).max(axis=-1) <= tolerance).sum())


def _open_plotters() -> int:
    from pyvista.plotting.plotter import _ALL_PLOTTERS

    return len(_ALL_PLOTTERS)


def test_png_download_is_the_view_as_a_picture(page, tmp_path, atlas):
    from PIL import Image

    plotters = _open_plotters()
    path, seconds = _download(page, "Download PNG", tmp_path)
    assert _open_plotters() == plotters  # the server rendered it on a scene it closed
    print(f"PNG: {seconds:.1f} s from click to file, {path.stat().st_size / 1e3:.0f} kB")
    assert path.name == "knee-popliteal-artery.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))
    assert width == PNG_SIZE[0] and PNG_SIZE[1] < height < PNG_SIZE[1] + 120  # the render and the credits strip
    render = pixels[:PNG_SIZE[1]]
    assert (render.max(axis=-1) < 200).mean() > 0.03  # anatomy drawn over the white background
    # The artery is lit and shaded: its brightest pixels come close to the highlight colour.
    assert _near(render, HIGHLIGHT_COLOUR, 40) > 200


def test_glb_download_is_the_view_as_a_model(page, tmp_path, atlas, view):
    path, _ = _download(page, "Download 3D model (GLB)", tmp_path)
    assert path.name == "knee-popliteal-artery.glb"
    scene = trimesh.load(path, force="scene")
    assert sorted(scene.graph.nodes_geometry) == sorted(VIEW["show"])
    data = path.read_bytes()
    length = int.from_bytes(data[12:16], "little")
    tree = json.loads(data[20:20 + length])
    materials = {m["name"]: m["pbrMetallicRoughness"]["baseColorFactor"] for m in tree["materials"]}
    assert materials["popliteal_artery"][:3] == pytest.approx(srgb_to_linear(HIGHLIGHT_COLOUR))
    assert materials["femur"][:3] == pytest.approx(srgb_to_linear(atlas["femur"].colour))
    node = shutil.which("node")
    if node is not None and VALIDATOR.exists():
        result = subprocess.run([node, "-e", VALIDATE_JS, str(VALIDATOR), str(path)], capture_output=True, text=True,
                                timeout=120, check=True)
        assert json.loads(result.stdout)["numErrors"] == 0


def test_offline_page_download_opens_with_the_selection(page, browser, tmp_path, atlas):
    path, _ = _download(page, "Download offline page", tmp_path)
    assert path.name == "knee-popliteal-artery.html"
    offline = browser.new_page(viewport={"width": 1200, "height": 800})
    outside: list[str] = []
    errors: list[str] = []
    offline.on("pageerror", lambda error: errors.append(str(error)))
    offline.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (outside.append(route.request.url), route.abort()))
    try:
        offline.goto(path.as_uri())
        offline.wait_for_function("window.kneeExplorer !== undefined", timeout=60_000)
        assert offline.evaluate("kneeExplorer.selected") == "popliteal_artery"
        expect(offline.locator("#info h2.info-name")).to_have_text(atlas["popliteal_artery"].name)
        drawn = np.frombuffer(offline.locator("#canvas").screenshot(type="jpeg", quality=90), dtype=np.uint8)
        assert drawn.size > 10_000  # a drawn scene; a blank canvas compresses to a few kB
        assert outside == [] and errors == []
    finally:
        offline.close()


def test_a_failed_export_gives_a_notice_and_the_button_works_again(page, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    downloads: list = []
    page.on("download", lambda download: downloads.append(download))
    page.get_by_role("button", name="Download 3D model (GLB)").click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("The 3D model could not be made: the server could not write it "
                                   "(No such file or directory)")
    assert "Traceback" not in notice.inner_text() and str(tmp_path) not in notice.inner_text()
    assert downloads == []
    monkeypatch.undo()
    path, _ = _download(page, "Download 3D model (GLB)", tmp_path)
    assert path.read_bytes()[:4] == b"glTF"
    expect(notice).to_have_count(0)  # the notice goes once a download is made


@pytest.mark.parametrize("suffix", [".png", ".glb", ".html"])
def test_each_download_is_the_file_the_command_line_writes(tmp_path, atlas, suffix):
    view = SavedView.from_dict({"cause": "bakers_cyst", "camera": "posterior", "labels": True}, atlas)
    view_file = save_view(view, tmp_path / "cyst.json")
    out = tmp_path / f"cyst{suffix}"
    assert main(["export", str(out), "--view", str(view_file)]) == 0
    assert export_bytes(view, suffix, atlas) == out.read_bytes()
