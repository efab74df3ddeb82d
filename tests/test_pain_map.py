"""Where does it hurt?: pain regions as data, the ranked causes at a point, the structures beneath it, and the
learning mode in the browser."""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from atlas_edits import edit, one_problem

from explorer.atlas import Atlas, Structure
from explorer.cli import main
from explorer.pain_map import causes_at, causes_in, point_from_ray, region_point, regions_at, structures_beneath

try:
    import browser_support
    from browser_support import browser, expect, open_app, server  # noqa: F401 (fixtures)
except pytest.skip.Exception as missing:  # no Chromium or Playwright here: only the browser test is skipped
    _WHY = str(missing)

    @pytest.fixture
    def open_app():
        pytest.skip(_WHY)

ROOT = Path(__file__).resolve().parents[1]
#: The eye of the view from behind, as a link spells it (``cam=0,-540.9,0,...``).
BEHIND = np.array([0.0, -540.9, 0.0])


def _from_behind(atlas, target) -> tuple[float, ...]:
    """A click's ray from the eye behind the knee through a target point."""
    direction = (np.asarray(target, float) - BEHIND) / np.linalg.norm(np.asarray(target, float) - BEHIND)
    return (*BEHIND, *direction)


def _clicked(atlas, region_id: str) -> np.ndarray:
    """Where a click from behind, aimed at the middle of a region, lands on the default view."""
    return point_from_ray(atlas, _from_behind(atlas, region_point(atlas, region_id)))


def _ids(ranked) -> list[str]:
    return [r.cause.id for r in ranked]


def test_a_click_on_the_inner_back_of_the_knee_lists_bakers_cyst_first_after_the_urgent_causes(atlas):
    point = _clicked(atlas, "medial_popliteal_fossa")
    assert [r.id for r in regions_at(atlas, point)] == ["medial_popliteal_fossa"]
    ranked = causes_at(atlas, point)
    not_urgent = [r for r in ranked if not r.urgent]
    assert not_urgent[0].cause.id == "bakers_cyst" and not_urgent[0].typical == 3
    assert _ids(ranked).index("bakers_cyst") <= 2, "only the urgent causes come before it"


def test_a_click_on_the_outer_back_of_the_knee_lists_the_back_corner_injury(atlas):
    point = _clicked(atlas, "lateral_popliteal_fossa")
    assert [r.id for r in regions_at(atlas, point)] == ["lateral_popliteal_fossa"]
    not_urgent = [r.cause.id for r in causes_at(atlas, point) if not r.urgent]
    assert not_urgent[0] == "back_corner_injury"
    assert "popliteus_injury" in not_urgent[:2]


def test_the_calf_lists_calf_strain_and_dvt_with_dvt_flagged_and_first(atlas):
    ranked = causes_at(atlas, _clicked(atlas, "posterior_calf"))
    assert ranked[0].cause.id == "deep_vein_thrombosis" and ranked[0].urgent and ranked[0].typical == 3
    assert "Red flags" not in ranked[0].red_flags and "breathlessness" in ranked[0].red_flags
    assert "calf_strain" in _ids(ranked)
    assert [r.cause.id for r in ranked if not r.urgent][0] == "calf_strain"


@pytest.mark.parametrize("region_id", ["medial_popliteal_fossa", "central_popliteal_fossa", "lateral_popliteal_fossa",
                                       "posterior_thigh", "posterior_calf", "medial_calf", "lateral_calf",
                                       "anterior_knee", "medial_joint_line", "lateral_joint_line"])
def test_every_region_ranks_urgent_causes_first_then_the_most_typical_then_by_name(atlas, region_id):
    ranked = causes_in(atlas, [region_id])
    assert ranked, f"no cause is felt in {region_id}"
    keys = [(not r.urgent, -r.typical, r.cause.name.lower()) for r in ranked]
    assert keys == sorted(keys)
    urgent = {c.id for c in atlas.causes.values() if c.urgent and any(l.region == region_id for l in c.pain_regions)}
    assert {r.cause.id for r in ranked[:len(urgent)]} == urgent


def test_every_cause_says_where_it_is_felt_with_a_known_source(atlas):
    for cause in atlas.causes.values():
        assert cause.pain_regions, f"{cause.id} has no pain_regions"
        for link in cause.pain_regions:
            assert link.region in atlas.pain_regions.regions and link.source in atlas.pain_regions.sources
            assert link.typical in (1, 2, 3)


def _landmarks() -> dict[str, np.ndarray]:
    data = tomllib.loads((ROOT / "meshes" / "landmarks.toml").read_text(encoding="utf-8"))
    return {name: np.array(entry["point_mm"]) for name, entry in data["landmarks"].items()}


