"""Cutaneous nerve territories: the data, which nerve paints which skin, and the paint in the plotter and the browser."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from atlas_edits import edit, one_problem

from explorer.appearance import HIGHLIGHT_COLOUR, appearance
from explorer.nerve_territories import inside_mm, territories_for, territory_at

try:
    import browser_support
    from browser_support import browser, open_app, server  # noqa: F401 (fixtures)
except pytest.skip.Exception as missing:  # no Chromium or Playwright here: only the browser test is skipped
    _WHY = str(missing)

    @pytest.fixture
    def open_app():
        pytest.skip(_WHY)

    @pytest.fixture
    def browser():
        pytest.skip(_WHY)

SKIN_NERVES = ["posterior_femoral_cutaneous_nerve", "lateral_femoral_cutaneous_nerve", "anterior_femoral_cutaneous_nerves",
               "saphenous_nerve", "lateral_sural_cutaneous_nerve", "superficial_fibular_nerve",
               "medial_sural_cutaneous_nerve", "sural_nerve"]
#: A medial view of the calf: the saphenous nerve's skin faces the camera.
MEDIAL = {"position": [-540.9, 0.0, -100.0], "focalPoint": [0.0, 0.0, -100.0], "viewUp": [0.0, 0.0, 1.0]}


def _skin_point(atlas, height_mm: float, angle_deg: float) -> np.ndarray:
    """The outermost skin vertex near this height and angle round the leg's axis."""
    points = np.asarray(atlas["skin"].mesh.points)
    heights_angles = np.array([atlas.pain_regions.height_and_angle(p) for p in points])
    turn = np.abs((heights_angles[:, 1] - angle_deg + 180.0) % 360.0 - 180.0)
    near = (np.abs(heights_angles[:, 0] - height_mm) < 8.0) & (turn < 6.0)
    assert near.any(), (height_mm, angle_deg)
    centre, _ = atlas.pain_regions.centre(height_mm)
    candidates = points[near]
    return candidates[np.argmax(np.linalg.norm(candidates[:, :2] - centre, axis=1))]


@pytest.mark.parametrize("height, angle, nerve", [
    (120, 180, "posterior_femoral_cutaneous_nerve"),  # back of the thigh
    (0, 180, "posterior_femoral_cutaneous_nerve"),  # the hollow behind the knee
    (120, 90, "lateral_femoral_cutaneous_nerve"),  # outer thigh
    (120, 10, "anterior_femoral_cutaneous_nerves"),  # front of the thigh
    (0, 0, "anterior_femoral_cutaneous_nerves"),  # over the kneecap
    (-100, 270, "saphenous_nerve"),  # inner side of the leg
    (0, 270, "saphenous_nerve"),  # inner side of the knee
    (-80, 100, "lateral_sural_cutaneous_nerve"),  # outer upper calf
    (-180, 60, "superficial_fibular_nerve"),  # outer front of the lower leg
    (-150, 180, "medial_sural_cutaneous_nerve"),  # middle of the back of the calf
    (-200, 160, "sural_nerve"),  # the lowest back of the calf shown
])
def test_each_patch_of_skin_belongs_to_the_nerve_the_map_gives_it(atlas, height, angle, nerve):
    territory = territory_at(atlas, "skin", _skin_point(atlas, height, angle))
    assert territory is not None and territory.nerve == nerve


def test_every_skin_nerve_has_a_cited_territory_with_words_on_numbness_and_the_map_leaves_no_gap(atlas):
    territories = atlas.nerve_territories.territories
    assert sorted(territories) == sorted(SKIN_NERVES)
    for territory in territories.values():
        assert atlas[territory.nerve].group == "nerves"
        assert "Gray's Anatomy" in atlas.nerve_territories.sources[territory.source]
        assert "numb" in territory.numbness.lower(), territory.nerve
    points = np.asarray(atlas["skin"].mesh.points)
    inside = np.max([inside_mm(atlas.pain_regions, t, points) for t in territories.values()], axis=0)
    assert (inside >= 0).mean() == 1.0, f"{(inside < 0).sum()} skin vertices in no territory"


