"""The 3D canvas: the knee drawn in the browser with WebGL 2, clickable, shared by every session.

The meshes go to the browser once, as one compact block served from the app's own route
(:mod:`explorer.app.meshdata`); after that only small parameters travel: each structure's look,
the clipping plane, the labels switch and the camera. A click (a press and release at most 4 px
apart; a drag only moves the camera) picks from an off-screen id buffer and reports the id; the same
buffer names the structure under a resting mouse. The selected structure keeps a label pinned to it,
and a cut shows the cut faces of the structures it runs through as solid.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from collections.abc import Callable

import panel as pn
import param

from explorer.draw3d import drawing_helpers

_ESM = Path(__file__).with_name("canvas.js")

_CSS = """
:host { display: block; }
.knee-canvas { position: relative; width: 100%; height: 100%; min-height: inherit; overflow: hidden; }
.knee-canvas:focus-visible { outline: 3px solid #1a5fb4; outline-offset: -3px; }
.knee-canvas > canvas:first-child { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; cursor: grab; }
.knee-triad { position: absolute; left: 6px; bottom: 6px; width: 96px; height: 96px; pointer-events: none; }
.knee-canvas-notice {
  position: absolute; left: 1em; right: 1em; top: 1em; margin: 0; background: #fff3cd;
  border: 1px solid #b58900; border-radius: 4px; padding: 0.4em 0.7em;
}
.knee-labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.knee-label {
  position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 12px/1.2 system-ui, sans-serif; color: #111; background: rgba(255, 255, 255, 0.85);
  border: 1px solid #888; border-radius: 3px; padding: 1px 4px;
}
.knee-pin { transform: none; font-weight: 600; border-color: #222; background: rgba(255, 255, 255, 0.95); }
.knee-named { transform: none; border-color: #444; background: rgba(255, 255, 255, 0.92); }
.knee-marker { transform: none; font-weight: 600; color: #fff; background: #b3261e; border-color: #5c0f0a; }
.knee-leader circle.knee-marker-dot { fill: #d0312d; stroke-width: 2; }
.knee-leader { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
.knee-leader line { stroke: #222; stroke-width: 1.2; }
.knee-leader circle { fill: #222; stroke: #fff; stroke-width: 1; }
.knee-hover {
  position: absolute; pointer-events: none; white-space: nowrap; z-index: 2;
  font: 13px/1.3 system-ui, sans-serif; color: #fff; background: rgba(20, 20, 20, 0.85);
  border-radius: 3px; padding: 2px 6px;
}
.knee-hover[hidden] { display: none; }
"""


class KneeCanvas(pn.custom.JSComponent):
    """The knee in WebGL: structures can be clicked, recoloured, hidden and clipped, the camera moved.

    Parameters
    ----------
    manifest
        Per structure: id, name, label anchor and where its mesh lies in the block (see
        :func:`explorer.app.meshdata.pack_meshes`).
    mesh_url
        Where the browser fetches the mesh block, relative to the page.
    on_pick
        Called with the id of the clicked structure, or ``""`` for the background.

    Examples
    --------
    >>> canvas = KneeCanvas(manifest=[])
    >>> canvas.receive_pick("femur")  # what a click in the browser does; no callback set
    'femur'
    """

    manifest = param.List(default=[], doc="Structures and where their meshes lie in the block.")
    mesh_url = param.String(default="knee-meshes.bin", doc="The mesh block's address, relative to the page.")
    looks = param.String(default="{}", doc="JSON: structure id -> [visible, opacity, '#rrggbb'] (one string "
                                          "travels far faster than the same as nested values).")
    clip = param.Dict(default={}, doc="{'origin': [x,y,z], 'normal': [x,y,z]} (kept where (p - origin).normal >= 0) or {}.")
    labels = param.Boolean(default=False, doc="Show structure names over the 3D view.")
    camera = param.Dict(default={}, doc="{'position', 'focalPoint', 'viewUp'}; the browser writes it back after a move.")
    selected = param.String(default="", doc="The selected structure, whose label is pinned to it in 3D.")
    hover = param.Boolean(default=True, doc="Name the structure under a resting mouse (off while a quiz asks).")
    marker = param.Dict(default={}, doc="A point marked in 3D with a label, {'point': [x, y, z] (mm), 'text': ...} "
                                       "(where it hurts, in the pain map), or {}.")
    leg_axis = param.List(default=[], doc="The leg's long axis, [[z, x, y], ...] (mm) up the leg, round which the skin "
                                          "territories painted by a look are measured (see explorer.pain_regions).")
    named = param.Dict(default={}, doc="Structures always labelled (a pain cause's), labels or not: id -> the "
                                      "[x, y, z] (mm) the label marks.")

    _esm = _ESM
    _stylesheets = [_CSS]

    @classmethod
    def _render_esm(cls, compiled=True, server=False) -> str:
        # The drawing helpers the offline page uses too come first.
        return drawing_helpers() + "\n" + _ESM.read_text(encoding="utf-8")

    def __init__(self, on_pick: Callable[[str], None] | None = None, **params):
        super().__init__(**params)
        self._on_pick = on_pick
        self.last_ray: tuple[float, ...] | None = None

    @property
    def appearance(self) -> dict:
        """Structure id -> ``[visible, opacity, '#rrggbb']``, as :attr:`looks` holds it."""
        return json.loads(self.looks)

    def receive_pick(self, structure_id: str, ray=None) -> str:
        """Handle a pick as the browser reports it; returns the id.

        ``ray`` is the click's ray from the eye, six numbers (origin, unit direction, mm), kept as
        :attr:`last_ray` (``None`` when absent or not six finite numbers) for modes that need the point.
        """
        self.last_ray = _checked_ray(ray)
        if self._on_pick is not None:
            self._on_pick(structure_id)
        return structure_id

    def _handle_msg(self, msg) -> None:
        if isinstance(msg, dict) and isinstance(msg.get("picked"), str):
            self.receive_pick(msg["picked"], msg.get("ray"))


def _checked_ray(ray) -> tuple[float, ...] | None:
    if not isinstance(ray, list) or len(ray) != 6:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in ray):
        return None
    return tuple(float(v) for v in ray)
