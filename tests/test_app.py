"""The browser explorer's behaviour, without a browser: set the app's parameters, check its state."""

import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from explorer.app import KneeExplorerApp
from explorer.app.info import WELCOME, cause_heading_html, cause_text_html, structure_html
from explorer.app.state import ViewState, decode, encode
from explorer.appearance import GHOST_OPACITY, HIGHLIGHT_COLOUR
from explorer.sight import near_knee
from explorer.views import named_camera



def _colour(app, sid):
    return app.canvas.appearance[sid][2]


def _shown(app):
    return {sid for sid, (visible, _opacity, _colour) in app.canvas.appearance.items() if visible}


def _opacity(app, sid):
    return app.canvas.appearance[sid][1]


def _any_cause(atlas, with_mesh=True):
    for cause in atlas.causes.values():
        if not with_mesh or any(atlas[s].mesh is not None for s in cause.structures):
            return cause
    pytest.skip("the atlas has no pain cause yet")


def test_default_view_shows_everything_but_pathology(app, atlas):
    variants = {sid for sid, s in atlas.structures.items() if getattr(s, "pathology", False)}
    assert set(app.visible) == set(app.canvas.appearance) - variants == _shown(app)
    assert all(app.canvas.appearance[sid][0] is False for sid in variants)
    assert app.link_query() == ""
    assert app.notice == ""


def test_picking_a_bone_selects_it_and_shows_its_text_and_licence(app, atlas):
    app.canvas.receive_pick("fibula")  # what a click on the canvas sends
    assert app.selected == "fibula"
    assert app.info.object.startswith('<h2 class="info-name">Fibula</h2>')
    assert atlas["fibula"].summary.split(".")[0].split(",")[0] in app.info.object
    assert atlas["fibula"].provenance.license in app.info.object
    assert _colour(app, "fibula") == HIGHLIGHT_COLOUR
    assert app.tree.selected == "fibula"
    app.canvas.receive_pick("")  # a click on the background clears
    assert app.selected == "" and app.tree.selected == ""
    assert _colour(app, "fibula") == atlas["fibula"].colour


def test_info_links_lead_to_causes_and_related_structures(app, atlas):
    structure = next((s for s in atlas.structures.values() if s.causes), None)
    if structure is None:
        pytest.skip("no structure is linked to a pain cause yet")
    app.selected = structure.id
    labels = [item["label"] for item in app.info_links.items]
    cause = atlas.causes[structure.causes[0]]
    assert f"Pain cause: {cause.name}" in labels
    app.info_links.choose("cause", cause.id)  # what a click on the link sends
    assert app.cause == cause.id
    related = next(item for item in app.cause_links.items if item["kind"] == "structure")
    app.cause_links.choose("structure", related["id"])
    assert app.selected == related["id"]
    app.cause_links.choose("structure", "not_on_show")  # only links on show count
    assert app.selected == related["id"]
    app.leave_cause_button.clicks += 1
    assert app.cause == ""


def test_opening_a_cause_clears_the_selection_and_lists_its_structures_first(app, atlas):
    app.selected = "semimembranosus"
    app.info_links.choose("cause", "bakers_cyst")
    assert app.cause == "bakers_cyst"
    assert app.selected == "" and app.info.object == WELCOME
    assert [item["id"] for item in app.cause_links.items] == list(atlas.causes["bakers_cyst"].structures)
    assert app.cause_links.heading == "Structures involved"


def _looking_from(camera) -> np.ndarray:
    offset = np.subtract(camera["position"], camera["focalPoint"])
    return offset / np.linalg.norm(offset)


def test_choosing_from_the_list_turns_and_zooms_onto_the_structure(app, atlas):
    app.tree.selected = "tibial_nerve"  # what a click on its name in the tree sends
    assert app.selected == "tibial_nerve"
    assert _looking_from(app.camera) @ [0, -1, 0] > 0.99  # from behind, where the nerve lies
    distance = np.linalg.norm(np.subtract(app.camera["position"], app.camera["focalPoint"]))
    assert distance < 0.8 * np.linalg.norm(named_camera("anterior")["position"])  # closer than the default
    nerve = near_knee(atlas["tibial_nerve"].mesh.points)
    assert np.linalg.norm(nerve.mean(axis=0)[[0, 2]] - np.asarray(app.camera["focalPoint"])[[0, 2]]) < 30
    app.cause_links.items = [{"label": "x", "kind": "structure", "id": "lateral_collateral_ligament"}]
    app.cause_links.choose("structure", "lateral_collateral_ligament")
    assert _looking_from(app.camera) @ [1, 0, 0] > 0.99  # the LCL from the lateral side


def test_a_structure_hidden_from_every_side_is_shown_with_x_ray(app):
    app.tree.selected = "anterior_cruciate_ligament"
    assert app.ghost and app.selected == "anterior_cruciate_ligament"
    app.tree.selected = ""
    assert app.selected == ""


