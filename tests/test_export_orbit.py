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
    assert len(frames) == 8 and frames[0].shape[:2] == (90, 120)
    # A quarter turn changes the picture; a full turn would come back to the first frame.
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 1


def test_cli_mp4(tmp_path, capsys):
    out = tmp_path / "o.mp4"
    assert main(["export", str(out), "--camera", "posterior", "--size", "161x121", "--frames", "6"]) == 0
    reader = imageio.get_reader(out)
    assert reader.count_frames() == 6 and tuple(reader.get_meta_data()["size"]) == (162, 122)
    reader.close()


def test_bad_frame_count_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="frames"):
        export.mp4(None, tmp_path / "o.mp4", frames=1)
    assert list(tmp_path.iterdir()) == []
