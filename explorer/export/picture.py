"""PNG pictures of a view at any size: labels, a title, and the disclaimer and attribution on a strip below."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.export.apply import apply_view, as_view, labelled_ids
from explorer.export.files import atomic_output
from explorer.export.labels import Label, layout, visible_anchors

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.scene import KneeScene

DEFAULT_SIZE = (1920, 1080)
#: Title font size, in pixels at 1080 rows: its letters stand about 3% of a 1080p slide high.
TITLE_SIZE = 42
#: Footer font size, in pixels at 1080 rows.
FOOTER_SIZE = 14


def png(view=None, path: str | Path = "knee.png", *, size: tuple[int, int] = DEFAULT_SIZE,
        transparent: bool = False, labels: bool | None = None, title: str | None = None,
        atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Render a view to a PNG file with its labels and title, and the disclaimer and attribution below it.

    The footer (disclaimer and attribution) has a strip of its own under the render, so the picture is
    ``size`` plus that strip (see :func:`with_footer`) and covers none of the anatomy.

    Parameters
    ----------
    view
        A :class:`~explorer.scene.KneeScene` (drawn as it is), a :class:`SavedView`, a saved view dict or
        file, or None for the default view.
    path
        The PNG file to write; written whole or not at all.
    size
        Width and height of the render in pixels (e.g. ``(3840, 2160)``); the footer strip adds rows below.
    transparent
        Transparent background instead of white.
    labels, title
        Override the view's own ``labels`` and ``title``.
    atlas
        The atlas (loaded when needed).
    force
        Replace ``path`` if it exists.

    Examples
    --------
    >>> import tempfile
    >>> out = png({"camera": "posterior", "labels": True}, Path(tempfile.mkdtemp()) / "k.png", size=(640, 360))
    >>> out.suffix
    '.png'
    """
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"unsupported format {path.suffix or path.name!r} for a PNG picture (use .png)")
    width, height = _check_size(size)
    scene, saved = _scene_for(view, atlas, (width, height))
    labels = saved.labels if labels is None else labels
    title = saved.title if title is None else title
    old_size = list(scene.plotter.window_size)
    try:
        scene.plotter.window_size = [width, height]
        pixels = np.asarray(scene.screenshot(transparent_background=transparent))
        band = _band((width, height), title)
        anchors = visible_anchors(scene, labelled_ids(scene, saved), band) if labels else {}
    finally:
        scene.plotter.window_size = old_size
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[-1] == 4 else "RGB")
    annotate(image, scene, anchors, title=title)
    image = with_footer(image, scene.atlas)
    with atomic_output(path, force=force) as temporary:
        image.save(temporary, format="PNG", compress_level=3)
    return path


def annotate(image, scene: "KneeScene", anchors: dict[str, tuple[float, float]], title: str = "") -> list[Label]:
    """Draw labels with leader lines and the title onto a rendered PIL image (the footer goes below it).

    Returns the placed labels.
    """
    from PIL import ImageDraw, ImageFont

    width, height = image.size
    draw = ImageDraw.Draw(image)
    unit, top, bottom = _metrics((width, height), title)
    if title:
        title_font = ImageFont.load_default(size=_title_size(unit))
        draw.text((width / 2, 10 * unit), title, font=title_font, anchor="ma", fill=(0, 0, 0, 255),
                  stroke_width=max(1, round(3 * unit)), stroke_fill=(255, 255, 255, 255))
    if not anchors:
        return []
    texts = {sid: scene.atlas[sid].name for sid in anchors}
    size = max(10, round(18 * unit))
    while True:
        font = ImageFont.load_default(size=size)
        box_height = size * 1.35
        per_side = max(sum(a[0] < width / 2 for a in anchors.values()), sum(a[0] >= width / 2 for a in anchors.values()))
        if per_side * box_height <= bottom - top or size <= 8:
            break
        size -= 1
    content = _content_box(anchors, scene, (width, height))
    placed = layout(anchors, texts, lambda t: draw.textlength(t, font=font), box_height, (width, height), top,
                    bottom, content, gap=30 * unit)
    stroke = max(1, round(1.5 * unit))
    for label in placed:
        left, upper, right, lower = label.box
        end = (right + 4 * unit if label.side == "left" else left - 4 * unit, (upper + lower) / 2)
        draw.line([label.anchor, end], fill=(30, 30, 30, 255), width=stroke)
        r = 3.5 * unit
        x, y = label.anchor
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(30, 30, 30, 255), outline=(255, 255, 255, 255))
    for label in placed:
        left, upper, right, lower = label.box
        colour = (165, 18, 112, 255) if label.structure_id == scene.selected else (0, 0, 0, 255)  # a darker highlight
        draw.text((left, (upper + lower) / 2), label.text, font=font, anchor="lm", fill=colour,
                  stroke_width=max(1, round(2.5 * unit)), stroke_fill=(255, 255, 255, 255))
    return placed


