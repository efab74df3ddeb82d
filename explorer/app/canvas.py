"""The 3D canvas: Panel's VTK pane wrapped so that clicks pick structures in the browser.

Panel's VTK pane only sends the scene from Python to the browser. :class:`KneeCanvas` holds
the pane as a child and, in the browser (``canvas.js``), picks with vtk.js's cell picker on a
click (a press and release at most 4 px apart; a drag only rotates), and applies appearance,
clipping and labels to the vtk.js actors directly, so the scene is never re-sent.

This relies on internals of Panel's synchronised VTK model (``renderer_el`` and
``getActors``), which is why ``pyproject.toml`` pins Panel's minor version and a browser
test clicks a bone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import panel as pn
import param

_ESM = Path(__file__).with_name("canvas.js")

_CSS = """
:host { display: block; }
.knee-canvas { position: relative; width: 100%; height: 100%; min-height: inherit; }
.knee-canvas:focus-within { outline: 3px solid #1a5fb4; outline-offset: -3px; }
.knee-labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.knee-label {
  position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 12px/1.2 system-ui, sans-serif; color: #111; background: rgba(255, 255, 255, 0.85);
  border: 1px solid #888; border-radius: 3px; padding: 1px 4px;
}
"""


class KneeCanvas(pn.custom.JSComponent):
    """A VTK pane whose structures can be clicked, recoloured, hidden and clipped in the browser.

    Parameters
    ----------
    scene
        The :class:`panel.pane.VTK` pane showing the render window.
    actor_ptrs
        Structure id to the pointer string of its Python-side actor (``actor.__this__``).
    on_pick
        Called with the id of the clicked structure, or ``""`` for the background.

    Examples
    --------
    >>> canvas = KneeCanvas(actor_ptrs={})
    >>> canvas.receive_pick("femur")  # what a click in the browser does; no callback set
    'femur'
    """

    scene = pn.custom.Child(doc="The VTK pane.")
    actor_ptrs = param.Dict(default={}, doc="Structure id -> pointer string of its actor.")
    appearance = param.Dict(default={}, doc="Structure id -> [visible, opacity, '#rrggbb'].")
    clip = param.Dict(default={}, doc="{'origin': [x,y,z], 'normal': [x,y,z]} or {} for no clipping.")
    labels = param.Boolean(default=False, doc="Show structure names over the 3D view.")
    label_anchors = param.Dict(default={}, doc="Structure id -> [name, x, y, z] where its label sits.")

    _esm = _ESM
    _stylesheets = [_CSS]

    def __init__(self, on_pick: Callable[[str], None] | None = None, **params):
        super().__init__(**params)
        self._on_pick = on_pick

    def receive_pick(self, structure_id: str) -> str:
        """Handle a pick as the browser reports it; returns the id."""
        if self._on_pick is not None:
            self._on_pick(structure_id)
        return structure_id

    def _handle_msg(self, msg) -> None:
        if isinstance(msg, dict) and isinstance(msg.get("picked"), str):
            self.receive_pick(msg["picked"])
