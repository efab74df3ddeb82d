"""Offline HTML export: one file, opened from file:// in headless Chromium with the network blocked, clicked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explorer import export
from explorer.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    return export.html({"labels": True, "title": "The right knee"}, tmp_path_factory.mktemp("html") / "knee.html")


def _data(path: Path) -> dict:
    text = path.read_text()
    match = re.search(r'<script id="knee-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_one_small_file_with_no_outside_reference(page_file, atlas):
    text = page_file.read_text()
    assert page_file.stat().st_size < 15_000_000
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


def test_opens_offline_rotates_and_answers_a_click(page_file):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (`make test` installs the Debian chromium package)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith("file:"):
            return request_route.continue_()
        outside.append(request_route.request.url)
        return request_route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", route)
            page.goto(page_file.as_uri())
            page.wait_for_function("window.kneeExplorer !== undefined", timeout=60_000)
            assert page.locator("#overlay text.label").count() >= 8  # labels kept (about ten in this view)
            canvas = page.locator("#canvas").bounding_box()
            # Drag: the camera turns, nothing is selected.
            before = page.evaluate("kneeExplorer.camera.position")
            page.mouse.move(canvas["x"] + 300, canvas["y"] + 400)
            page.mouse.down()
            page.mouse.move(canvas["x"] + 380, canvas["y"] + 400, steps=5)
            page.mouse.up()
            assert page.evaluate("kneeExplorer.camera.position") != before
            assert page.evaluate("kneeExplorer.selected") is None
            page.click("#reset")
            # Click the patella where it shows: its name, text and a related pain cause appear.
            page.wait_for_timeout(200)
            x, y = page.evaluate("kneeExplorer.screenPoint('patella')")
            page.mouse.click(canvas["x"] + x, canvas["y"] + y)
            page.wait_for_function("kneeExplorer.selected === 'patella'", timeout=30_000)
            assert page.locator("#info h2.info-name").inner_text() == "Patella"
            assert "kneecap" in page.locator("#info .info-text").inner_text()
            x, y = page.evaluate("kneeExplorer.screenPoint('medial_meniscus')")
            page.mouse.click(canvas["x"] + x, canvas["y"] + y)
            page.wait_for_function("kneeExplorer.selected === 'medial_meniscus'", timeout=30_000)
            assert "Meniscus tear" in page.locator("#info").inner_text()
            assert errors == [] and outside == []
        finally:
            browser.close()


def test_cli_html(tmp_path, capsys):
    out = tmp_path / "cyst.html"
    assert main(["export", str(out), "--cause", "bakers_cyst", "--camera", "posterior", "--labels"]) == 0
    data = _data(out)
    solid = {s["id"] for s in data["structures"] if s["opacity"] == 1.0}
    assert "bakers_cyst" in solid and "femur" not in solid  # the cause's structures stand out, the rest ghosted