def test_a_structure_chosen_while_hidden_is_shown_again(app):
    app.visible = [sid for sid in app.visible if sid != "tibial_nerve"]
    app.tree.selected = "tibial_nerve"
    assert "tibial_nerve" in app.visible


def test_isolating_a_group_shows_it_alone_and_frames_it(app, atlas):
    bones = [s.id for s in atlas.in_group("bones") if s.mesh is not None]
    app.tree._handle_msg({"isolate": bones})  # the group's "only" button
    assert sorted(app.visible) == sorted(bones)
    before = dict(app.camera)
    app.isolate(["medial_meniscus", "lateral_meniscus"])
    assert sorted(app.visible) == ["lateral_meniscus", "medial_meniscus"]
    assert np.linalg.norm(np.subtract(app.camera["position"], app.camera["focalPoint"])) < \
        np.linalg.norm(np.subtract(before["position"], before["focalPoint"]))
    app.hide_all()
    assert app.visible == []


def test_the_cyst_is_see_through_round_its_solid_bursa(app, atlas):
    app.cause = "bakers_cyst"
    looks = app.canvas.appearance
    cyst, bursa = looks["bakers_cyst"], looks["semimembranosus_gastrocnemius_bursa"]
    assert cyst[0] and bursa[0] and cyst[1] < 0.5 and bursa[1] == 1.0
    assert cyst[2] != bursa[2]


def test_the_view_is_described_in_words_and_a_selection_announced(app, atlas):
    app.show_view("posterior")
    app.selected = "tibia"
    assert app.description.description.startswith("The right knee seen from behind.")
    assert "Selected: Tibia" in app.description.description
    assert app.description.announcement == "Selected: Tibia."
    app.cause = "deep_vein_thrombosis"
    assert app.description.announcement == "Pain cause: Deep vein thrombosis."
    assert "Popliteal vein" in app.description.description


def test_annotation_text_is_never_raw_html(atlas):
    for sid in atlas.structures:
        assert "<script" not in structure_html(atlas, sid).lower()
    for cid in atlas.causes:
        assert "<script" not in (cause_heading_html(atlas, cid) + cause_text_html(atlas, cid)).lower()


def test_unknown_ids_give_a_notice_not_an_error(app):
    app.selected = "<script>alert(1)</script>"
    assert app.selected == ""
    assert "There is no structure" in app.notice and app.notice_pane.visible
    assert "<script>" not in app.notice_pane.object
    app.cause = "no_such_cause"
    assert app.cause == "" and "pain cause" in app.notice


def test_tree_toggles_and_search(app, atlas):
    app.tree.shown = [sid for sid in app.visible if atlas[sid].group != "bones"]
    assert "femur" not in _shown(app) and "tibia" not in _shown(app) and "medial_meniscus" in _shown(app)
    app.search.value_input = "shin bone"
    assert "tibia" in app.tree.matches
    app.search.value_input = "BONES"
    assert {"femur", "tibia"} <= set(app.tree.matches)
    app.search.value_input = ""
    assert app.tree.matches is None
    app.tree.selected = "tibia"
    assert app.selected == "tibia"


def test_search_finds_aliases_of_every_structure(app, atlas):
    for structure in atlas.structures.values():
        for alias in structure.aliases:
            app.search.value_input = alias
            assert structure.id in app.tree.matches, alias


def test_hide_isolate_ghost_restore_and_opacity(app, atlas):
    app.selected = "tibia"
    app.isolate_selected()
    assert _shown(app) == {"tibia"}
    app.show_all()
    app.hide_selected()
    assert "tibia" not in _shown(app) and "femur" in _shown(app)
    app.show_all()
    app.ghost = True
    assert _opacity(app, "femur") == pytest.approx(GHOST_OPACITY)
    assert _opacity(app, "tibia") == 1.0
    assert "xray=1" in app.link_query()
    app.ghost = False
    app.opacity = {"bones": 0.4}
    assert _opacity(app, "femur") == pytest.approx(0.4) and _opacity(app, "medial_meniscus") == 1.0
    assert app.opacity_sliders["bones"].value == 40  # per cent
    app.opacity_sliders["bones"].value = 65  # what moving the slider sends
    assert app.opacity["bones"] == pytest.approx(0.65)
    app.opacity_sliders["bones"].value = 40
    assert "op=bones:0.4" in app.link_query()
    app.reset()
    assert app.selected == "" and app.opacity == {} and set(app.visible) == set(app.default_visible)


