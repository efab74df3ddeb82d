"""How each structure looks for a given view: shown or not, opacity and colour.

One function decides it for the notebook scene, the browser app and every export, so a view
looks the same wherever it is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable, Mapping

from explorer.atlas import Atlas
from explorer.nerve_territories import SKIN_GROUP, SkinPaint, Territory, paint_lists, territories_for

#: The selected structure's colour; no structure's own colour is near it.
HIGHLIGHT_COLOUR = "#e0219a"
GHOST_OPACITY = 0.12
#: Edges where neighbouring faces turn by more than this (degrees) are shaded sharp rather than smoothed
#: over, in the plotter, the exports and the browser (``CREASE_DEGREES`` in draw3d.js).
CREASE_DEGREES = 60.0
#: A pain cause's other structures beside its pathology variant (a clot inside its vein stays in sight).
BESIDE_PATHOLOGY_OPACITY = 0.45
#: The least opacity of skin painted with a nerve's territory, so the paint shows on the faint skin
#: (``PAINT_OPACITY`` in draw3d.js).
PAINT_OPACITY = 0.55


@dataclass(frozen=True)
class Look:
    """One structure's appearance."""

    visible: bool
    opacity: float
    colour: str
    #: What is painted on it (the skin's: the territories of a selected nerve, a pain region marked), in order.
    paint: tuple[Territory | SkinPaint, ...] = ()

    def as_list(self) -> list:
        """The look as the browser's canvas takes it: ``[visible, opacity, colour]``, then, if painted, the patches
        as ``[[low, high, from, to, colour], ...]`` (heights in mm, angles in degrees round the leg's axis).

        Examples
        --------
        >>> Look(True, 0.2, "#e2b48f").as_list()
        [True, 0.2, '#e2b48f']
        """
        patches = paint_lists(self.paint)
        return [self.visible, self.opacity, self.colour] + ([patches] if patches else [])


def cut_plane(axis: str, position_mm: float) -> tuple[list[float], list[float]]:
    """The cutting plane across ``axis`` ("x", "y" or "z") at ``position_mm``, as (origin, normal).

    What lies towards the axis's positive end (lateral, anterior, superior) is cut away: points
    ``p`` with ``dot(p - origin, normal) >= 0`` are kept.

    Examples
    --------
    >>> cut_plane("y", 10.0)
    ([0.0, 10.0, 0.0], [0.0, -1.0, 0.0])
    """
    origin, normal = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    index = "xyz".index(axis)
    origin[index], normal[index] = float(position_mm), -1.0
    return origin, normal


def default_visible(atlas: Atlas) -> list[str]:
    """The structures shown by default: every one with a mesh but the pathology variants.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> "bakers_cyst" in default_visible(load_atlas(meshes=False))
    False
    """
    return [s.id for s in atlas.structures.values() if s.mesh_file and not s.pathology]


def cause_structures(atlas: Atlas, cause: str) -> list[str]:
    """The structures with a mesh that a pain cause involves (none for ``""``).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> "bakers_cyst" in cause_structures(load_atlas(meshes=False), "bakers_cyst")
    True
    """
    if not cause:
        return []
    return [sid for sid in atlas.causes[cause].structures if atlas[sid].mesh_file]


def appearance(atlas: Atlas, visible: Iterable[str] | None = None, selected: str = "", cause: str = "",
               opacity: Mapping[str, float] | None = None, ghost: bool = False,
               focus: Iterable[str] = (), marks: Iterable[SkinPaint] = ()) -> dict[str, Look]:
    """Every structure with a mesh, as the view shows it.

    Parameters
    ----------
    atlas
        The atlas.
    visible
        Ids of the structures asked for (pathology variants are shown only through their cause);
        ``None`` for the default set.
    selected
        The selected structure: drawn in the highlight colour.
    cause
        A pain cause: its structures are shown in their own colours and everything else is ghosted,
        so the vein, the clot and the muscle around it stay told apart; beside a pathology variant
        (a Baker's cyst, a thrombus) the cause's other structures are half see-through, and a structure
        that ``encloses`` another of them (the cyst round its bursa) is see-through while what it holds is solid.
    opacity
        Group id -> opacity from 0 to 1; a group left out is drawn at its own default (the ``opacity``
        of its entry in ``atlas.yaml``: the skin faint, the others opaque).
    ghost
        X-ray: everything but the selection faint (when no cause is chosen).
    focus
        Structures a learning mode brings forward (those under a painful spot): shown solid in their own
        colours, everything else but the selection faint (when no cause is chosen).

    marks
        Patches a learning mode paints on the skin over any territories (the pain map's region).

    A selected nerve's skin territory, and its branches' (all of them when the skin is selected), is
    painted on the skin: the skin's look carries them as ``paint`` (a painted skin keeps its own colour
    where no territory lies, even when selected).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> looks = appearance(load_atlas(meshes=False), selected="fibula", ghost=True)
    >>> looks["fibula"].colour == HIGHLIGHT_COLOUR, looks["femur"].opacity == GHOST_OPACITY
    (True, True)
    """
    meshes = [sid for sid, s in atlas.structures.items() if s.mesh_file]
    involved = set(cause_structures(atlas, cause))
    asked = set(default_visible(atlas) if visible is None else visible)
    focused = set() if involved else set(focus) & set(meshes)
    shown = {sid for sid in asked if not atlas[sid].pathology} | involved | focused
    marked = {selected} & set(meshes)
    pathology = {sid for sid in involved if atlas[sid].pathology}
    enclosing = {sid for sid in involved if involved.intersection(atlas[sid].encloses)}
    enclosed = {inner for sid in enclosing for inner in atlas[sid].encloses}
    painted = (tuple(territories_for(atlas, selected)) if selected else ()) + tuple(marks)
    looks = {}
    for sid in meshes:
        group = atlas.groups[atlas[sid].group]
        alpha = min(max(float((opacity or {}).get(group.id, group.opacity)), 0.0), 1.0)
        if involved and sid not in involved:
            alpha = min(alpha, GHOST_OPACITY)
        elif sid in enclosing or (pathology and sid in involved - pathology - enclosed):
            alpha = min(alpha, BESIDE_PATHOLOGY_OPACITY)
        elif focused and sid not in focused and sid != selected:
            alpha = min(alpha, GHOST_OPACITY)
        elif ghost and not involved and selected in marked and sid != selected:
            alpha = GHOST_OPACITY
        paint = painted if group.id == SKIN_GROUP else ()
        colour = HIGHLIGHT_COLOUR if sid in marked and not paint else atlas[sid].colour
        looks[sid] = Look(sid in shown, round(alpha, 3), colour, paint)
    return looks
