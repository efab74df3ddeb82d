"""Saved views: the app's link state as a JSON file, read and written by the CLI and the Python API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.app.state import ViewState
from explorer.cli import main
from explorer import export
from explorer.export import SavedView, load_view, save_view


def test_round_trip_through_file(tmp_path, atlas):
    camera = {"position": [0.0, -500.0, 10.0], "focalPoint": [0.0, 0.0, 10.0], "viewUp": [0.0, 0.0, 1.0]}
    view = SavedView(ViewState(visible=["femur", "tibia"], selected="tibia", cause="pcl_tear", camera=camera),
                     labels=True, title="PCL")
    path = save_view(view, tmp_path / "pcl.json")
    again = load_view(path, atlas)
    assert again.state.visible == ["femur", "tibia"] and again.state.selected == "tibia"
    assert again.state.cause == "pcl_tear" and again.state.camera == camera
    assert again.labels is True and again.title == "PCL"
    assert json.loads(path.read_text())["format"] == "knee-explorer-view"


def test_a_view_given_as_a_dict_is_saved_as_the_file_it_describes(tmp_path, atlas):
    path = export.export({"version": 1, "camera": "posterior", "selected": "tibia"}, tmp_path / "v.json", atlas=atlas)
    view = load_view(path, atlas)
    assert (view.camera_name, view.state.selected) == ("posterior", "tibia")
    with pytest.raises(ValueError, match="unknown structure id 'shin'"):
        export.export({"version": 1, "selected": "shin"}, tmp_path / "w.json", atlas=atlas)
    assert not (tmp_path / "w.json").exists()


def test_same_state_as_the_app_link(atlas):
    link = "http://localhost:5006/?show=femur,tibia&sel=femur&cause=pcl_tear"
    view = SavedView.from_query(link, atlas)
    assert view.state.visible == ["femur", "tibia"] and view.state.selected == "femur"
    assert view.to_query(atlas) == "?show=femur,tibia&sel=femur&cause=pcl_tear"


@pytest.mark.parametrize("data, message", [
    ({"selected": "femurr"}, "unknown structure id 'femurr'"),
    ({"cause": "gout"}, "unknown pain cause id 'gout'"),
    ({"camera": "below"}, "unknown view 'below'"),
    ({"show": ["popliteal_fossa"]}, "has no mesh"),
    ({"zoom": 2}, "unknown saved-view key 'zoom'"),
    ({"camera": {"position": [0, 0, 0]}}, "'camera' must have"),
    ({"opacity": {"bone": 0.5}}, "unknown group id 'bone'"),
    ({"opacity": {"bones": 2}}, "opacity of 'bones'"),
    ({"xray": "yes"}, "'xray' must be true or false"),
    ({"clip": {"axis": "w", "position": 0}}, "'clip' must be null"),
    ({"clip": {"axis": "y", "position": 500}}, "'clip' position"),
])
def test_bad_views_name_the_problem(tmp_path, atlas, data, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message):
        load_view(path, atlas)


def test_cli_writes_and_reads_a_saved_view(tmp_path, capsys):
    out = tmp_path / "lecture" / "posterior.json"
    out.parent.mkdir()
    assert main(["export", str(out), "--camera", "posterior", "--cause", "bakers_cyst", "--labels",
                 "--title", "Baker's cyst"]) == 0
    data = json.loads(out.read_text())
    assert data["camera"] == "posterior" and data["cause"] == "bakers_cyst" and data["labels"] is True
    copy = tmp_path / "copy.json"
    assert main(["export", str(copy), "--view", str(out), "--select", "semimembranosus"]) == 0
    again = json.loads(copy.read_text())
    assert again["cause"] == "bakers_cyst" and again["selected"] == "semimembranosus"


def test_cli_rejects_a_broken_view_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["export", str(tmp_path / "x.png"), "--view", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not valid JSON" in err and not (tmp_path / "x.png").exists()


def test_the_view_downloaded_from_the_app_exports_as_the_app_shows_it(tmp_path, atlas):
    from explorer.app import KneeExplorerApp
    from explorer.export.model import _appearance

    app = KneeExplorerApp(atlas=atlas)
    app.param.update(selected="tibia", ghost=True, opacity={"bones": 0.5}, labels=True,
                     clip_axis="front to back", clip_position=5.0)
    path = tmp_path / "from-app.json"
    path.write_text(app._saved_view_file().getvalue())  # what "Download this view" sends
    view = load_view(path, atlas)
    assert view.state.visible is None and view.labels and view.state.clip == ("y", 5.0)
    shown = {sid: (colour, opacity) for sid, (visible, opacity, colour) in app.canvas.appearance.items() if visible}
    assert _appearance(view, atlas) == shown
    assert view.to_query(atlas) == app.link_query()


def test_a_cut_view_exports_cut(tmp_path, atlas):
    from PIL import Image

    from explorer import export

    cut = {"camera": "lateral", "clip": {"axis": "y", "position": 0.0}}
    whole = np.asarray(Image.open(export.png({"camera": "lateral"}, tmp_path / "whole.png", size=(320, 240))))
    half = np.asarray(Image.open(export.png(cut, tmp_path / "cut.png", size=(320, 240))))
    front = (slice(60, 200), slice(170, 230))  # in front of the joint line, seen from the side
    assert (whole[front][..., :3] < 240).mean() > 0.3 > (half[front][..., :3] < 240).mean()
    page = export.html(cut, tmp_path / "cut.html").read_text()
    assert '"clip":[0.0,-1.0,0.0,0.0]' in page
