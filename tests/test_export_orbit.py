"""Orbit animations: GIF and MP4 of the view turning once, through Python and the CLI."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest

from explorer import export
from explorer.cli import main


def test_gif_turns_once(tmp_path):
    out = export.gif({"show": ["femur", "patella", "tibia"], "camera": "anterior"}, tmp_path / "o.gif",
                     size=(120, 90), frames=8)
    frames = imageio.mimread(out)
    assert len(frames) == 8 and frames[0].shape[1] == 120 and frames[0].shape[0] > 90  # the footer strip below
    # A quarter turn changes the picture; a full turn would come back to the first frame.
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 1


def test_cli_mp4(tmp_path, capsys):
    out = tmp_path / "o.mp4"
    assert main(["export", str(out), "--camera", "posterior", "--size", "161x121", "--frames", "6"]) == 0
    reader = imageio.get_reader(out)
    width, height = reader.get_meta_data()["size"]
    assert reader.count_frames() == 6 and width == 162 and height > 122 and height % 2 == 0
    frame = reader.get_data(0)
    reader.close()
    assert (frame[122:].min(axis=2) < 100).sum() > 50, "the disclaimer and attribution are on the strip below"


def test_gif_footer_leaves_the_render_alone(tmp_path, atlas):
    from explorer.export.apply import apply_view, as_view
    from explorer.scene import KneeScene

    view = {"show": ["femur", "patella", "tibia"], "camera": "anterior"}
    out = export.gif(view, tmp_path / "o.gif", size=(160, 120), frames=2)
    first = imageio.mimread(out)[0][..., :3].astype(int)
    scene = apply_view(KneeScene(atlas, off_screen=True, window_size=(160, 120)), as_view(view, atlas))
    render = np.asarray(scene.screenshot())[..., :3].astype(int)
    scene.close()
    assert first.shape[0] > 120
    assert np.abs(first[:120] - render).mean() < 8  # GIF's palette rounds colours; the footer adds none


def test_bad_frame_count_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="frames"):
        export.mp4(None, tmp_path / "o.mp4", frames=1)
    assert list(tmp_path.iterdir()) == []