def test_views_clipping_and_labels(app):
    app.show_view("posterior")
    assert app.canvas.camera["position"][1] < 0
    app.show_view("lateral")
    assert app.canvas.camera["position"][0] > 0
    assert "cam=" in app.link_query()
    app.clip_axis = "front to back"
    app.clip_position = 10.0
    assert app.canvas.clip == {"origin": [0.0, 10.0, 0.0], "normal": [0.0, -1.0, 0.0]}
    assert "clip=y:10" in app.link_query()
    app.clip_axis = "off"
    assert app.canvas.clip == {}
    app.labels = True
    assert app.canvas.labels and "labels=1" in app.link_query()
    assert next(e for e in app.canvas.manifest if e["id"] == "femur")["name"] == "Femur"


def test_a_camera_moved_in_the_browser_goes_into_the_link(app):
    moved = {"position": [100.0, 300.0, 50.0], "focalPoint": [0.0, 0.0, 0.0], "viewUp": [0.0, 0.0, 1.0]}
    app.canvas.camera = moved  # what the browser writes after a drag
    assert app.camera == moved and "cam=100,300,50,0,0,0,0,0,1" in app.link_query()
    app.canvas.camera = {"position": ["x"]}  # garbage from the page is ignored
    assert app.camera == moved


def test_pain_cause_mode_highlights_ghosts_frames_and_shows_the_card(app, atlas):
    cause = _any_cause(atlas)
    before = app.canvas.camera
    app.cause = cause.id
    involved = {s for s in cause.structures if s in app.canvas.appearance}
    for sid in involved:
        assert sid in _shown(app) and _colour(app, sid) == atlas[sid].colour and _opacity(app, sid) > GHOST_OPACITY
    others = set(app.canvas.appearance) - involved
    assert all(_opacity(app, sid) <= GHOST_OPACITY for sid in others)
    assert app.canvas.camera != before and app.canvas.camera["position"][1] < 0  # from behind
    assert app.cause_card.visible and cause.name.replace("'", "&#x27;") in app.cause_card.object
    for item in getattr(cause, "evidence", ()):
        assert item.source.split()[0] in app.cause_card.object
    app.cause = ""
    assert not app.cause_card.visible


def test_pathology_variants_appear_only_with_their_cause(app, atlas):
    variants = [sid for sid, s in atlas.structures.items() if s.pathology and sid in app.canvas.appearance]
    cause = next((c for c in atlas.causes.values() if set(c.structures) & set(variants)), None)
    if cause is None:
        pytest.skip("no pathology variant with a cause yet")
    variant = next(s for s in cause.structures if s in variants)
    assert variant not in _shown(app)
    app.cause = cause.id
    enclosed = set(atlas[variant].encloses)
    assert variant in _shown(app) and _opacity(app, variant) == (0.45 if enclosed else 1.0)
    assert all(_opacity(app, sid) < 0.5 for sid in cause.structures
               if sid != variant and sid in _shown(app) and sid not in enclosed)
    app.cause = ""
    assert variant not in _shown(app)


def test_link_round_trip_restores_the_view(app, atlas, meshes):
    cause = _any_cause(atlas)
    app.tree.shown = ["femur", "tibia", "patella"]
    app.cause = cause.id
    app.selected = "patella"
    app.show_view("medial")
    app.param.update(opacity={"bones": 0.5}, labels=True, clip_axis="top to bottom", clip_position=-12.0)
    query = app.link_query()
    params = dict(pair.split("=", 1) for pair in query[1:].split("&"))
    restored = KneeExplorerApp(atlas=atlas, query={k: [v.encode()] for k, v in params.items()}, meshes=meshes)
    assert restored.notice == ""
    assert restored.selected == "patella" and restored.cause == cause.id
    assert set(restored.visible) == {"femur", "tibia", "patella"}
    assert restored.canvas.camera["position"] == pytest.approx(app.canvas.camera["position"], abs=0.5)
    assert restored.canvas.appearance == app.canvas.appearance and restored.canvas.clip == app.canvas.clip
    assert restored.labels and restored.clip_slider.value == -12.0
    assert restored.link_query() == query


@pytest.mark.parametrize("query", [
    {"sel": [b"<script>alert(1)</script>"]},
    {"sel": [b"no_such_structure"]},
    {"show": [b"femur,../../etc/passwd"]},
    {"cause": [b"nope"]},
    {"cam": [b"1,2,3"]},
    {"cam": [b"nan,0,0,0,0,0,0,0,1"]},
    {"cam": [b"0,0,0,0,0,0,0,0,1"]},
    {"sel": [b"femur", b"tibia"]},
    {"sel": [b"\xff\xfe"]},
    {"show": [b"a" * 10000]},
    {"op": [b"bones:7"]},
    {"op": [b"no_group:0.5"]},
    {"clip": [b"w:3"]},
    {"clip": [b"y:1e9"]},
    {"xray": [b"yes"]},
])
def test_hostile_links_give_the_default_view_and_a_notice(atlas, meshes, query):
    app = KneeExplorerApp(atlas=atlas, query=query, meshes=meshes)
    assert app.notice.startswith("This link could not be restored")
    assert app.selected == "" and app.cause == "" and set(app.visible) == set(app.default_visible)
    assert app.opacity == {} and not app.ghost and app.canvas.clip == {}
    assert app.notice_pane.visible and "<script>" not in app.notice_pane.object


