"""A check box and a slider built from native inputs, named by their visible words."""

from __future__ import annotations

from pathlib import Path

import param
from panel.custom import JSComponent

_CSS = """
.knee-control { display: flex; align-items: center; gap: 0.5em; margin: 0.35em 0; cursor: pointer; }
.knee-check input { width: 18px; height: 18px; margin: 0; }
.knee-range { flex-wrap: wrap; }
.knee-range label { flex: 1 1 auto; }
.knee-range .knee-value { font-variant-numeric: tabular-nums; }
.knee-range input { flex: 1 1 100%; margin: 0; min-height: 24px; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
"""


class NativeControl(JSComponent):
    """One check box (``kind="check"``) or slider (``kind="range"``).

    Examples
    --------
    >>> NativeControl(kind="range", label="Cut position", start=-60, end=60, unit=" mm").value
    0.0
    """

    kind = param.Selector(default="check", objects=["check", "range"], constant=True, doc="Check box or slider.")
    label = param.String(default="", doc="The visible words, which also name the control.")
    checked = param.Boolean(default=False, doc="Whether the check box is ticked.")
    value = param.Number(default=0.0, doc="The slider's value.")
    start = param.Number(default=0.0, doc="The slider's lowest value.")
    end = param.Number(default=1.0, doc="The slider's highest value.")
    step = param.Number(default=1.0, doc="The slider's step (also what an arrow key moves).")
    unit = param.String(default="", doc="Said and shown after the slider's value.")
    live = param.Boolean(default=False, doc="Send the value while the slider moves, not only when let go.")

    _esm = Path(__file__).with_name("controls.js")
    _stylesheets = [_CSS]


def check_box(label: str, checked: bool = False) -> NativeControl:
    """A check box named ``label``."""
    return NativeControl(kind="check", label=label, checked=checked, sizing_mode="stretch_width")


def slider(label: str, start: float, end: float, step: float, value: float, unit: str = "",
           live: bool = False) -> NativeControl:
    """A slider named ``label``, saying its value with ``unit``."""
    return NativeControl(kind="range", label=label, start=start, end=end, step=step, value=value, unit=unit,
                         live=live, sizing_mode="stretch_width")
