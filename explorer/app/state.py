"""The shareable part of the explorer's state, to and from a URL query string.

The query holds ``show`` (visible structure ids, comma-separated), ``sel`` (selected structure),
``cause`` (pain cause), ``cam`` (camera position, focal point and up vector: nine numbers),
``op`` (group opacities, ``bones:0.4,muscles:0.2``), ``xray=1`` (ghost all but the selection),
``clip`` (a cutting plane: axis ``x``, ``y`` or ``z`` and position in mm, ``y:10``) and ``labels=1``.
``refused`` is the server's: it sent the browser here instead of to a link it would not read.
Absent keys mean the default. Anything malformed or unknown makes :func:`decode` return the
default state with a notice, never an exception.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from explorer.atlas import Atlas

_ID = re.compile(r"^[a-z0-9_]{1,64}$")
_MAX_VALUE = 8000
KEYS = ("show", "sel", "cause", "cam", "op", "xray", "clip", "labels")
CLIP_AXES = "xyz"
CLIP_RANGE_MM = 80.0
#: What ``refused=`` means in a link the server redirected to, as the notice says it.
REFUSED_LINKS = {"long": "it is too long", "unreadable": "it could not be read"}


@dataclass
class ViewState:
    """What a link restores; ``visible=None`` means the default set of structures."""

    visible: list[str] | None = None
    selected: str = ""
    cause: str = ""
    camera: dict | None = None
    opacity: dict[str, float] = field(default_factory=dict)
    ghost: bool = False
    clip: tuple[str, float] | None = None
    labels: bool = False
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
    opacity = {group: value for group, value in state.opacity.items() if value != 1.0}
    if opacity:
        query["op"] = ",".join(f"{group}:{value:.3g}" for group, value in sorted(opacity.items()))
    if state.ghost:
        query["xray"] = "1"
    if state.clip is not None:
        query["clip"] = f"{state.clip[0]}:{state.clip[1]:g}"
    if state.labels:
        query["labels"] = "1"
    return "?" + urlencode(query, safe=",-:") if query else ""


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
        refused = _value(query, "refused")
        if refused is not None:
            raise InvalidViewError(REFUSED_LINKS.get(refused, "it could not be read"))
        return _decode(query, atlas)
    except InvalidViewError as problem:
        return ViewState(notices=[f"This link could not be restored ({problem}); showing the default view."])


class InvalidViewError(ValueError):
    """A link, or what the page sent, asks for a view that cannot be shown."""


def _value(query: dict, key: str) -> str | None:
    raw = query.get(key)
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        if len(raw) != 1:
            raise InvalidViewError(f"'{key}' is given {len(raw)} times")
        raw = raw[0]
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidViewError(f"'{key}' is not text") from None
    if not isinstance(raw, str) or len(raw) > _MAX_VALUE:
        raise InvalidViewError(f"'{key}' is too long or not text")
    return raw


def _known_id(value: str, known, what: str) -> str:
    if not _ID.match(value):
        raise InvalidViewError(f"malformed {what} id")
    if value not in known:
        raise InvalidViewError(f"unknown {what} '{value}'")
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
        numbers = camera.split(",")
        if len(numbers) != 9:
            raise InvalidViewError("malformed camera")
        state.camera = checked_camera({"position": numbers[:3], "focalPoint": numbers[3:6], "viewUp": numbers[6:]})
    opacity = _value(query, "op")
    if opacity:
        for item in opacity.split(","):
            group, _, value = item.partition(":")
            _known_id(group, atlas.groups, "group")
            state.opacity[group] = _number(value, 0.0, 1.0, "opacity")
    state.ghost = _flag(query, "xray")
    clip = _value(query, "clip")
    if clip:
        axis, _, position = clip.partition(":")
        if axis not in CLIP_AXES or len(axis) != 1:
            raise InvalidViewError("malformed cutting plane")
        state.clip = (axis, _number(position, -CLIP_RANGE_MM, CLIP_RANGE_MM, "cutting plane"))
    state.labels = _flag(query, "labels")
    return state


def checked_camera(camera) -> dict:
    """A camera as a link or the page gives it, as floats; ValueError unless it is one the view can show.

    Each of ``position``, ``focalPoint`` and ``viewUp`` must be three finite numbers under 1e5 mm; the
    camera must look somewhere, and its up vector must not be zero or along the line of sight.

    Examples
    --------
    >>> checked_camera({"position": ["0", "-500", "0"], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})["position"]
    [0.0, -500.0, 0.0]
    >>> checked_camera({"position": [0, 0, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]})
    Traceback (most recent call last):
    ...
    explorer.app.state.InvalidViewError: degenerate camera
    """
    try:
        numbers = {key: [float(v) for v in camera[key]] for key in ("position", "focalPoint", "viewUp")}
    except (KeyError, TypeError, ValueError, OverflowError):
        raise InvalidViewError("malformed camera") from None
    if not all(len(v) == 3 and all(math.isfinite(x) and abs(x) < 1e5 for x in v) for v in numbers.values()):
        raise InvalidViewError("malformed camera")
    position, focal, up = (np.array(numbers[key]) for key in ("position", "focalPoint", "viewUp"))
    sight = focal - position
    if np.linalg.norm(sight) < 1e-3 or np.linalg.norm(np.cross(sight, up)) < 1e-6 * np.linalg.norm(sight):
        raise InvalidViewError("degenerate camera")
    return numbers


def _number(text: str, low: float, high: float, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidViewError(f"malformed {what}") from None
    if not low <= value <= high:
        raise InvalidViewError(f"{what} out of range")
    return value


def _flag(query: dict, key: str) -> bool:
    value = _value(query, key)
    if value not in (None, "0", "1"):
        raise InvalidViewError(f"'{key}' must be 0 or 1")
    return value == "1"
