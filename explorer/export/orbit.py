"""Orbit animations: the view turning once about the vertical axis, as a GIF or an MP4."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from explorer.export.apply import apply_view, as_view
from explorer.export.files import atomic_output

if TYPE_CHECKING:
    from PIL import Image

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
        with atomic_output(path, force=force) as temporary:
            _write(temporary, suffix, _turning(scene, saved.title, atlas, frames), fps)
    finally:
        scene.close()
    return path


def _turning(scene, title: str, atlas: "Atlas", frames: int) -> Iterator["Image.Image"]:
    """The frames of one turn, each rendered as it is asked for, with the title and the footer strip."""
    from PIL import Image

    from explorer.export.picture import annotate, with_footer

    start = scene.camera_state()
    focal = np.asarray(start["focalPoint"])
    offset = np.asarray(start["position"]) - focal
    for step in range(frames):
        angle = 2 * np.pi * step / frames
        c, s = np.cos(angle), np.sin(angle)
        turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])  # about +z (superior)
        # Set directly: the screenshot below is the frame's one render.
        scene.plotter.camera_position = [tuple(focal + turn @ offset), tuple(focal),
                                         tuple(turn @ np.asarray(start["viewUp"]))]
        scene.plotter.reset_camera_clipping_range()
        image = Image.fromarray(np.asarray(scene.screenshot())[..., :3])
        annotate(image, scene, {}, title=title)
        yield with_footer(image, atlas)


def _write(path: Path, suffix: str, frames: Iterator["Image.Image"], fps: int) -> None:
    """Encode the frames as a GIF, at once when all are there (so a stopped export encodes none), or as an MP4."""
    if suffix == ".gif":
        first, *rest = frames
        first.save(path, format="GIF", save_all=True, append_images=rest, duration=1000 / fps, loop=0)
        return
    import imageio.v2 as imageio

    writer = imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=7,
                                pixelformat="yuv420p", macro_block_size=1)
    try:
        for image in frames:
            writer.append_data(np.asarray(image))
    finally:
        writer.close()
