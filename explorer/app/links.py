"""A row of link buttons (pain causes, related structures) that only sends data, not new widgets.

Changing the links of one :class:`LinkList` is one small update, so a click on the 3D view
shows its links without building widgets; a click on a link reports what it stands for.
"""

from __future__ import annotations

import json

from collections.abc import Callable

import panel as pn
import param

_ESM = """
export function render({ model }) {
  const box = document.createElement("section");
  box.className = "knee-links";
  function build() {
    const items = JSON.parse(model.links).map((item) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = item.kind;
      button.textContent = item.label;
      button.addEventListener("click", () => model.send_msg({ kind: item.kind, id: item.id }));
      const entry = document.createElement("li");
      entry.append(button);
      return entry;
    });
    const list = document.createElement("ul");
    list.append(...items);
    if (model.heading && items.length) {
      const heading = document.createElement("h3");
      heading.textContent = model.heading;
      box.setAttribute("aria-label", model.heading);
      box.replaceChildren(heading, list);
    } else {
      box.removeAttribute("aria-label");
      box.replaceChildren(...(items.length ? [list] : []));
    }
  }
  model.on(["links", "heading"], build);
  build();
  return box;
}
"""

_CSS = """
.knee-links { margin: 4px 10px; }
.knee-links h3 { font-size: 1em; margin: 0.3em 0; }
.knee-links ul { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 0; padding: 0; }
.knee-links button {
  font: inherit; font-size: 0.95em; padding: 4px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid #c7ccd4; background: #f6f7f9; color: #1b1f24;
}
.knee-links button.cause { border-color: #b0306f; background: #fdeef6; }
.knee-links button.leave { border-color: #888; background: #fff; }
.knee-links button:hover { background: #e8ebf0; }
.knee-links button:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 1px; }
"""


class LinkList(pn.custom.JSComponent):
    """Buttons for ``items`` (``{"label", "kind", "id"}``); a click calls ``on_choose(kind, id)``.

    Examples
    --------
    >>> chosen = []
    >>> links = LinkList(items=[{"label": "Femur", "kind": "structure", "id": "femur"}],
    ...                  on_choose=lambda kind, id_: chosen.append((kind, id_)))
    >>> links.choose("structure", "femur"); chosen
    [('structure', 'femur')]
    """

    items = param.List(default=[], doc="The links: label, kind ('cause', 'structure' or 'leave') and id.")
    heading = param.String(default="", doc="A word shown before the links (when there are any).")
    links = param.String(default="[]", doc="``items`` as JSON, as the page gets them (one string travels far "
                                           "faster than the same as nested values).")

    _esm = _ESM
    _stylesheets = [_CSS]
    _property_mapping = {"items": None}  # the page gets them as ``links``

    def __init__(self, on_choose: Callable[[str, str], None] | None = None, **params):
        super().__init__(**params)
        self._on_choose = on_choose

    @param.depends("items", watch=True, on_init=True)
    def _encode(self) -> None:
        self.links = json.dumps(self.items, separators=(",", ":"))

    def choose(self, kind: str, item_id: str) -> None:
        """Act as if the link of this kind and id was clicked (only links on show count)."""
        if self._on_choose is not None and any(i["kind"] == kind and i["id"] == item_id for i in self.items):
            self._on_choose(kind, item_id)

    def _handle_msg(self, msg) -> None:
        if isinstance(msg, dict) and isinstance(msg.get("kind"), str) and isinstance(msg.get("id"), str):
            self.choose(msg["kind"], msg["id"])