def test_a_nerve_shows_its_branches_territories_and_the_skin_shows_them_all(atlas):
    def nerves(structure_id):
        return [t.nerve for t in territories_for(atlas, structure_id)]

    assert nerves("common_fibular_nerve") == ["lateral_sural_cutaneous_nerve", "superficial_fibular_nerve"]
    assert nerves("tibial_nerve") == ["medial_sural_cutaneous_nerve", "sural_nerve"]
    assert set(nerves("sciatic_nerve")) == set(nerves("common_fibular_nerve") + nerves("tibial_nerve"))
    assert nerves("saphenous_nerve") == ["saphenous_nerve"]
    assert nerves("skin") == SKIN_NERVES
    assert nerves("femur") == nerves("popliteal_artery") == nerves("no_such_structure") == []


def test_only_the_skin_is_painted_and_a_painted_skin_keeps_its_colour_when_selected(atlas):
    looks = appearance(atlas, selected="tibial_nerve")
    assert [t.nerve for t in looks["skin"].paint] == ["medial_sural_cutaneous_nerve", "sural_nerve"]
    assert all(not look.paint for sid, look in looks.items() if sid != "skin")
    assert looks["skin"].as_list()[3][0] == [-190.0, -110.0, 145.0, 215.0, "#c9a400"]
    assert not appearance(atlas, selected="femur")["skin"].paint
    assert appearance(atlas, selected="skin")["skin"].colour == atlas["skin"].colour != HIGHLIGHT_COLOUR


def _green_over_red(rgb) -> float:
    return float(rgb[1]) - float(rgb[0])


def test_the_plotter_paints_the_saphenous_territory_green_on_the_inner_leg(atlas):
    import vtk

    from explorer.scene import KneeScene

    scene = KneeScene(atlas, off_screen=True, window_size=(400, 600))
    scene.set_camera_state(MEDIAL)
    point = _skin_point(atlas, -100.0, 270.0)
    coordinate = vtk.vtkCoordinate()
    coordinate.SetCoordinateSystemToWorld()
    coordinate.SetValue(*point)
    x, y = coordinate.GetComputedDisplayValue(scene.plotter.renderer)
    bare = scene.select("femur").screenshot()[600 - y, x]
    painted = scene.select("saphenous_nerve").screenshot()[600 - y, x]
    assert _green_over_red(painted) > 15 and _green_over_red(bare) < -15, (bare, painted)
    scene.close()


def _pixel(page, x: float, y: float) -> np.ndarray:
    shot = Image.open(io.BytesIO(page.screenshot(clip={"x": x - 2, "y": y - 2, "width": 5, "height": 5}))).convert("RGB")
    return np.asarray(shot, dtype=float).reshape(-1, 3).mean(axis=0)


def test_the_browser_paints_a_chosen_nerves_territory_and_keys_it_in_the_panel(open_app, atlas):
    cam = "cam=" + ",".join(str(v) for key in ("position", "focalPoint", "viewUp") for v in MEDIAL[key])
    x, y = (None, None)
    colours = {}
    for chosen in ("femur", "saphenous_nerve"):
        page = open_app(f"?sel={chosen}&{cam}")
        x, y = browser_support.canvas_point(page, _skin_point(atlas, -100.0, 270.0), MEDIAL)
        page.wait_for_timeout(300)
        colours[chosen] = _pixel(page, x, y)
    assert _green_over_red(colours["saphenous_nerve"]) > 15 and _green_over_red(colours["femur"]) < -15, colours
    key = page.locator(".info-territories")
    assert key.locator("h3").inner_text() == "Skin it supplies"
    assert "Schematic" in key.inner_text() and "Gray's Anatomy" in key.inner_text()
    assert re.search(r"Saphenous nerve: the inner side of the knee.*numb", key.inner_text(), re.S)


def _territories(root: Path) -> Path:
    return root / "annotations" / "nerve_territories.yaml"


BREAKAGES = {
    "a bone with a territory": (lambda r: edit(_territories(r), "  sural_nerve:\n", "  femur:\n"),
                                r"nerve_territories\.yaml: field 'territories\.femur': 'femur' is not a structure of the nerves group"),
    "colour without a hash": (lambda r: edit(_territories(r), 'colour: "#2aa84a"', 'colour: "2aa84a"'),
                              r"field 'territories\.saphenous_nerve\.colour': must be a colour like"),
    "sector past a full turn": (lambda r: edit(_territories(r), "sector_deg: [30, 145]", "sector_deg: [30, 400]"),
                                r"field 'territories\.lateral_sural_cutaneous_nerve\.patches\[0\]\.sector_deg': must be \[from, to\]"),
    "numbness left as a placeholder": (lambda r: edit(_territories(r), "      Numbness along the outer edge", "      TODO numbness along the outer edge"),
                                       r"field 'territories\.sural_nerve\.numbness': placeholder text 'TODO'"),
    "unknown source": (lambda r: edit(_territories(r), "    source: grays1918\n  lateral_femoral", "    source: grays\n  lateral_femoral"),
                       r"field 'territories\.posterior_femoral_cutaneous_nerve\.source': unknown source 'grays'"),
    "a patch with a stray key": (lambda r: edit(_territories(r), "{height_mm: [-190, -110], sector_deg: [145, 215]}",
                                                 "{height_mm: [-190, -110], sector_deg: [145, 215], side: back}"),
                                 r"field 'territories\.medial_sural_cutaneous_nerve\.patches\[0\]': must have exactly the keys"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_validate_reports_bad_territory_data_in_one_line_naming_file_and_field(breakage, atlas_copy, capsys):
    breaking, expected = BREAKAGES[breakage]
    breaking(atlas_copy)
    line = one_problem(atlas_copy, capsys)
    assert re.search(expected, line), line


def test_choosing_a_skin_nerve_without_a_model_shows_the_skin_turned_to_its_territory_and_says_so(app, atlas):
    app.visible = [sid for sid in app.visible if sid != "skin"]
    app.tree.selected = "saphenous_nerve"
    assert app.selected == "saphenous_nerve" and "skin" in app.visible
    assert app.canvas.appearance["skin"][3], "the skin's look carries no paint"
    eye = np.asarray(app.camera["position"]) - np.asarray(app.camera["focalPoint"])
    assert eye[0] < -0.5 * np.linalg.norm(eye), app.camera  # looked at from the inner side
    assert "Painted on the skin, each in its own colour: the skin supplied by Saphenous nerve." in app.description.description
    assert "in pink" not in app.description.description


def test_the_offline_page_paints_the_territories_of_what_is_selected_in_it(atlas, tmp_path, browser):
    from explorer import export

    lateral = {"position": [700.0, 0.0, 60.0], "focalPoint": [0.0, 0.0, 60.0], "viewUp": [0.0, 0.0, 1.0]}
    path = export.html({"selected": "femur", "camera": lateral}, tmp_path / "knee.html", atlas=atlas)
    data = json.loads(re.search(r'<script id="knee-data" type="application/json">(.*?)</script>',
                                path.read_text(), re.S).group(1))
    assert data["paint"]["common_fibular_nerve"][0] == [-190.0, -10.0, 30.0, 145.0, "#e0761c"]
    assert data["skin"] == ["skin"] and "femur" not in data["paint"] and len(data["paint"]["skin"]) == 12
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.goto(path.as_uri())
    page.wait_for_function("window.kneeExplorer !== undefined")
    box = page.locator("#canvas").bounding_box()
    x, y = page.evaluate("(p) => window.kneeExplorer.project(p)", _skin_point(atlas, 110.0, 90.0).tolist())
    blue_over_red = {}
    for chosen in ("femur", "skin"):  # the skin shows every territory: the outer thigh's nerve in blue
        page.evaluate("(id) => window.kneeExplorer.select(id)", chosen)
        page.wait_for_timeout(300)
        rgb = _pixel(page, box["x"] + x, box["y"] + y)
        blue_over_red[chosen] = float(rgb[2] - rgb[0])
    key = page.locator(".info-territories").inner_text()
    page.close()
    assert blue_over_red["skin"] > 15 and blue_over_red["femur"] < -15, blue_over_red
    assert "Lateral femoral cutaneous nerve: the outer side of the thigh" in key and "Schematic" in key
