"""PNG pictures of a view at any size: labels with leader lines, a title, the disclaimer and the attribution."""

from __future__ import annotations

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


def png(view=None, path: str | Path = "knee.png", *, size: tuple[int, int] = DEFAULT_SIZE,
        transparent: bool = False, labels: bool | None = None, title: str | None = None,
        atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Render a view to a PNG file with its labels, title, disclaimer and attribution.

    Parameters
    ----------
    view
        A :class:`~explorer.scene.KneeScene` (drawn as it is), a :class:`SavedView`, a saved view dict or
        file, or None for the default view.
    path
        The PNG file to write; written whole or not at all.
    size
        Width and height in pixels (e.g. ``(3840, 2160)``).
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
        band = _band(scene.atlas, (width, height), title)
        anchors = visible_anchors(scene, labelled_ids(scene, saved), band) if labels else {}
    finally:
        scene.plotter.window_size = old_size
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[-1] == 4 else "RGB")
    annotate(image, scene, anchors, title=title)
    with atomic_output(path, force=force) as temporary:
        image.save(temporary, format="PNG", compress_level=3)
    return path


def annotate(image, scene: "KneeScene", anchors: dict[str, tuple[float, float]], title: str = "") -> list[Label]:
    """Draw labels with leader lines, the title and the footer (disclaimer, attribution) onto a PIL image.

    Returns the placed labels.
    """
    from PIL import ImageDraw, ImageFont

    width, height = image.size
    draw = ImageDraw.Draw(image)
    unit, small, footer, top, bottom = _metrics(scene.atlas, draw, (width, height), title)
    line = small.size * 1.25
    for i, text in enumerate(footer):
        draw.text((round(12 * unit), bottom + 4 * unit + i * line), text, font=small, fill=(40, 40, 40, 255),
                  stroke_width=max(1, round(2 * unit)), stroke_fill=(255, 255, 255, 255))
    if title:
        title_font = ImageFont.load_default(size=max(14, round(34 * unit)))
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


def _band(atlas: "Atlas", size: tuple[int, int], title: str) -> tuple[float, float]:
    """The rows between the title and the footer, where labels may point."""
    from PIL import Image, ImageDraw

    _, _, _, top, bottom = _metrics(atlas, ImageDraw.Draw(Image.new("RGB", (8, 8))), size, title)
    return top, bottom


def _metrics(atlas: "Atlas", draw, size: tuple[int, int], title: str):
    """Scale unit, footer font, footer lines, and the top and bottom of the band between title and footer."""
    from PIL import ImageFont

    width, height = size
    unit = max(height, width * 9 / 16) / 1080
    small = ImageFont.load_default(size=max(10, round(13 * unit)))
    footer = _footer_lines(atlas, draw, small, width - 2 * round(12 * unit))
    bottom = height - len(footer) * small.size * 1.25 - 10 * unit
    top = 10 * unit + (max(14, round(34 * unit)) * 1.4 if title else 0)
    return unit, small, footer, top, bottom


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