@pytest.mark.parametrize("landmark, region_id", [
    ("tibial_tuberosity", "anterior_knee"),
    ("patella_apex", "anterior_knee"),
    ("fibular_head_apex", "lateral_popliteal_fossa"),
    ("lateral_condyle_back", "lateral_popliteal_fossa"),
    ("medial_condyle_back", "medial_popliteal_fossa"),
])
def test_the_skin_over_each_bony_landmark_lies_in_the_region_named_after_it(atlas, landmark, region_id):
    regions = atlas.pain_regions
    height, angle = regions.height_and_angle(_landmarks()[landmark])
    assert region_id in [r.id for r in regions_at(atlas, regions.surface_point(height, angle))]


def test_the_joint_lines_are_level_with_the_tibial_plateau_and_the_epicondyles_above_them(atlas):
    marks, regions = _landmarks(), atlas.pain_regions.regions
    for side in ("medial", "lateral"):
        low, high = regions[f"{side}_joint_line"].height_mm
        assert low < 0 < high < marks[f"{side}_epicondyle"][2]
        epicondyle = atlas.pain_regions.height_and_angle(marks[f"{side}_epicondyle"])[1]
        assert regions[f"{side}_joint_line"].covers(0.0, epicondyle)


def test_the_structures_beneath_the_calf_run_from_the_gastrocnemius_to_the_soleus(atlas):
    beneath = structures_beneath(atlas, _clicked(atlas, "posterior_calf"))
    assert "gastrocnemius_medial_head" in beneath and "soleus" in beneath
    assert beneath.index("gastrocnemius_medial_head") < beneath.index("soleus")
    assert "skin" not in beneath


def test_the_structures_beneath_the_inner_back_of_the_knee_hold_the_bursa_not_the_cyst(atlas):
    beneath = structures_beneath(atlas, _clicked(atlas, "medial_popliteal_fossa"))
    assert "semimembranosus" in beneath[:3], "the muscle bounding the inner back of the knee comes first, or nearly"
    assert beneath.index("semimembranosus") < beneath.index("semimembranosus_gastrocnemius_bursa")
    assert "bakers_cyst" not in beneath  # a pathology variant is not there in every knee
    shallow = structures_beneath(atlas, _clicked(atlas, "medial_popliteal_fossa"), depth_mm=20.0)
    assert shallow and shallow == beneath[:len(shallow)] and len(shallow) < len(beneath), "deeper looks further in"


def _with_skin(atlas, radius_mm: float) -> Atlas:
    import pyvista as pv

    skin = Structure("skin", "Skin", "skin", "skin", (), "#f1c6a8", "", Path("skin.md"))
    skin.mesh = pv.Cylinder(center=(2, -5, 0), direction=(0, 0, 1), radius=radius_mm, height=500,
                            resolution=180, capping=True).triangulate()
    femur = atlas["femur"]
    return Atlas(atlas.root, atlas.title, atlas.groups, {"femur": femur, "skin": skin}, atlas.causes,
                 pain_regions=atlas.pain_regions)


def test_a_click_lands_on_the_skin_else_on_what_is_shown_else_on_the_cylinder(atlas):
    target = np.array([2.0, -60.0, 60.0])
    ray = _from_behind(atlas, target)
    on_skin = point_from_ray(_with_skin(atlas, 70.0), ray)
    assert math.hypot(on_skin[0] - 2, on_skin[1] + 5) == pytest.approx(70.0, abs=0.5)
    calf = _from_behind(atlas, (-20.0, -60.0, -120.0))
    on_muscle = point_from_ray(atlas, calf, visible=["gastrocnemius_medial_head"])
    nearest = np.linalg.norm(np.asarray(atlas["gastrocnemius_medial_head"].mesh.points) - on_muscle, axis=1).min()
    assert nearest < 3 and on_muscle[1] < -40, "on the outer surface of the muscle shown"
    for visible in ([], ["femur"]):  # nothing shown, or only a bone deep inside the leg
        on_cylinder = point_from_ray(atlas, ray, visible=visible)
        centre, radius = atlas.pain_regions.centre(on_cylinder[2])
        assert np.linalg.norm(on_cylinder[:2] - centre) == pytest.approx(radius, abs=0.5)
        assert on_cylinder[1] < -55
    passing = point_from_ray(atlas, (300.0, -540.9, -100.0, 0.0, 1.0, 0.0), visible=[])  # well beside the leg
    assert regions_at(atlas, passing)[0].id == "lateral_calf"


def test_the_note_on_scans_gives_each_figure_with_its_study_and_says_it_is_no_diagnosis(atlas):
    from explorer.app.pain_map import scans_note_html

    note = atlas.pain_regions
    sources = {item.source for item in note.scans_evidence}
    assert "a 2018 systematic review of 63 studies" in sources and "a 2016 study of 506 hamstrings" in sources
    html = scans_note_html(atlas)
    assert "19% to 43%" in html and "not a diagnosis" in html


