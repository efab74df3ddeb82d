"""PNG export: size, transparency, labels that do not overlap, title and attribution, through CLI and Python."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer import export
from explorer.cli import main
from explorer.export.labels import overlaps
from explorer.export.picture import annotate
from explorer.scene import KneeScene


def test_png_any_size_with_transparent_background(tmp_path):
    out = export.png({"camera": "posterior"}, tmp_path / "k.png", size=(1280, 400), transparent=True)
    image = Image.open(out)
    assert image.size[0] == 1280 and image.size[1] > 400 and image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    assert alpha[5, 5] == 0 and alpha.max() == 255  # clear background, opaque knee


def test_labels_point_at_their_structures_and_do_not_overlap(atlas):
    from explorer.export.labels import visible_anchors

    scene = KneeScene(atlas, off_screen=True, window_size=(960, 540)).view("posterior")
    anchors = visible_anchors(scene, scene.visible, band=(40, 500))
    # from behind the calf muscles cover the tibia and the fibula's shaft
    assert {"femur", "biceps_femoris", "gastrocnemius_medial_head", "popliteal_artery", "tibial_nerve"} <= set(anchors)
    assert "patellar_cartilage" not in anchors  # hidden behind the femur from behind
    for sid, (x, y) in anchors.items():
        assert 40 <= y < 500 and scene.pick(int(x), 539 - int(y)) == sid
    image = Image.fromarray(scene.screenshot())
    placed = annotate(image, scene, anchors, title="From behind")
    assert len(placed) == len(anchors) and overlaps(placed) == []
    scene.close()


def test_cli_png_carries_title_and_attribution(tmp_path, capsys, atlas):
    out = tmp_path / "fossa.png"
    assert main(["export", str(out), "--camera", "posterior", "--labels", "--title", "Popliteal fossa",
                 "--size", "800x450"]) == 0
    assert Image.open(out).size[0] == 800 and Image.open(out).size[1] > 450
    plain = tmp_path / "plain.png"
    assert main(["export", str(plain), "--camera", "posterior", "--size", "800x450"]) == 0
    # The footer (disclaimer and attribution) is drawn on both; the labelled one has more ink.
    ink = [(np.asarray(Image.open(p).convert("L")) < 60).sum() for p in (out, plain)]
    bottom = np.asarray(Image.open(plain).convert("L"))[-30:]
    assert (bottom < 100).sum() > 200 and ink[0] > ink[1]


def test_id_colours_are_colours_and_decode_for_hundreds_of_structures():
    from explorer.export.labels import _decode, _id_colour

    colours = np.array([[_id_colour(i) for i in range(600)]])
    assert colours.min() >= 0 and colours.max() <= 255
    assert _decode(colours, 600).tolist() == [list(range(600))]


def test_cli_labelled_png_of_the_larger_set(tmp_path, capsys):
    from explorer.geometry import geometry_set

    if not geometry_set("spl").present():
        pytest.skip("the spl geometry is not built here (knee-explorer build-meshes --geometry spl)")
    out = tmp_path / "dvt.png"
    assert main(["--geometry", "spl", "export", str(out), "--camera", "posterior", "--labels", "--cause", "dvt",
                 "--size", "640x360"]) == 0, capsys.readouterr().err
    assert Image.open(out).size[0] == 640


def test_png_of_a_scene_as_it_is(tmp_path, atlas):
    scene = KneeScene(atlas, off_screen=True, window_size=(320, 240)).isolate("bones").view("lateral")
    out = export.png(scene, tmp_path / "bones.png", size=(640, 480), labels=True)
    assert Image.open(out).size[0] == 640 and Image.open(out).size[1] > 480
    assert scene.plotter.window_size == [320, 240]
    scene.close()


def _posterior_render(atlas, size: tuple[int, int]) -> np.ndarray:
    from explorer.export.apply import apply_view, as_view

    scene = apply_view(KneeScene(atlas, off_screen=True, window_size=size), as_view({"camera": "posterior"}, atlas))
    pixels = np.asarray(scene.screenshot(transparent_background=False))[..., :3]
    scene.close()
    return pixels


def test_cli_png_footer_lies_wholly_below_the_render(tmp_path, capsys, atlas):
    out = tmp_path / "plain.png"
    assert main(["export", str(out), "--camera", "posterior", "--size", "800x450"]) == 0
    picture = np.asarray(Image.open(out).convert("RGB")).astype(int)
    render = _posterior_render(atlas, (800, 450)).astype(int)
    assert picture.shape[1] == 800 and picture.shape[0] > 450
    assert np.abs(picture[:450] - render).max() <= 2, "the footer changed the rendered scene"
    strip = picture[450:].min(axis=2)
    assert (strip < 100).sum() > 200, "the disclaimer and attribution are in the strip"
    assert np.nonzero((strip < 100).any(axis=1))[0].min() > 0, "the footer's text starts below the render"


def test_cli_png_title_is_legible_on_a_1080p_slide(tmp_path, capsys):
    titled, plain = tmp_path / "titled.png", tmp_path / "plain.png"
    assert main(["export", str(titled), "--camera", "posterior", "--title", "Popliteal fossa"]) == 0
    assert main(["export", str(plain), "--camera", "posterior"]) == 0
    with_title, without = (np.asarray(Image.open(p).convert("L")).astype(int) for p in (titled, plain))
    assert with_title.shape == without.shape and with_title.shape[1] == 1920
    ink = np.nonzero(((with_title < 60) & (without >= 60)).any(axis=1))[0]
    assert ink.size and ink.max() - ink.min() + 1 >= 0.025 * with_title.shape[0]


@pytest.mark.parametrize("args, message", [
    (["--select", "kneecap"], "unknown structure id 'kneecap'"),
    (["--cause", "gout"], "unknown pain cause id 'gout'"),
    (["--show", "bones,nope"], "unknown structure or group id 'nope'"),
    (["--camera", "below"], "unknown view 'below'"),
    (["--size", "big"], "is not WIDTHxHEIGHT"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "x.png"
    assert main(["export", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_force(tmp_path, capsys):
    out = tmp_path / "x.png"
    out.write_bytes(b"keep me")
    assert main(["export", str(out), "--size", "64x48"]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main(["export", str(out), "--size", "64x48", "--force"]) == 0
    assert Image.open(out).size[0] == 64


def test_unsupported_format_and_unwritable_path(tmp_path, capsys):
    assert main(["export", str(tmp_path / "x.tiff")]) == 2
    assert "unsupported format '.tiff'" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export", str(blocker / "x.png"), "--size", "64x48"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "x.png" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    def broken_save(self, fp, *args, **kwargs):
        open(fp, "wb").write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(PILImage.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        export.png(None, tmp_path / "x.png", size=(64, 48))
    assert list(tmp_path.iterdir()) == []
