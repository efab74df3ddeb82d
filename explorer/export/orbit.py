"""Orbit animations: the view turning once about the vertical axis, as a GIF or an MP4."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.export.apply import apply_view, as_view
from explorer.export.files import atomic_output

if TYPE_CHECKING:
    from explorer.atlas import Atlas

DEFAULT_SIZE = (640, 480)


def orbit(view=None, path: str | Path = "knee.gif", *, size: tuple[int, int] = DEFAULT_SIZE, frames: int = 72,
          fps: int = 24, atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Write an animation of the view turning once around the leg's long axis (GIF or MP4 by suffix).

    The camera keeps its distance, height and focal point and turns 360 degrees in ``frames`` steps.
    The title is drawn on each frame and the disclaimer and attribution on a strip below it, so frames are
    ``size`` plus that strip (:func:`explorer.export.picture.with_footer`).

    Examples
    --------
    >>> import tempfile
    >>> out = orbit({"show": ["patella"]}, Path(tempfile.mkdtemp()) / "k.gif", size=(96, 64), frames=4)
    >>> out.stat().st_size > 0
    True
    """
    from PIL import Image

    from explorer.export.picture import annotate, with_footer
    from explorer.scene import KneeScene

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"unsupported format {suffix or path.name!r} for an animation (use .gif or .mp4)")
    if not 2 <= frames <= 3600:
        raise ValueError(f"frames must be between 2 and 3600, got {frames}")
    width, height = (int(v) for v in size)
    if suffix == ".mp4":  # H.264 wants even sides
        width, height = width + width % 2, height + height % 2
    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    saved = as_view(view, atlas)
    scene = apply_view(KneeScene(atlas, off_screen=True, window_size=(width, height)), saved)
    try:
        start = scene.camera_state()
        focal = np.asarray(start["focalPoint"])
        offset = np.asarray(start["position"]) - focal
        with atomic_output(path, force=force) as temporary:
            writer = _writer(temporary, suffix, fps)
            try:
                for step in range(frames):
                    angle = 2 * np.pi * step / frames
                    c, s = np.cos(angle), np.sin(angle)
                    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])  # about +z (superior)
                    # Set directly: the screenshot below is the frame's one render.
                    scene.plotter.camera_position = [tuple(focal + turn @ offset), tuple(focal),
                                                     tuple(turn @ np.asarray(start["viewUp"]))]
                    scene.plotter.reset_camera_clipping_range()
                    image = Image.fromarray(np.asarray(scene.screenshot())[..., :3])
                    annotate(image, scene, {}, title=saved.title)
                    writer.append_data(np.asarray(with_footer(image, atlas)))
            finally:
                writer.close()
    finally:
        scene.close()
    return path


def _writer(path: Path, suffix: str, fps: int):
    import imageio.v2 as imageio

    if suffix == ".gif":
        return imageio.get_writer(path, format="GIF", mode="I", duration=1000 / fps, loop=0)
    return imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=7,
                              pixelformat="yuv420p", macro_block_size=1)