SHARED = Path(os.environ.get("KNEE_EXPLORER_SHARED") or ROOT.parent / "shared")
ARTICLE = SHARED / "seed" / "posterior-knee-pain-article.txt"


@pytest.mark.skipif(not ARTICLE.is_file(), reason=f"source article not found at {ARTICLE} (set KNEE_EXPLORER_SHARED)")
def test_every_number_in_the_note_on_scans_is_in_the_article(atlas):
    article = ARTICLE.read_text(encoding="utf-8").replace("\u2019", "'")
    for item in atlas.pain_regions.scans_evidence:
        for number in re.findall(r"\d[\d,.]*\d|\d", item.finding + " " + item.source):
            assert number in article, f"{number} ({item.source}) is not in the article"


def _regions(root: Path) -> Path:
    return root / "annotations" / "pain_regions.yaml"


def _calf_strain(root: Path) -> Path:
    return root / "annotations" / "causes" / "calf_strain.md"


BREAKAGES = {
    "sector past a full turn": (lambda r: edit(_regions(r), "sector_deg: [140, 220]", "sector_deg: [140, 400]"),
                                r"pain_regions\.yaml: field 'regions\.posterior_calf\.sector_deg': must be \[from, to\]"),
    "height band upside down": (lambda r: edit(_regions(r), "height_mm: [-250, -60]", "height_mm: [-60, -250]"),
                                r"pain_regions\.yaml: field 'regions\.posterior_calf\.height_mm': must be \[low, high\]"),
    "region without bounds": (lambda r: edit(_regions(r), "      The bulk of the calf", "      TBD the bulk of the calf"),
                              r"pain_regions\.yaml: field 'regions\.posterior_calf\.bounds': placeholder text 'TBD'"),
    "unknown region source": (lambda r: edit(_regions(r), "    source: grays\n  medial_calf:", "    source: gray\n  medial_calf:"),
                              r"pain_regions\.yaml: field 'regions\.posterior_calf\.source': unknown source 'gray'"),
    "axis radius zero": (lambda r: edit(_regions(r), "{z: 0, centre: [2, -5], radius: 56}", "{z: 0, centre: [2, -5], radius: 0}"),
                         r"pain_regions\.yaml: field 'axis\[3\]\.radius': must be a positive number of mm"),
    "cause names an unknown region": (lambda r: edit(_calf_strain(r), "region: posterior_calf", "region: back_of_calf"),
                                      r"calf_strain\.md: field 'pain_regions\[0\]\.region': unknown region 'back_of_calf'"),
    "cause typicality out of range": (lambda r: edit(_calf_strain(r), "posterior_calf, typical: 3", "posterior_calf, typical: 5"),
                                      r"calf_strain\.md: field 'pain_regions\[0\]\.typical': must be 1, 2 or 3"),
    "cause cites an unknown source": (lambda r: edit(_calf_strain(r), "typical: 3, source: article}", "typical: 3, source: blog}"),
                                      r"calf_strain\.md: field 'pain_regions\[0\]\.source': unknown source 'blog'"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_validate_reports_bad_pain_region_data_in_one_line_naming_file_and_field(breakage, atlas_copy, capsys):
    breaking, expected = BREAKAGES[breakage]
    breaking(atlas_copy)
    line = one_problem(atlas_copy, capsys)
    assert re.search(expected, line), line


def test_an_atlas_without_the_regions_file_has_no_map_and_its_causes_cannot_point_at_regions(atlas_copy, capsys):
    _regions(atlas_copy).unlink()
    assert main(["--root", str(atlas_copy), "validate"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"bakers_cyst\.md: field 'pain_regions\[0\]\.region': unknown region 'medial_popliteal_fossa'", err)


# The learning mode, in Python and in the browser ------------------------------------------------------------------

@pytest.fixture
def app(atlas):
    from explorer.app.explorer import KneeExplorerApp

    return KneeExplorerApp(atlas=atlas)


def _mode(app):
    from explorer.app.pain_map import PainMapMode

    return next(mode for mode in app.modes if isinstance(mode, PainMapMode))


def test_with_the_mode_on_a_click_places_a_point_instead_of_selecting(app, atlas):
    mode = _mode(app)
    mode.switch(True)
    target = region_point(atlas, "medial_popliteal_fossa")
    app.canvas.receive_pick("semimembranosus", list(_from_behind(atlas, target)))
    assert app.selected == "" and "bakers_cyst" in [r.cause.id for r in mode.ranked[:3]]
    assert re.fullmatch(r"\?hurt=-?[\d.]+%2C-?[\d.]+%2C-?[\d.]+", app.link_query())
    looks = app.canvas.appearance
    assert looks["semimembranosus"][1] == 1.0 and looks["femur"][1] < 0.2, "the structures beneath stand out"
    assert "semimembranosus" in app.canvas.named
    mode.switch(False)
    assert app.link_query() == "" and app.canvas.appearance["femur"][1] == 1.0 and app.canvas.named == {}
    app.canvas.receive_pick("semimembranosus", list(_from_behind(atlas, target)))
    assert app.selected == "semimembranosus", "with the mode off a click selects again"


def test_a_region_chosen_from_the_list_is_in_the_link_and_comes_back_from_it(app, atlas):
    from explorer.app.explorer import KneeExplorerApp

    mode = _mode(app)
    mode.chooser.value = "posterior_calf"
    assert mode.on and mode.ranked[0].cause.id == "deep_vein_thrombosis"
    assert "hurt=posterior_calf" in app.link_query()
    restored = KneeExplorerApp(atlas=atlas, query={"hurt": [b"posterior_calf"]})
    assert _mode(restored).region == "posterior_calf" and _mode(restored).ranked[0].urgent
    refused = KneeExplorerApp(atlas=atlas, query={"hurt": [b"<script>,1,2"]})
    assert _mode(refused).point is None and "&lt;script&gt;" in _mode(refused).result.object


def test_the_point_is_pinned_its_region_painted_on_the_skin_and_its_skin_nerve_named(app, atlas):
    mode = _mode(app)
    mode.choose_region("posterior_calf")
    assert app.canvas.marker == {"point": [round(float(v), 2) for v in mode.point], "text": "Where it hurts"}
    region = atlas.pain_regions.regions["posterior_calf"]
    assert app.canvas.appearance["skin"][3] == [[*region.height_mm, *region.sector_deg, "#f2b8b5"]]
    assert "The skin here is supplied by the medial sural cutaneous nerve (schematic). Numbness" in mode.result.object
    mode.choose_region("medial_popliteal_fossa")
    assert "supplied by the saphenous nerve" in mode.result.object
    mode.switch(False)
    assert app.canvas.marker == {} and len(app.canvas.appearance["skin"]) == 3, "the pin and the paint go with the point"


def test_the_cards_flag_urgent_causes_with_their_red_flags(app):
    mode = _mode(app)
    mode.choose_region("posterior_calf")
    html = mode.result.object
    cards = re.findall(r'<li class="([^"]+)" data-cause="([^"]+)"', html)
    assert cards[0] == ("pain-cause pain-urgent", "deep_vein_thrombosis")
    assert all("pain-urgent" in kind for kind, cause in cards[:2]) and "pain-urgent" not in cards[2][0]
    first = html.split("</li>")[0]
    assert "Urgent:" in first and "Red flags" in first and "breathlessness" in first


def test_the_browser_mode_places_a_click_and_lists_the_causes_and_the_regions_from_the_keyboard(open_app, atlas, monkeypatch):
    monkeypatch.setattr(browser_support, "CAMERA", {"position": BEHIND.tolist(), "focalPoint": [0.0, 0.0, 0.0],
                                                   "viewUp": [0.0, 0.0, 1.0]})
    page = open_app("?cam=0,-540.9,0,0,0,0,0,0,1")
    page.get_by_role("tab", name="Learn").click()
    page.get_by_role("checkbox", name=re.compile("Take a point")).check()
    x, y = browser_support.canvas_point(page, region_point(atlas, "medial_popliteal_fossa"))
    page.mouse.click(x, y)
    cards = page.locator(".pain-cause")
    expect(cards.locator("h3", has_text=re.compile(r"^Baker's cyst$"))).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="Back of the knee, inner side")).to_be_visible()
    expect(page.locator(".info-name")).to_have_count(0)  # nothing was selected
    expect(page.locator(".pain-scans")).to_contain_text("a 2018 systematic review of 63 studies")
    page.get_by_role("combobox", name="Or choose where it hurts").select_option(label="Back of the calf")
    expect(cards.first).to_contain_text("Deep vein thrombosis")
    expect(cards.first).to_have_class(re.compile("pain-urgent"))
    expect(cards.first).to_contain_text("Urgent")
    expect(cards.locator("h3", has_text=re.compile(r"^Calf strain$"))).to_have_count(1)
    expect(page).to_have_url(re.compile(r"hurt=posterior_calf"))


AXE = ROOT / ".node" / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, { runOnly: { type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact,
                                         where: v.nodes.slice(0, 3).map((n) => n.target.join(" > ")) }));
}"""


def test_axe_finds_nothing_in_the_pain_map_with_its_cards_shown(open_app):
    if not AXE.exists():
        pytest.skip(f"accessibility checks need axe-core at {AXE} (make test installs it with npm)")
    page = open_app("?hurt=posterior_calf")
    page.get_by_role("tab", name="Learn").click()
    expect(page.locator(".pain-cause").first).to_contain_text("Deep vein thrombosis")
    expect(page.get_by_role("checkbox", name=re.compile("Take a point"))).to_be_checked()
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []
