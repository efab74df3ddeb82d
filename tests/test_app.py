"""The browser explorer's behaviour, without a browser: set the app's parameters, check its state."""

import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from explorer.app import KneeExplorerApp
from explorer.app.info import cause_html, structure_html
from explorer.app.state import ViewState, decode, encode
from explorer.scene import GHOST_OPACITY, HIGHLIGHT_COLOUR


@pytest.fixture
def app(atlas):
    app = KneeExplorerApp(atlas=atlas)
    yield app
    app.scene.close()


def _colour(app, sid):
    return app.scene.actors[sid].prop.color.hex_rgb.lower()


def _any_cause(atlas, with_mesh=True):
    for cause in atlas.causes.values():
        if not with_mesh or any(atlas[s].mesh is not None for s in cause.structures):
            return cause
    pytest.skip("the atlas has no pain cause yet")


def test_default_view_shows_everything_but_pathology(app, atlas):
    variants = {sid for sid, s in atlas.structures.items() if getattr(s, "pathology", False)}
    assert set(app.visible) == set(app.scene.actors) - variants
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
    assert app.canvas.appearance["fibula"][2] == HIGHLIGHT_COLOUR
    assert app.tree.selected == "fibula"
    app.canvas.receive_pick("")  # a click on the background clears
    assert app.selected == "" and app.scene.selected is None
    assert _colour(app, "fibula") == atlas["fibula"].colour


def test_info_links_lead_to_causes_and_related_structures(app, atlas):
    structure = next((s for s in atlas.structures.values() if s.causes), None)
    if structure is None:
        pytest.skip("no structure is linked to a pain cause yet")
    app.selected = structure.id
    labels = [getattr(w, "label", "") for w in app.info_links.objects]
    cause = atlas.causes[structure.causes[0]]
    assert f"Pain cause: {cause.name}" in labels
    button = next(w for w in app.info_links.objects if getattr(w, "label", "") == f"Pain cause: {cause.name}")
    button.clicks += 1
    assert app.cause == cause.id


def test_annotation_text_is_never_raw_html(atlas):
    for sid in atlas.structures:
        assert "<script" not in structure_html(atlas, sid).lower()
    for cid in atlas.causes:
        assert "<script" not in cause_html(atlas, cid).lower()


def test_unknown_ids_give_a_notice_not_an_error(app):
    app.selected = "<script>alert(1)</script>"
    assert app.selected == ""
    assert "There is no structure" in app.notice and app.notice_pane.visible
    assert "<script>" not in app.notice_pane.object
    app.cause = "no_such_cause"
    assert app.cause == "" and "pain cause" in app.notice


def test_tree_toggles_and_search(app, atlas):
    app.tree.shown = [sid for sid in app.visible if atlas[sid].group != "bones"]
    assert not app.scene.actors["femur"].visibility
    assert app.canvas.appearance["femur"][0] is False
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
    assert app.scene.visible == ["tibia"]
    app.show_all()
    app.hide_selected()
    assert "tibia" not in app.scene.visible and "femur" in app.scene.visible
    app.show_all()
    app.ghost = True
    assert app.scene.actors["femur"].prop.opacity == pytest.approx(GHOST_OPACITY)
    assert app.scene.actors["tibia"].prop.opacity == 1.0
    app.ghost = False
    app.opacity = {"bones": 0.4}
    assert app.canvas.appearance["femur"][1] == pytest.approx(0.4)
    app.reset()
    assert app.selected == "" and app.opacity == {} and set(app.visible) == set(app.default_visible)


def test_views_clipping_and_labels(app):
    app.show_view("posterior")
    assert app.view_3d.camera["position"][1] < 0
    app.show_view("lateral")
    assert app.view_3d.camera["position"][0] > 0
    assert "cam=" in app.link_query()
    app.clip_axis = "front to back"
    app.clip_position = 10.0
    assert app.canvas.clip == {"origin": [0.0, 10.0, 0.0], "normal": [0.0, -1.0, 0.0]}
    app.clip_axis = "off"
    assert app.canvas.clip == {}
    app.labels = True
    assert app.canvas.labels and app.canvas.label_anchors["femur"][0] == "Femur"


