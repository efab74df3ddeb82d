"""Tabs a keyboard and a screen reader can use: a tablist before its panels, opened with the arrow keys."""

from __future__ import annotations

from pathlib import Path

import param
from panel.custom import Children, JSComponent

_CSS = """
:host { display: flex; flex-direction: column; min-height: 0; }
.knee-tabs-root { display: flex; flex-direction: column; flex: 1 1 auto; height: 100%; min-height: 0; }
.knee-tablist { display: flex; gap: 0.25em; border-bottom: 1px solid #8a8a8a; flex: 0 0 auto; }
.knee-tablist button {
  font: inherit; padding: 0.45em 1em; background: #f2f2f2; color: #1d1d1d; cursor: pointer;
  border: 1px solid #8a8a8a; border-bottom: none; border-radius: 4px 4px 0 0; margin-bottom: -1px;
}
.knee-tablist button[aria-selected="true"] { background: #fff; font-weight: 600; border-bottom: 1px solid #fff; }
.knee-tablist button:focus-visible, .knee-tabpanel:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 1px; }
.knee-tabpanel { padding-top: 0.4em; overflow: auto; flex: 1 1 0; min-height: 0; }
@media (max-width: 700px) {
  :host, .knee-tabs-root { height: auto; }
  .knee-tabpanel { overflow: visible; flex: 0 0 auto; }
}
"""


class Tabs(JSComponent):
    """Named panels, one shown at a time, chosen from a row of tabs.

    Parameters
    ----------
    objects
        The panels, in order.
    names
        Each panel's tab name.
    label
        What the set of tabs is for, read by screen readers.

    Examples
    --------
    >>> import panel as pn
    >>> tabs = Tabs(objects=[pn.pane.HTML("a"), pn.pane.HTML("b")], names=["A", "B"], label="Demo")
    >>> tabs.active
    0
    """

    objects = Children(doc="The panels, in order.")
    names = param.List(default=[], item_type=str, doc="Each panel's tab name.")
    label = param.String(default="", doc="What the tabs are for (the tablist's accessible name).")
    active = param.Integer(default=0, bounds=(0, None), doc="Index of the panel shown.")

    _esm = Path(__file__).with_name("tabs.js")
    _stylesheets = [_CSS]
