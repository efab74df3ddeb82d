"""Labels with leader lines: where each structure shows on screen, and a layout where no two labels overlap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from explorer.scene import KneeScene

#: Fewer visible pixels than this and a structure is not labelled.
MIN_PIXELS = 20


@dataclass(frozen=True)
class Label:
    """A placed label: the text, the point on the structure it points at, and the text's box."""

    structure_id: str
    text: str
    anchor: tuple[float, float]
    box: tuple[float, float, float, float]  # left, top, right, bottom in pixels, origin top left
    side: str  # "left" or "right"


#: Ids per blue level of the flat id colours: red steps of 5 from 20 stay at or below 250.
_PER_LEVEL = 47


def _id_colour(index: int) -> tuple[int, int, int]:
    """The flat colour actor ``index`` is drawn in to find where it shows (any index below 1,128).

    Examples
    --------
    >>> _id_colour(0), _id_colour(48)
    ((20, 30, 64), (25, 46, 72))
    """
    level, step = divmod(index, _PER_LEVEL)
    # Scrambled so that a blend of two neighbours' colours at an anti-aliased edge is no third id.
    return (20 + 5 * step, 30 + (index * 67) % 200, 64 + 8 * level)


def _decode(image: np.ndarray, count: int) -> np.ndarray:
    """Per pixel, the index of the actor drawn there, or -1.

    Examples
    --------
    >>> _decode(np.array([[_id_colour(3), _id_colour(60), (255, 255, 255)]]), 61).tolist()
    [[3, 60, -1]]
    """
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    step, level = (r - 20) // 5, (b - 64) // 8
    index = level * _PER_LEVEL + step
    ok = ((r - 20) % 5 == 0) & (step >= 0) & (step < _PER_LEVEL) & ((b - 64) % 8 == 0) & (level >= 0)
    ok &= (index >= 0) & (index < count)
    ok &= g == 30 + (np.clip(index, 0, None) * 67) % 200
    return np.where(ok, index, -1)


def visible_anchors(scene: "KneeScene", ids: list[str],
                    band: tuple[float, float] | None = None) -> dict[str, tuple[float, float]]:
    """For each structure in ``ids`` seen in the current view, the pixel deepest inside its visible part.

    One extra render draws every visible, not ghosted structure in a flat colour of its own; other
    structures in front hide a structure's pixels as they do in the picture.

    ``band`` (top, bottom) keeps anchors between two rows of pixels (clear of a title and footer).

    Returns
    -------
    dict
        Structure id -> (x, y) pixel, origin top left; structures hidden or too small are left out.

    Examples
    --------
    >>> from explorer.scene import KneeScene
    >>> scene = KneeScene(off_screen=True, window_size=(200, 150))
    >>> "patella" in visible_anchors(scene.view("anterior"), ["patella"])
    True
    """
    from scipy import ndimage

    actors = scene.actors
    saved = {sid: (a.visibility, a.prop.color, a.prop.opacity, a.prop.lighting) for sid, a in actors.items()}
    label_actor = scene._label_actor
    label_visible = label_actor.GetVisibility() if label_actor is not None else None
    order = list(actors)
    try:
        for index, sid in enumerate(order):
            actor = actors[sid]
            actor.visibility = bool(actor.visibility) and (actor.prop.opacity >= 0.5 or sid in ids)
            actor.prop.color, actor.prop.opacity, actor.prop.lighting = _id_colour(index), 1.0, False
        if label_actor is not None:
            label_actor.SetVisibility(False)
        scene.plotter.render()
        image = np.asarray(scene.plotter.screenshot(return_img=True, transparent_background=False))[..., :3].astype(int)
    finally:
        for sid, (visibility, colour, opacity, lighting) in saved.items():
            actor = actors[sid]
            actor.visibility, actor.prop.color, actor.prop.opacity, actor.prop.lighting = visibility, colour, opacity, lighting
        if label_actor is not None:
            label_actor.SetVisibility(label_visible)
        scene.plotter.render()
    index_image = _decode(image, len(order))
    if band is not None:
        index_image[: max(0, int(band[0])), :] = -1
        index_image[int(band[1]):, :] = -1
    slices = ndimage.find_objects(index_image + 1)
    anchors: dict[str, tuple[float, float]] = {}
    for sid in ids:
        if sid not in actors or order.index(sid) >= len(slices) or slices[order.index(sid)] is None:
            continue
        box = slices[order.index(sid)]
        # Eroded, so that stray anti-aliased edge pixels that happen to match count for nothing.
        mask = ndimage.binary_erosion(np.pad(index_image[box] == order.index(sid), 1), np.ones((3, 3), bool))
        if mask.sum() < MIN_PIXELS:
            continue
        depth = ndimage.distance_transform_edt(mask)
        y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
        anchors[sid] = (float(x - 1 + box[1].start), float(y - 1 + box[0].start))
    return anchors