def test_state_encoding_round_trip(atlas):
    state = ViewState(visible=["femur"], selected="femur",
                      camera={"position": [1.5, 2, 3], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})
    query = encode(state, ["femur", "tibia"])
    params = {k: [v] for k, v in (p.split("=") for p in query[1:].split("&"))}
    back = decode(params, atlas)
    assert back.visible == ["femur"] and back.selected == "femur" and back.camera["position"] == [1.5, 2.0, 3.0]
    assert decode({"show": ["-"]}, atlas).visible == []


def test_sessions_have_their_own_state_but_share_the_meshes(atlas, meshes):
    first, second = KneeExplorerApp(atlas=atlas, meshes=meshes), KneeExplorerApp(atlas=atlas, meshes=meshes)
    first.selected = "femur"
    assert second.selected == "" and _colour(second, "femur") == atlas["femur"].colour
    assert first.canvas.manifest is second.canvas.manifest is meshes.manifest


def test_packed_meshes_keep_every_vertex_within_a_hundredth_of_a_millimetre(atlas, meshes):
    for entry in meshes.manifest:
        count = entry["vertices"] * 3
        quantised = np.frombuffer(meshes.payload, "<u2", count, entry["positions_at"]).reshape(-1, 3)
        points = entry["origin"] + quantised * np.asarray(entry["step"])
        assert np.abs(points - atlas[entry["id"]].mesh.points).max() < 0.01, entry["id"]
        faces = np.frombuffer(meshes.payload, f"<u{entry['index_bytes']}", entry["triangles"] * 3, entry["indices_at"])
        assert faces.max() < entry["vertices"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_serve_prints_its_url_and_serves_the_page_and_credits():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "explorer.cli", "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout.readline().strip() == f"Knee explorer: http://localhost:{port}/"
        deadline, page = time.monotonic() + 120, None
        while page is None and time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://localhost:{port}/", timeout=30).read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None and "<title>Knee explorer</title>" in page
        credits = urllib.request.urlopen(f"http://localhost:{port}/credits", timeout=60).read().decode()
        assert "<title>Knee explorer</title>" in credits
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_click_reports_its_ray_for_modes_that_need_the_point(app):
    app.canvas._handle_msg({"picked": "tibia", "ray": [0, 500, 0, 0, -1, 0]})  # what the page sends
    assert app.selected == "tibia" and app.canvas.last_ray == (0.0, 500.0, 0.0, 0.0, -1.0, 0.0)
    taken = []
    app.pick_handler = lambda sid: taken.append(sid) or True
    app.canvas._handle_msg({"picked": "femur", "ray": [0, "x", 0, 0, -1, 0]})
    assert taken == ["femur"] and app.selected == "tibia" and app.canvas.last_ray is None


class _CountingMode:
    """A learning mode that counts its clicks and keeps the count in the link."""

    title = "Count clicks"

    def __init__(self, app):
        self.app, self.count = app, 0
        app.pick_handler = self.take

    def take(self, structure_id):
        self.count += 1
        self.app.update_link()
        return True

    def __panel__(self):
        import panel as pn
        return pn.pane.HTML(str(self.count))

    def link_args(self):
        return {"count": str(self.count)} if self.count else {}

    def restore(self, query):
        self.count = int(query.get("count", [b"0"])[0])


def test_a_learning_mode_takes_clicks_and_keeps_its_state_in_the_link(atlas, meshes, sightlines, monkeypatch):
    from explorer.app import learning

    monkeypatch.setattr(learning, "MODES", (_CountingMode,))
    app = KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines)
    app.canvas.receive_pick("tibia")
    assert app.selected == "" and app.link_query() == "?count=1"
    app.selected = "femur"
    assert app.link_query() == "?sel=femur&count=1"
    restored = KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines,
                               query={"sel": [b"femur"], "count": [b"4"]})
    assert restored.modes[0].count == 4 and restored.selected == "femur"


def test_a_link_into_a_learning_mode_opens_the_learn_tab_with_that_mode_first(atlas, meshes, sightlines):
    from explorer.app.tabs import Tabs

    plain = KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines).__panel__().select(Tabs)[0]
    assert plain.names[plain.active] == "Structures"
    linked = KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines,
                             query={"hurt": [b"posterior_calf"]})
    tabs = linked.__panel__().select(Tabs)[0]
    assert tabs.names[tabs.active] == "Learn"
    first = tabs.objects[tabs.active].objects[0]
    assert "Where does it hurt?" in first.objects[0].object  # the mode's heading comes first
