"""Offline HTML export: one file, opened from file:// in headless Chromium with the network blocked, clicked."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from explorer import export
from explorer.appearance import GHOST_OPACITY
from explorer.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1200, "height": 800}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    return export.html({"labels": True, "title": "The right knee"}, tmp_path_factory.mktemp("html") / "knee.html")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (`make test` installs the Debian chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Opened:
    """A page opened from disk with every request but file:// refused, and what went wrong on it."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.kneeExplorer !== undefined", timeout=60_000)
        self.canvas = self.page.locator("#canvas").bounding_box()

    def _route(self, request_route):
        if request_route.request.url.startswith("file:"):
            return request_route.continue_()
        self.outside.append(request_route.request.url)
        return request_route.abort()

    def click_at(self, x: float, y: float) -> None:
        self.page.mouse.click(self.canvas["x"] + x, self.canvas["y"] + y)

    def pixel(self, x: float, y: float, size: int = 5) -> np.ndarray:
        """The colours of a size x size patch of the page round a point of the canvas."""
        from PIL import Image

        picture = np.asarray(Image.open(io.BytesIO(self.page.screenshot())).convert("RGB"), dtype=float)
        left, top = round(self.canvas["x"] + x) - size // 2, round(self.canvas["y"] + y) - size // 2
        return picture[top:top + size, left:left + size]


def _data(path: Path) -> dict:
    text = path.read_text()
    match = re.search(r'<script id="knee-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_one_small_file_with_no_outside_reference(page_file, atlas):
    text = page_file.read_text()
    assert page_file.stat().st_size < 1_000_000  # the meshes are packed and compressed
    assert not re.search(r'(src|href)="(https?:)?//', text)
    data = _data(page_file)
    shown = {s.id for s in atlas.structures.values() if s.mesh is not None and not s.pathology}
    assert {s["id"] for s in data["structures"]} == shown
    assert data["disclaimer"] == atlas.disclaimer and data["credits"] == atlas.credits()


def test_texts_are_rendered_markdown_only(tmp_path, atlas_copy):
    from explorer.atlas import load_atlas

    note = atlas_copy / "annotations" / "structures" / "patella.md"
    note.write_text(note.read_text() + "\n\nA note with <script>alert('x')</script> and <img src=x onerror=alert(1)>.\n")
    out = export.html({"show": ["patella"]}, tmp_path / "p.html", atlas=load_atlas(atlas_copy))
    info = _data(out)["info"]["patella"]["html"]
    assert "<script>" not in info and "&lt;script&gt;" in info and "<img" not in info
    assert "<script>alert" not in out.read_text()


def test_packed_meshes_keep_their_shape():
    from explorer.export.page import MESH_STEP_MM, pack_mesh

    rng = np.random.default_rng(1)
    points = rng.uniform(-240, 240, (500, 3))
    faces = rng.integers(0, 500, (900, 3))
    layout, packed = pack_mesh(points, faces)
    assert layout["points"] == 500 and layout["triangles"] == 900 and len(packed) == 6 * 500 + 12 * 900
    assert max(layout["step"]) <= MESH_STEP_MM


def test_opens_offline_rotates_and_answers_a_click(page_file, browser, atlas):
    opened = Opened(browser, page_file)
    page = opened.page
    assert page.locator("#overlay text.label").count() >= 8  # labels kept (about ten in this view)
    # The meshes arrive whole: each structure's box is the mesh's, to the packing grid.
    for sid in ("femur", "patella", "medial_meniscus"):
        low, high = page.evaluate(f"kneeExplorer.bounds('{sid}')")
        bounds = np.reshape(atlas[sid].mesh.bounds, (3, 2))
        assert np.allclose(low, bounds[:, 0], atol=0.01) and np.allclose(high, bounds[:, 1], atol=0.01)
    # Drag: the camera turns, nothing is selected.
    before = page.evaluate("kneeExplorer.camera.position")
    page.mouse.move(opened.canvas["x"] + 300, opened.canvas["y"] + 400)
    page.mouse.down()
    page.mouse.move(opened.canvas["x"] + 380, opened.canvas["y"] + 400, steps=5)
    page.mouse.up()
    assert page.evaluate("kneeExplorer.camera.position") != before
    assert page.evaluate("kneeExplorer.selected") is None
    page.click("#reset")
    # Click the patella where it shows: its name, text and a related pain cause appear.
    page.wait_for_timeout(200)
    opened.click_at(*page.evaluate("kneeExplorer.screenPoint('patella')"))
    page.wait_for_function("kneeExplorer.selected === 'patella'", timeout=30_000)
    assert page.locator("#info h2.info-name").inner_text() == "Patella"
    assert "kneecap" in page.locator("#info .info-text").inner_text()
    opened.click_at(*page.evaluate("kneeExplorer.screenPoint('medial_meniscus')"))
    page.wait_for_function("kneeExplorer.selected === 'medial_meniscus'", timeout=30_000)
    assert "Meniscus tear" in page.locator("#info").inner_text()
    assert opened.errors == [] and opened.outside == []


@pytest.mark.parametrize("cause", ["bakers_cyst", "deep_vein_thrombosis"])
def test_a_cause_page_opens_on_its_card_with_every_structure_labelled(cause, tmp_path, atlas, browser, capsys):
    out = tmp_path / f"{cause}.html"
    assert main(["export", "--cause", cause, str(out)]) == 0
    involved = [sid for sid in atlas.causes[cause].structures if atlas[sid].mesh is not None]
    opened = Opened(browser, out)
    page = opened.page
    card = page.locator("#info .cause-card")
    assert card.is_visible() and card.locator("h2.cause-name").inner_text() == atlas.causes[cause].name
    assert atlas.causes[cause].summary.split()[0] in card.locator(".cause-summary").inner_text()
    flags = card.locator(".red-flags")
    assert flags.is_visible() and "same day" in flags.inner_text()
    assert card.locator(".urgent").count() == int(atlas.causes[cause].urgent)
    # Every structure of the cause is labelled in 3D, pointing inside the canvas, below the title.
    assert set(page.evaluate("kneeExplorer.labelled()")) == set(involved)
    title = page.locator("#title").bounding_box()
    for sid in involved:
        x, y = page.evaluate(f"kneeExplorer.screenPoint('{sid}')")
        assert 0 <= x <= opened.canvas["width"] and 0 <= y <= opened.canvas["height"], sid
        assert opened.canvas["y"] + y > title["y"] + title["height"], sid
    for label in page.locator("#overlay text.label").all():  # and no name runs off the canvas
        box = label.bounding_box()
        assert box["x"] >= opened.canvas["x"] and box["x"] + box["width"] <= opened.canvas["x"] + opened.canvas["width"]
    assert page.locator("body").inner_text().count(atlas.disclaimer) == 1
    # A word of the glossary opens the glossary at its definition.
    card.locator(".cause-summary a[href^='#glossary-']").first.click()
    assert page.locator("#glossary-box").evaluate("box => box.open")
    # The list of the structures involved selects each; the card comes back.
    entries = page.get_by_role("list", name="Structures involved").get_by_role("button")
    assert entries.count() == len(involved)
    entries.nth(1).click()
    assert page.evaluate("kneeExplorer.selected") == involved[1]
    assert page.locator("#info h2.info-name").inner_text() == atlas[involved[1]].name
    page.get_by_role("button", name=f"Back to {atlas.causes[cause].name}").click()
    assert card.is_visible() and page.evaluate("kneeExplorer.selected") is None
    assert opened.errors == [] and opened.outside == []


def test_the_page_has_the_controls_the_texts_speak_of(tmp_path, atlas, browser):
    """The texts say: view from behind or above, hide the gastrocnemius, ghost the soleus, hide the muscles."""
    out = export.html({"camera": "posterior"}, tmp_path / "k.html", atlas=atlas)
    texts = " ".join(entry["html"] for entry in _data(out)["info"].values()).lower()
    assert re.search(r"\bhide the\b", texts) and "ghost the" in texts and "view from" in texts
    for lacking in ("tab ", "tick box", "slider", "copy link", "cutting plane"):  # the served explorer's alone
        assert lacking not in texts, lacking
    opened = Opened(browser, out)
    page = opened.page
    page.get_by_role("button", name="Above").click()
    assert page.evaluate("kneeExplorer.camera.position[2] > kneeExplorer.camera.focalPoint[2] + 100")
    page.get_by_role("button", name="Behind").click()
    page.wait_for_timeout(300)
    page.evaluate("kneeExplorer.select('gastrocnemius_medial_head')")
    page.get_by_role("button", name="Hide", exact=True).click()
    assert not page.evaluate("kneeExplorer.isShown('gastrocnemius_medial_head')")
    page.evaluate("kneeExplorer.select('soleus')")
    page.get_by_role("button", name="Ghost").click()
    assert page.get_by_role("button", name="Solid").is_visible()
    muscles = [sid for sid in page.evaluate("kneeExplorer.labelled()") if atlas[sid].group == "muscles"] or ["soleus"]
    page.get_by_role("button", name=re.compile("^Hide all ")).click()
    assert not any(page.evaluate(f"kneeExplorer.isShown('{sid}')") for sid in muscles)
    page.get_by_role("button", name="Show all").click()
    assert page.evaluate("kneeExplorer.isShown('gastrocnemius_medial_head')")
    assert opened.errors == []


def test_a_cut_shows_solid_caps(tmp_path, atlas, browser):
    femur = np.asarray(atlas["femur"].mesh.points)
    shaft = femur[np.abs(femur[:, 2] - 60) < 4]
    cut_y = round(float(shaft[:, 1].mean()))
    section = shaft[np.abs(shaft[:, 1] - cut_y) < 4]
    inside = [float(section[:, 0].min() + section[:, 0].max()) / 2, float(cut_y), 60.0]
    out = export.html({"camera": "anterior", "clip": {"axis": "y", "position": cut_y}}, tmp_path / "cut.html",
                      atlas=atlas)
    opened = Opened(browser, out)
    x, y = opened.page.evaluate(f"kneeExplorer.project({json.dumps(inside)})")
    patch = opened.pixel(x, y)
    # The cut face of the bone: its own colour a little darker, evenly lit (a hollow shell shows its inside wall).
    cap = 0.8 * np.array([int(atlas["femur"].colour[i:i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(patch - cap).max() <= 4, patch.reshape(-1, 3)[:3]
    opened.click_at(x, y)
    opened.page.wait_for_function("kneeExplorer.selected === 'femur'", timeout=30_000)
    assert opened.errors == []


def test_cli_html(tmp_path, capsys):
    out = tmp_path / "cyst.html"
    assert main(["export", str(out), "--cause", "bakers_cyst", "--camera", "posterior", "--labels"]) == 0
    data = _data(out)
    opacity = {s["id"]: s["opacity"] for s in data["structures"]}
    assert min(opacity[sid] for sid in data["cause"]["structures"]) > GHOST_OPACITY
    assert opacity["femur"] == GHOST_OPACITY  # the cause's structures stand out, the rest ghosted
    assert set(data["cause"]["structures"]) == {s["id"] for s in data["structures"] if s["labelled"]}