def test_pain_cause_mode_highlights_ghosts_frames_and_shows_the_card(app, atlas):
    cause = _any_cause(atlas)
    before = app.view_3d.camera
    app.cause = cause.id
    involved = {s for s in cause.structures if s in app.scene.actors}
    for sid in involved:
        assert app.scene.actors[sid].visibility and _colour(app, sid) == HIGHLIGHT_COLOUR
    others = set(app.scene.actors) - involved
    assert all(app.scene.actors[sid].prop.opacity <= GHOST_OPACITY for sid in others)
    assert app.view_3d.camera != before
    assert app.cause_card.visible and cause.name.replace("'", "&#x27;") in app.cause_card.object
    for item in getattr(cause, "evidence", ()):
        assert item.source.split()[0] in app.cause_card.object
    app.cause = ""
    assert not app.cause_card.visible


def test_pathology_variants_appear_only_with_their_cause(app, atlas):
    variants = [sid for sid, s in atlas.structures.items() if getattr(s, "pathology", False) and sid in app.scene.actors]
    cause = next((c for c in atlas.causes.values() if set(c.structures) & set(variants)), None)
    if cause is None:
        pytest.skip("no pathology variant with a cause yet")
    variant = next(s for s in cause.structures if s in variants)
    assert not app.scene.actors[variant].visibility
    app.cause = cause.id
    assert app.scene.actors[variant].visibility
    app.cause = ""
    assert not app.scene.actors[variant].visibility


def test_link_round_trip_restores_the_view(app, atlas):
    cause = _any_cause(atlas)
    app.tree.shown = ["femur", "tibia", "patella"]
    app.selected = "patella"
    app.cause = cause.id
    app.show_view("medial")
    query = app.link_query()
    params = dict(pair.split("=", 1) for pair in query[1:].split("&"))
    restored = KneeExplorerApp(atlas=atlas, query={k: [v.encode()] for k, v in params.items()})
    try:
        assert restored.notice == ""
        assert restored.selected == "patella" and restored.cause == cause.id
        assert set(restored.visible) == {"femur", "tibia", "patella"}
        assert restored.view_3d.camera["position"] == pytest.approx(app.view_3d.camera["position"], abs=0.5)
        assert restored.link_query() == query
    finally:
        restored.scene.close()


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
])
def test_hostile_links_give_the_default_view_and_a_notice(atlas, query):
    app = KneeExplorerApp(atlas=atlas, query=query)
    try:
        assert app.notice.startswith("This link could not be restored")
        assert app.selected == "" and app.cause == "" and set(app.visible) == set(app.default_visible)
        assert app.notice_pane.visible and "<script>" not in app.notice_pane.object
    finally:
        app.scene.close()


def test_state_encoding_round_trip(atlas):
    state = ViewState(visible=["femur"], selected="femur",
                      camera={"position": [1.5, 2, 3], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})
    query = encode(state, ["femur", "tibia"])
    params = {k: [v] for k, v in (p.split("=") for p in query[1:].split("&"))}
    back = decode(params, atlas)
    assert back.visible == ["femur"] and back.selected == "femur" and back.camera["position"] == [1.5, 2.0, 3.0]
    assert decode({"show": ["-"]}, atlas).visible == []


def test_sessions_have_their_own_state_but_share_the_meshes(atlas):
    first, second = KneeExplorerApp(atlas=atlas), KneeExplorerApp(atlas=atlas)
    try:
        first.selected = "femur"
        assert second.selected == "" and second.scene.selected is None
        for sid, structure in atlas.structures.items():
            if structure.mesh is not None:
                for app in (first, second):
                    points = app.scene.actors[sid].mapper.dataset.points
                    assert np.shares_memory(points, structure.mesh.points), sid
    finally:
        first.scene.close()
        second.scene.close()


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
