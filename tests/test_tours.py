"""Guided tours: the tour files on every geometry set, their errors, the Learn tab's tour in Chromium, and the exports.

The browser tests skip, saying why, where Chromium or Playwright is missing; the accessibility test where axe-core is.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from explorer.cli import main
from explorer.export.saved_view import SavedView
from explorer.geometry import geometry_set
from explorer.tours import MAX_STEPS, MIN_STEPS
from explorer.views import VIEWS

REQUIRED = ("bakers_cyst", "deep_vein_thrombosis", "pcl_tear", "hamstring_strain", "back_corner_injury",
            "nerve_irritation")
GEOMETRIES = [pytest.param(name, marks=pytest.mark.skipif(not geometry_set(name).present(),
                                                           reason=f"the {name} geometry set is not built"))
              for name in ("mskt", "spl")]


@pytest.fixture(scope="module", params=GEOMETRIES)
def any_atlas(request):
    from explorer.atlas import load_atlas

    return load_atlas(geometry=request.param)


def test_every_pain_cause_asked_for_has_a_tour(atlas):
    assert set(REQUIRED) <= set(atlas.tours)
    assert set(atlas.tours) <= set(atlas.causes)


def test_every_step_shows_known_structures_from_its_side_on_every_geometry(any_atlas):
    atlas = any_atlas
    drawn = {sid for sid, s in atlas.structures.items() if s.mesh is not None}
    for tour in atlas.tours.values():
        assert MIN_STEPS <= len(tour.steps) <= MAX_STEPS, tour.id
        for number, step in enumerate(tour.steps, 1):
            where = f"{tour.id} step {number} ({atlas.geometry.name})"
            assert step.title and len(step.text.split()) >= 12, where
            assert set(step.frame) & drawn, f"{where}: nothing to frame"
            assert not step.highlight or step.highlight in drawn, f"{where}: {step.highlight} is not drawn"
            view = step.view(atlas)
            # What the app's link and the exports accept: every id known, every shown one drawn.
            again = SavedView.from_dict(view.to_dict(), atlas)
            assert again.state.selected == step.highlight and again.state.cause == step.cause, where
            assert view.state.visible is None or set(view.state.visible) <= drawn, where
            camera = view.state.camera
            sight = np.subtract(camera["position"], camera["focalPoint"])
            side = np.sum([VIEWS[name].direction for name in step.side], axis=0)
            assert np.dot(sight / np.linalg.norm(sight), side / np.linalg.norm(side)) > 0.99, where
            # Every framed structure is in the view: some of it within the 30-degree view angle of the camera.
            axis = -sight / np.linalg.norm(sight)
            for sid in set(step.frame) & drawn:
                towards = np.asarray(atlas[sid].mesh.points) - np.asarray(camera["position"])
                cosine = towards @ axis / np.linalg.norm(towards, axis=1)
                assert (cosine > np.cos(np.radians(15))).mean() > 0.05, f"{where}: {sid} is out of view"


def _write_tour(root: Path, name: str, text: str) -> Path:
    path = root / "annotations" / "tours" / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_STEP = """
  - title: The ligament from behind
    side: posterior
    frame: [posterior_cruciate_ligament]
    text: The posterior cruciate ligament seen from behind, in the notch between the two condyles of the femur.
