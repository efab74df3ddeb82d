"""The structure tree: groups, a visibility checkbox per structure and group, names to select."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import panel as pn
import param

from explorer.atlas import Atlas

_CSS = """
.knee-tree ul { list-style: none; margin: 0; padding: 0; }
.knee-tree ul ul { padding-left: 1.4em; }
.knee-tree .group { margin: 0.3em 0; }
.knee-tree .group-name { font-weight: 600; }
.knee-tree .row { display: flex; align-items: center; gap: 0.35em; min-height: 28px; }
.knee-tree .no-mesh { display: inline-block; width: 13px; }
.knee-tree button.name {
  font: inherit; background: none; border: 1px solid transparent; border-radius: 4px;
  padding: 2px 6px; cursor: pointer; text-align: left; color: inherit;
}
.knee-tree button.name:hover { background: #eef2f7; }
.knee-tree .selected button.name { background: #fbd3ea; border-color: #e0219a; font-weight: 600; }
.knee-tree :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 1px; }
.knee-tree input { width: 16px; height: 16px; margin: 0; }
.knee-tree button.only {
  font: inherit; font-size: 0.85em; margin-left: auto; padding: 1px 8px; cursor: pointer;
  background: #fff; color: #1d1d1d; border: 1px solid #8a8a8a; border-radius: 4px;
}
"""


def tree_data(atlas: Atlas) -> list[dict]:
    """The atlas's groups with their structures, in tree order, as the browser tree needs them.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> tree_data(load_atlas())[0]["structures"][0]["mesh"]
    True
    """
    groups = []
    for group in atlas.groups.values():
        members = [{"id": s.id, "name": s.name, "mesh": s.mesh is not None} for s in atlas.in_group(group.id)]
        if members:
            groups.append({"id": group.id, "name": group.name, "structures": members})
    return groups


class StructureTree(pn.custom.JSComponent):
    """Structures by group; ticking shows or hides, clicking a name selects, a group's "only" isolates it.

    Parameters
    ----------
    on_isolate
        Called with the ids to show alone when a group's "only" button is pressed.

    Examples
    --------
    >>> tree = StructureTree(groups=[{"id": "bones", "name": "Bones", "structures": []}])
    >>> tree.matches is None
    True
    """

    groups = param.List(default=[], doc="Output of :func:`tree_data`.")
    shown = param.List(default=[], doc="Ids of the structures shown in 3D.")
    selected = param.String(default="", doc="Id of the selected structure ('' for none).")
    matches = param.List(default=None, allow_None=True, doc="Ids the search matched; None shows all.")

    _esm = Path(__file__).with_name("tree.js")
    _stylesheets = [_CSS]

    def __init__(self, on_isolate: Callable[[list[str]], None] | None = None, **params):
        super().__init__(**params)
        self._on_isolate = on_isolate

    def _handle_msg(self, msg) -> None:
        ids = msg.get("isolate") if isinstance(msg, dict) else None
        if self._on_isolate is not None and isinstance(ids, list):
            self._on_isolate([sid for sid in ids if isinstance(sid, str)])