def spread(wanted: list[float], height: float, top: float, bottom: float) -> list[float]:
    """Top edges for boxes of ``height`` as near ``wanted`` (sorted) as can be, none overlapping, within [top, bottom].

    Examples
    --------
    >>> spread([10, 12, 14], 10, 0, 100)
    [5.0, 15.0, 25.0]
    >>> spread([95, 96], 10, 0, 100)
    [80.0, 90.0]
    """
    n = len(wanted)
    if n == 0:
        return []
    # Place each box centred on its wish, push down past the one before, then back up from the bottom.
    ys = [min(max(w - height / 2, top), bottom - height) for w in wanted]
    for i in range(1, n):
        ys[i] = max(ys[i], ys[i - 1] + height)
    ys[-1] = min(ys[-1], bottom - height)
    for i in range(n - 2, -1, -1):
        ys[i] = min(ys[i], ys[i + 1] - height)
    return [float(y) for y in ys]


def layout(anchors: dict[str, tuple[float, float]], texts: dict[str, str], text_width, line_height: float,
           image_size: tuple[int, int], top: float, bottom: float, content_box: tuple[float, float, float, float],
           gap: float = 30.0) -> list[Label]:
    """Place labels in a column left and right of the drawing, ordered as their anchors, never overlapping.

    Parameters
    ----------
    anchors
        Structure id -> anchor pixel.
    texts
        Structure id -> label text.
    text_width
        Callable giving a text's width in pixels.
    line_height
        Height of one label box.
    image_size
        Width and height of the picture.
    top, bottom
        The vertical band the labels may use.
    content_box
        Left, top, right, bottom of the drawn anatomy; the columns sit outside it where there is room.

    Examples
    --------
    >>> labels = layout({"a": (50, 50), "b": (52, 51), "c": (150, 50)}, {"a": "A", "b": "B", "c": "C"},
    ...                 lambda t: 10, 12, (200, 100), 0, 100, (40, 20, 160, 80))
    >>> [(l.structure_id, l.side) for l in labels]
    [('a', 'left'), ('b', 'left'), ('c', 'right')]
    >>> labels[0].box[3] <= labels[1].box[1]
    True
    """
    width, _ = image_size
    centre = (content_box[0] + content_box[2]) / 2
    sides = {"left": [], "right": []}
    for sid, (x, y) in anchors.items():
        sides["left" if x < centre else "right"].append(sid)
    placed: list[Label] = []
    margin = gap / 2
    for side, members in sides.items():
        members.sort(key=lambda s: anchors[s][1])
        widest = max((text_width(texts[s]) for s in members), default=0)
        if side == "left":
            right_edge = max(min(content_box[0] - gap, width * 0.3), widest + margin)
        else:
            left_edge = min(max(content_box[2] + gap, width * 0.7), width - widest - margin)
        tops = spread([anchors[s][1] for s in members], line_height, top, bottom)
        for sid, y in zip(members, tops):
            w = text_width(texts[sid])
            if side == "left":
                box = (right_edge - w, y, right_edge, y + line_height)
            else:
                box = (left_edge, y, left_edge + w, y + line_height)
            placed.append(Label(sid, texts[sid], anchors[sid], box, side))
    return placed


def overlaps(labels: list[Label]) -> list[tuple[str, str]]:
    """Pairs of labels whose boxes overlap (none, for a layout from :func:`layout`)."""
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if a.box[0] < b.box[2] and b.box[0] < a.box[2] and a.box[1] < b.box[3] and b.box[1] < a.box[3]:
                pairs.append((a.structure_id, b.structure_id))
    return pairs