"""


@pytest.mark.parametrize("name, text, field, message", [
    ("pcl_tear.yaml", "title: T\nsteps:" + GOOD_STEP * 3, "steps", "must be a list of 4 to 8 steps (3 steps)"),
    ("pcl_tear.yaml", "title: T\nsteps:" + GOOD_STEP * 3 + GOOD_STEP.replace("[posterior_cruciate_ligament]",
                                                                             "[kneecap]"),
     "steps[3].frame", "unknown structure 'kneecap'"),
    ("pcl_tear.yaml", "title: T\nsteps:" + GOOD_STEP.replace("side: posterior", "side: [posterior, anterior]")
     + GOOD_STEP * 3, "steps[0].side", "posterior and anterior do not make one side"),
    ("pcl_tear.yaml", "title: T\nsteps:" + GOOD_STEP * 3 + GOOD_STEP.replace("    text:", "    colour: red\n    text:"),
     "steps[3].colour", "unknown field"),
    ("pcl_tear.yaml", "title: T\nsteps:" + GOOD_STEP * 2 + GOOD_STEP.replace("femur.", "femur, TBD.") + GOOD_STEP,
     "steps[2].text", "placeholder text 'TBD'"),
    ("kneecap_pain.yaml", "title: T\nsteps:" + GOOD_STEP * 4, None, "no pain cause 'kneecap_pain'"),
])
def test_a_bad_tour_file_is_reported_in_one_line_naming_file_and_field(atlas_copy, capsys, name, text, field,
                                                                        message):
    path = _write_tour(atlas_copy, name, text)
    assert main(["--root", str(atlas_copy), "validate"]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.endswith("problem(s) found")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: " + (f"field '{field}': " if field else "")), lines[0]
    assert message in lines[0], lines[0]


def test_the_project_validates_with_its_tours(capsys):
    assert main(["validate"]) == 0


def test_the_slides_are_numbered_not_blank_highlighted_and_titled(atlas, tmp_path):
    from PIL import Image

    from explorer.export.tour import export_tour

    done = export_tour("bakers_cyst", tmp_path, atlas=atlas, page=False, size=(480, 270))
    tour = atlas.tours["bakers_cyst"]
    assert [p.name for p in done.slides] == [f"{n:02d}-{s.slug}.png" for n, s in enumerate(tour.steps, 1)]
    for path, step in zip(done.slides, tour.steps):
        image = np.asarray(Image.open(path).convert("RGB")).astype(int)
        picture = image[image.shape[0] // 4: -image.shape[0] // 8]
        assert picture.std() > 20, f"{path.name} is blank"
        assert len(np.unique(picture.reshape(-1, 3) // 16, axis=0)) > 40, f"{path.name} has too few colours"
        if step.highlight:  # the highlight colour (#e0219a, shaded) is in the picture
            red, green, blue = picture[..., 0], picture[..., 1], picture[..., 2]
            assert (((red - green) > 80) & ((blue - green) > 40) & (red > blue)).mean() > 0.0003, path.name
        # the step's text is in the band above the picture: dark pixels in its first rows
        assert (image[: image.shape[0] // 8] < 80).all(axis=2).mean() > 0.002, path.name


def test_export_tour_from_the_command_line_writes_the_page_and_numbered_slides(tmp_path, capsys):
    assert main(["export-tour", "PCL tear", str(tmp_path / "out"), "--size", "320x180"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written[-1] == "pcl_tear.html"
    assert [name[:3] for name in written[:-1]] == [f"{n:02d}-" for n in range(1, len(written))]
    assert main(["export-tour", "pcl_tear", str(tmp_path / "out")]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["export-tour", "kneecap", str(tmp_path / "elsewhere")]) == 2
    assert "no tour 'kneecap'" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere").exists()


# In Chromium ---------------------------------------------------------------------------------------------------

try:
    from browser_support import browser, expect, open_app, server  # noqa: F401 (browser, open_app, server: fixtures)
    BROWSER_MISSING = ""
except pytest.skip.Exception as missing:  # no Chromium or Playwright: the tests above still run
    BROWSER_MISSING = str(missing)
in_chromium = pytest.mark.skipif(bool(BROWSER_MISSING), reason=BROWSER_MISSING)


def _learn_tab(page):
    page.get_by_role("tab", name="Learn").click()
    return page.get_by_role("tabpanel", name="Learn")


def _query(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


@in_chromium
def test_a_tour_link_opens_its_step_and_next_moves_on(open_app, atlas):
    tour = atlas.tours["bakers_cyst"]
    page = open_app("?tour=bakers_cyst&step=2")
    panel = _learn_tab(page)
    expect(panel.locator(".tour-step-count")).to_contain_text("Step 2 of 6")
    expect(panel.locator(".tour-step-heading")).to_have_text(tour.steps[1].title)
    expect(page.locator(".knee-label.knee-pin")).to_have_text(atlas[tour.steps[1].highlight].name)
    next_button = panel.get_by_role("button", name="Next step")
    next_button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('step=3')")
    query = _query(page)
    assert query["tour"] == "bakers_cyst" and query["step"] == "3"
    step = tour.steps[2]
    view = step.view(atlas)
    assert sorted(query["show"].split(",")) == sorted(view.state.visible)
    assert query["sel"] == step.highlight
    expect(panel.locator(".tour-step-heading")).to_have_text(step.title)
    expect(page.locator(".knee-label.knee-pin")).to_have_text(atlas[step.highlight].name)
    expect(page.get_by_role("status").filter(has_text="Step 3 of 6")).to_have_count(1)
    page.get_by_role("tab", name="Structures").click()  # the list shows what the step shows
    for sid in ("posterior_joint_capsule", "medial_meniscus"):
        expect(page.get_by_role("checkbox", name=f"Show {atlas[sid].name}", exact=True)).to_be_checked()
    for sid in ("semimembranosus", "gastrocnemius_medial_head"):
        expect(page.get_by_role("checkbox", name=f"Show {atlas[sid].name}", exact=True)).not_to_be_checked()
    panel = _learn_tab(page)
    # Previous, then the last step, where Next is disabled; Exit takes the tour out of the link.
    panel.get_by_role("button", name="Previous step").click()
    page.wait_for_function("() => location.search.includes('step=2')")
    page.goto(page.url.split("?")[0] + "?tour=bakers_cyst&step=6")
    page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached")
    panel = _learn_tab(page)
    expect(panel.get_by_role("button", name="Next step")).to_be_disabled()
    panel.get_by_role("button", name="Exit tour").click()
    page.wait_for_function("() => !location.search.includes('tour=')")


@in_chromium
def test_a_tour_is_started_from_the_learn_tab(open_app, atlas):
    page = open_app()
    panel = _learn_tab(page)
    panel.get_by_role("combobox", name="Choose a tour").select_option(label=atlas.tours["pcl_tear"].title)
    panel.get_by_role("button", name="Start tour").click()
    page.wait_for_function("() => location.search.includes('tour=pcl_tear') && location.search.includes('step=1')")
    expect(page.locator(".knee-label.knee-pin")).to_have_text("Posterior cruciate ligament")


@in_chromium
def test_axe_finds_nothing_with_a_tour_open(open_app):
    from test_accessibility import _violations

    page = open_app("?tour=deep_vein_thrombosis&step=4")
    _learn_tab(page)
    violations = _violations(page)
    assert not violations, violations


@in_chromium
def test_the_offline_tour_page_steps_forward_with_no_network(browser, atlas, tmp_path):
    from explorer.export.tour import tour_page

    tour = atlas.tours["pcl_tear"]
    path = tour_page(tour, tmp_path / "pcl.html", atlas=atlas)
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    asked = []
    context.route(re.compile(r"^(?!file:|about:|data:|blob:).*"), lambda route: (asked.append(route.request.url),
                                                                               route.abort()))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    expect(page.get_by_role("heading", level=2)).to_have_text(tour.steps[0].title)
    expect(page.get_by_role("button", name="Previous step")).to_be_disabled()
    inner = page.frame_locator("iframe")
    expect(inner.locator("canvas").first).to_be_visible()
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(tour.steps[1].title)
    expect(page.get_by_role("status")).to_have_text(f"Step 2 of {len(tour.steps)}: {tour.steps[1].title}")
    assert page.evaluate("() => location.hash") == "#step=2"
    expect(inner.locator("canvas").first).to_be_visible()
    expect(inner.get_by_text(atlas[tour.steps[1].highlight].name).first).to_be_attached()
    assert not asked and not errors, (asked, errors)
    from test_accessibility import AXE, RULES, RUN_AXE

    if AXE.exists():  # the tour page around the step's view: nothing for axe-core to find
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(RUN_AXE, RULES) == []
    context.close()