def with_footer(image, atlas: "Atlas"):
    """The picture with the disclaimer and attribution on a strip of their own below it.

    Parameters
    ----------
    image : PIL.Image.Image
        The rendered (and labelled) picture; left as it is.
    atlas : Atlas
        Gives the disclaimer, geometry and attribution lines.

    Returns
    -------
    PIL.Image.Image
        A new image as wide as ``image`` and taller by the strip (an even number of rows, so that an even
        picture stays even for H.264); its top rows are ``image`` unchanged. The strip is white, or clear
        for a picture with an alpha channel.
    """
    from PIL import Image, ImageDraw, ImageFont

    width, height = image.size
    unit = _unit((width, height))
    font = ImageFont.load_default(size=max(10, round(FOOTER_SIZE * unit)))
    margin = round(12 * unit)
    lines = _footer_lines(atlas, ImageDraw.Draw(image), font, width - 2 * margin)
    line = font.size * 1.25
    strip = footer_height(len(lines), font.size, unit)
    background = (255, 255, 255, 0) if image.mode == "RGBA" else (255, 255, 255)
    framed = Image.new(image.mode, (width, height + strip), background)
    framed.paste(image, (0, 0))
    draw = ImageDraw.Draw(framed)
    for i, text in enumerate(lines):
        draw.text((margin, height + 6 * unit + i * line), text, font=font, fill=(40, 40, 40, 255),
                  stroke_width=max(1, round(2 * unit)), stroke_fill=(255, 255, 255, 255))
    return framed


def footer_height(lines: int, font_size: int, unit: float) -> int:
    """Rows of the footer strip for ``lines`` lines of text, rounded up to an even number.

    Examples
    --------
    >>> footer_height(2, 14, 1.0)
    48
    """
    return 2 * math.ceil((lines * font_size * 1.25 + 12 * unit) / 2)


def _band(size: tuple[int, int], title: str) -> tuple[float, float]:
    """The rows between the title and the bottom of the render, where labels may point."""
    _, top, bottom = _metrics(size, title)
    return top, bottom


def _unit(size: tuple[int, int]) -> float:
    """Pixels per pixel of a 1080-row picture: what sizes of text and lines are scaled by."""
    width, height = size
    return max(height, width * 9 / 16) / 1080


def _title_size(unit: float) -> int:
    return max(14, round(TITLE_SIZE * unit))


def _metrics(size: tuple[int, int], title: str) -> tuple[float, float, float]:
    """Scale unit, and the top and bottom of the band below the title where labels go."""
    unit = _unit(size)
    bottom = size[1] - 10 * unit
    top = 10 * unit + (_title_size(unit) * 1.4 if title else 0)
    return unit, top, bottom


def _footer_lines(atlas: "Atlas", draw, font, width: float) -> list[str]:
    text = [atlas.disclaimer, f"Geometry: {atlas.geometry_title}. " + "; ".join(atlas.credits()) + "."]
    lines: list[str] = []
    for paragraph in text:
        if not paragraph:
            continue
        chars = max(20, int(len(paragraph) * width / max(draw.textlength(paragraph, font=font), 1)))
        lines += textwrap.wrap(paragraph, chars)
    return lines


def _content_box(anchors, scene: "KneeScene", size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Screen box of the visible anatomy (projected bounds of the shown actors), clipped to the picture."""
    width, height = size
    renderer = scene.plotter.renderer
    xs, ys = [a[0] for a in anchors.values()], [a[1] for a in anchors.values()]
    for sid in scene.visible:
        bounds = scene.actors[sid].GetBounds()
        for corner in np.array(np.meshgrid(bounds[0:2], bounds[2:4], bounds[4:6])).T.reshape(-1, 3):
            renderer.SetWorldPoint(*corner, 1.0)
            renderer.WorldToDisplay()
            x, y, _ = renderer.GetDisplayPoint()
            xs.append(x * width / scene.plotter.window_size[0])
            ys.append(height - y * height / scene.plotter.window_size[1])
    return (max(0.0, min(xs)), max(0.0, min(ys)), min(float(width), max(xs)), min(float(height), max(ys)))


def _check_size(size) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size {size!r} is not (width, height)") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ValueError(f"size {width}x{height} is out of range (16 to 8192 pixels a side)")
    return width, height


def _scene_for(view, atlas, size):
    """The scene to draw and the saved view describing it."""
    from explorer.export.saved_view import SavedView
    from explorer.scene import KneeScene

    if isinstance(view, KneeScene):
        saved = SavedView()
        saved.state.selected = view.selected or ""
        saved.state.visible = view.visible
        return view, saved
    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    saved = as_view(view, atlas)
    scene = KneeScene(atlas, off_screen=True, window_size=size)
    return apply_view(scene, saved), saved
