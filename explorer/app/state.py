"""The shareable part of the explorer's state, to and from a URL query string.

The query holds ``show`` (visible structure ids, comma-separated), ``sel`` (selected structure),
``cause`` (pain cause) and ``cam`` (camera position, focal point and up vector: nine numbers).
Absent keys mean the default. Anything malformed or unknown makes :func:`decode` return the
default state with a notice, never an exception.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from explorer.atlas import Atlas

_ID = re.compile(r"^[a-z0-9_]{1,64}$")
_MAX_VALUE = 8000
KEYS = ("show", "sel", "cause", "cam")


@dataclass
class ViewState:
    """What a link restores; ``visible=None`` means the default set of structures."""

    visible: list[str] | None = None
    selected: str = ""
    cause: str = ""
    camera: dict | None = None
    notices: list[str] = field(default_factory=list)


def encode(state: ViewState, default_visible: list[str]) -> str:
    """The query string (with a leading ``?``, or ``""``) for a state.

    Examples
    --------
    >>> encode(ViewState(visible=["femur"], selected="femur"), ["femur", "tibia"])
    '?show=femur&sel=femur'
    >>> encode(ViewState(), ["femur"])
    ''
    """
    query: dict[str, str] = {}
    if state.visible is not None and sorted(state.visible) != sorted(default_visible):
        query["show"] = ",".join(state.visible) if state.visible else "-"
    if state.selected:
        query["sel"] = state.selected
    if state.cause:
        query["cause"] = state.cause
    if state.camera:
        numbers = [*state.camera["position"], *state.camera["focalPoint"], *state.camera["viewUp"]]
        query["cam"] = ",".join(f"{v:.4g}" for v in numbers)
    return "?" + urlencode(query, safe=",-") if query else ""


def decode(query: dict, atlas: Atlas) -> ViewState:
    """The state a query (``{key: str or [str or bytes]}``) asks for, validated against the atlas.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> decode({"sel": ["tibia"]}, atlas).selected
    'tibia'
    >>> bad = decode({"sel": ["<script>"]}, atlas)
    >>> bad.selected, bad.notices[0].startswith("This link")
    ('', True)
    """
    try:
        return _decode(query, atlas)
    except _Invalid as problem:
        return ViewState(notices=[f"This link could not be restored ({problem}); showing the default view."])


class _Invalid(ValueError):
    pass


def _value(query: dict, key: str) -> str | None:
    raw = query.get(key)
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        if len(raw) != 1:
            raise _Invalid(f"'{key}' is given {len(raw)} times")
        raw = raw[0]
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Invalid(f"'{key}' is not text") from None
    if not isinstance(raw, str) or len(raw) > _MAX_VALUE:
        raise _Invalid(f"'{key}' is too long or not text")
    return raw


def _known_id(value: str, known, what: str) -> str:
    if not _ID.match(value):
        raise _Invalid(f"malformed {what} id")
    if value not in known:
        raise _Invalid(f"unknown {what} '{value}'")
    return value


def _decode(query: dict, atlas: Atlas) -> ViewState:
    state = ViewState()
    show = _value(query, "show")
    if show is not None:
        ids = [] if show == "-" else show.split(",")
        meshes = {sid for sid, s in atlas.structures.items() if s.mesh is not None}
        state.visible = list(dict.fromkeys(_known_id(v, meshes, "structure") for v in ids))
    selected = _value(query, "sel")
    if selected:
        state.selected = _known_id(selected, atlas.structures, "structure")
    cause = _value(query, "cause")
    if cause:
        state.cause = _known_id(cause, atlas.causes, "pain cause")
    camera = _value(query, "cam")
    if camera:
        try:
            numbers = [float(v) for v in camera.split(",")]
        except ValueError:
            raise _Invalid("malformed camera") from None
        if len(numbers) != 9 or not all(math.isfinite(v) and abs(v) < 1e5 for v in numbers):
            raise _Invalid("malformed camera")
        position, focal, up = numbers[:3], numbers[3:6], numbers[6:]
        if math.dist(position, focal) < 1e-3 or math.hypot(*up) < 1e-6:
            raise _Invalid("degenerate camera")
        state.camera = {"position": position, "focalPoint": focal, "viewUp": up}
    return state
