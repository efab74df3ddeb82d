"""Putting a saved view onto a :class:`~explorer.scene.KneeScene`, the same way the browser app does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.export.saved_view import SavedView, default_visible
from explorer.scene import GHOST_OPACITY

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.scene import KneeScene


def apply_view(scene: "KneeScene", view: SavedView) -> "KneeScene":
    """Show, highlight and frame what ``view`` asks for.

    The pain cause's structures are shown (pathology variants included) and highlighted, the rest
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
    cause_ids = set()
    if state.cause:
        cause_ids = {sid for sid in atlas.causes[state.cause].structures if sid in scene.actors}
    variants = {sid for sid in scene.actors if atlas[sid].pathology}
    visible = default_visible(atlas) if state.visible is None else state.visible
    shown = (set(visible) - variants) | cause_ids
    scene.select(None)
    scene.isolate(*shown) if shown else scene.hide(*scene.actors)
    scene.set_opacity(1.0)
    if cause_ids:
        for sid in set(scene.actors) - cause_ids:
            scene.actors[sid].prop.opacity = GHOST_OPACITY
    scene.highlight(*(cause_ids | ({state.selected} & set(scene.actors))))
    scene.selected = state.selected or None
    if state.camera:
        scene.set_camera_state(state.camera)
    else:
        scene.view(view.camera_name)
        if cause_ids:
            scene.frame(*cause_ids)
    return scene


def labelled_ids(scene: "KneeScene", view: SavedView) -> list[str]:
    """The structures to label: a pain cause's structures (and the selection) if a cause is shown, else every visible one."""
    if not view.state.cause:
        return scene.visible
    chosen = [s for s in scene.atlas.causes[view.state.cause].structures if s in scene.actors]
    if view.state.selected in scene.actors:
        chosen.append(view.state.selected)
    return list(dict.fromkeys(chosen))


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
