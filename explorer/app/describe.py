"""The 3D view in words, for screen readers: what is shown, from where, what is chosen; and a polite announcement.

:func:`describe_view` writes the text; :class:`ViewDescription` holds it in the page (read on demand,
not spoken at every change) beside a live region that announces each new selection or cause once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import param
from panel.custom import JSComponent

from explorer.atlas import Atlas
from explorer.nerve_territories import SKIN_GROUP, territories_for

_SIDES = ((0, "the lateral side", "the medial side"), (1, "the front", "behind"), (2, "above", "below"))

_ESM = """
export function render({ model, el }) {
  const heading = document.createElement("h2");
  heading.textContent = "What the 3D view shows";
  const description = document.createElement("p");
  const live = document.createElement("p");
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  const show = () => { description.textContent = model.description; };
  const say = () => { live.textContent = model.announcement; };
  model.on("description", show);
  model.on("announcement", say);
  show();
  el.append(heading, description, live);
}
"""

# Seen by screen readers, not on screen.
_CSS = """
:host { position: absolute !important; width: 1px !important; height: 1px !important; overflow: hidden !important;
        clip-path: inset(50%) !important; white-space: nowrap; margin: -1px !important; }
"""


def direction_words(camera: dict) -> str:
    """Where the camera looks from, in words ("from behind", "from the front and above").

    Examples
    --------
    >>> direction_words({"position": [0, -500, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})
    'from behind'
    >>> direction_words({"position": [300, 300, 150], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})
    'from the lateral side and the front, a little from above'
    """
    offset = np.asarray(camera["position"], dtype=float) - np.asarray(camera["focalPoint"], dtype=float)
    offset /= np.linalg.norm(offset) or 1.0
    ranked = sorted(_SIDES, key=lambda side: -abs(offset[side[0]]))
    words = [positive if offset[axis] > 0 else negative for axis, positive, negative in ranked]
    strength = [abs(offset[axis]) for axis, _, _ in ranked]
    text = f"from {words[0]}"
    if strength[1] > 0.5:
        text += f" and {words[1]}"
    elif strength[1] > 0.25:
        text += f", a little from {words[1]}"
    if strength[1] > 0.5 and strength[2] > 0.25:
        text += f", a little from {words[2]}"
    return text


def shown_words(atlas: Atlas, shown: Iterable[str]) -> str:
    """The structures shown, group by group ("all Bones, 3 of 12 Muscles; hidden: Nerves").

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas(meshes=False)
    >>> shown_words(atlas, [s.id for s in atlas.in_group("bones")]).startswith("all Bones")
    True
    """
    shown = set(shown)
    parts, hidden = [], []
    for group in atlas.groups.values():
        members = [s.id for s in atlas.in_group(group.id) if s.mesh_file and not s.pathology]
        count = len(shown.intersection(members))
        if not members:
            continue
        if count == len(members):
            parts.append(f"all {group.name}")
        elif count:
            parts.append(f"{count} of {len(members)} {group.name}")
        else:
            hidden.append(group.name)
    text = ", ".join(parts) if parts else "nothing"
    return text + (f"; hidden: {', '.join(hidden)}" if hidden and parts else "")


def describe_view(atlas: Atlas, shown: Iterable[str], selected: str, cause: str, camera: dict,
                  ghost: bool = False, cut: str = "") -> str:
    """The 3D view in a few sentences.

    Parameters
    ----------
    shown
        Ids of the structures asked for.
    selected, cause
        The selected structure and the pain cause ('' for none).
    camera
        ``{"position", "focalPoint", "viewUp"}``.
    ghost
        Whether X-ray is on.
    cut
        The cut in words ('' for none).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> from explorer.views import named_camera
    >>> atlas = load_atlas(meshes=False)
    >>> describe_view(atlas, ["tibia"], "tibia", "", named_camera("posterior"))  # doctest: +ELLIPSIS
    'The right knee seen from behind. Shown: 1 of 4 Bones; hidden: Cartilage, ... Selected: Tibia, in pink.'
    """
    sentences = [f"The right knee seen {direction_words(camera)}.", f"Shown: {shown_words(atlas, shown)}."]
    if cause:
        involved = ", ".join(atlas[sid].name for sid in atlas.causes[cause].structures if sid in atlas.structures)
        sentences.append(f"Pain cause: {atlas.causes[cause].name}; in colour and labelled: {involved}; "
                         "everything else faint.")
    territories = territories_for(atlas, selected) if selected else []
    if selected:
        pink = atlas[selected].mesh_file and atlas[selected].group != SKIN_GROUP
        sentences.append(f"Selected: {atlas[selected].name}{', in pink' if pink else ''}.")
    if territories:
        names = ", ".join(atlas[t.nerve].name for t in territories)
        sentences.append(f"Painted on the skin, each in its own colour: the skin supplied by {names}.")
    if ghost and selected:
        sentences.append("X-ray: everything else is faint.")
    if cut:
        sentences.append(f"Cut {cut}.")
    return " ".join(sentences)


class ViewDescription(JSComponent):
    """The view's description for screen readers, and a live region announcing selections politely.

    Examples
    --------
    >>> ViewDescription(description="The right knee seen from the front.").announcement
    ''
    """

    description = param.String(default="", doc="What the 3D view shows (see describe_view).")
    announcement = param.String(default="", doc="Spoken once when it changes: a new selection or cause.")

    _esm = _ESM
    _stylesheets = [_CSS]
