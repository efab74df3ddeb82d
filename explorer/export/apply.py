"""Putting a saved view onto a :class:`~explorer.scene.KneeScene`, the same way the browser app does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.appearance import appearance, cause_structures
from explorer.export.saved_view import SavedView

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.scene import KneeScene


def apply_view(scene: "KneeScene", view: SavedView) -> "KneeScene":
    """Show, highlight and frame what ``view`` asks for.

    The pain cause's structures are shown (pathology variants included) in their own colours, the rest
    ghosted; a selected structure is highlighted; an explicit camera wins over the named view, and
    with a cause and a named view the camera frames the cause's structures.

    Examples
    --------
    >>> from explorer.scene import KneeScene
    >>> scene = KneeScene(off_screen=True, window_size=(64, 48))
    >>> apply_view(scene, SavedView.from_dict({"cause": "bakers_cyst"}, scene.atlas)).actors["bakers_cyst"].visibility
    True
    """
    state, atlas = view.state, scene.atlas
    scene.select(None)
    scene.apply(appearance(atlas, state.visible, state.selected, state.cause, state.opacity, state.ghost))
    scene.selected = state.selected or None
    scene.clip(*(state.clip or (None,)))
    cause_ids = cause_structures(atlas, state.cause)
    if state.camera:
        scene.set_camera_state(state.camera)
    else:
        scene.view(view.camera_name)
        if cause_ids:
            scene.frame(*cause_ids)
    return scene


def labelled_ids(scene: "KneeScene", view: SavedView) -> list[str]:
    """The structures to label: a pain cause's structures (and the selection) if a cause is shown, else every visible
    one but those of a group drawn faint by default (the skin) while they are faint and not selected."""
    if not view.state.cause:
        return [sid for sid in scene.visible if not _faint_cover(scene, sid) or sid == view.state.selected]
    chosen = [s for s in scene.atlas.causes[view.state.cause].structures if s in scene.actors]
    if view.state.selected in scene.actors:
        chosen.append(view.state.selected)
    return list(dict.fromkeys(chosen))


def _faint_cover(scene: "KneeScene", structure_id: str) -> bool:
    """True for a structure of a group faint by default (the skin) that is drawn faint: it lies over the others."""
    faint = scene.atlas.groups[scene.atlas[structure_id].group].opacity < 0.5
    return faint and scene.actors[structure_id].prop.opacity < 0.5


def as_view(view_or_path, atlas: "Atlas") -> SavedView:
    """A :class:`SavedView` from a view, a dict, a saved view file or ``None`` (the default view)."""
    from explorer.export.saved_view import load_view

    if view_or_path is None:
        return SavedView()
    if isinstance(view_or_path, SavedView):
        return view_or_path
    if isinstance(view_or_path, dict):
        return SavedView.from_dict(view_or_path, atlas)
    return load_view(view_or_path, atlas)
