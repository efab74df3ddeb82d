"""Saved views: the browser app's URL state as a small JSON file, plus a named camera, labels and a title.

A saved view file looks like::

    {
      "format": "knee-explorer-view",
      "version": 1,
      "show": ["femur", "tibia", "medial_meniscus"],
      "selected": "medial_meniscus",
      "cause": "",
      "camera": "posterior",
      "labels": true,
      "title": "The medial meniscus from behind",
      "opacity": {"bones": 0.5},
      "xray": false,
      "clip": null
    }

``show`` (structure ids; ``null`` or absent for the default set), ``selected`` and ``cause`` are what the
app's link holds (:class:`explorer.app.state.ViewState`); ``camera`` is a named view
(:data:`explorer.views.VIEWS`) or ``{"position", "focalPoint", "viewUp"}`` (as in the link). ``opacity``
(group id -> 0 to 1), ``xray`` (ghost all but the selection) and ``clip`` (``{"axis": "x", "y" or "z",
"position": mm}``, the side towards the axis's positive end cut away) are optional, as in the link.
"""

from __future__ import annotations

import json
import numbers
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from explorer.app.state import CLIP_AXES, CLIP_RANGE_MM, ViewState, checked_camera, decode, encode
from explorer.appearance import default_visible
from explorer.atlas import Atlas
from explorer.causes import find_cause
from explorer.safe_read import read_text
from explorer.views import VIEWS

FORMAT = "knee-explorer-view"
VERSION = 1
_KEYS = {"format", "version", "show", "selected", "cause", "camera", "labels", "title", "opacity", "xray", "clip"}
_ID = re.compile(r"^[a-z0-9_]{1,64}$")
_CAMERA_KEYS = ("position", "focalPoint", "viewUp")
_CAMERA_RULE = ("'camera' must have position, focalPoint and viewUp, three numbers each under 1e5 mm, the position "
                "away from the focal point, the up vector neither zero nor along the line of sight")


@dataclass
class SavedView:
    """What to show and from where; the link state of the app plus a named camera, labels and a title.

    Parameters
    ----------
    state
        Visible structures, selection, pain cause and explicit camera, as the app's URL holds them.
    camera_name
        A named view (anterior, posterior, ...) used when ``state.camera`` is not set.
    labels
        Label the visible structures in exports.
    title
        A title for exported pictures and pages.

    Examples
    --------
    >>> view = SavedView(ViewState(selected="fibula"), camera_name="lateral", labels=True)
    >>> view.to_dict()["camera"], view.to_dict()["selected"]
    ('lateral', 'fibula')
    """

    state: ViewState = field(default_factory=ViewState)
    camera_name: str = "anterior"
    labels: bool = False
    title: str = ""

    # conversions ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON-ready dictionary written to a saved view file."""
        return {
            "format": FORMAT, "version": VERSION,
            "show": None if self.state.visible is None else list(self.state.visible),
            "selected": self.state.selected, "cause": self.state.cause,
            "camera": dict(self.state.camera) if self.state.camera else self.camera_name,
            "labels": self.labels, "title": self.title, "opacity": dict(self.state.opacity),
            "xray": self.state.ghost,
            "clip": {"axis": self.state.clip[0], "position": self.state.clip[1]} if self.state.clip else None,
        }

    @classmethod
    def from_dict(cls, data: dict, atlas: Atlas) -> "SavedView":
        """Validate a saved view dictionary against the atlas.

        Raises
        ------
        ValueError
            Naming the first problem: an unknown key, structure, cause or view, or a malformed camera.

        Examples
        --------
        >>> from explorer import load_atlas
        >>> SavedView.from_dict({"cause": "pcl_tear", "camera": "posterior"}, load_atlas(meshes=False)).state.cause
        'pcl_tear'
        """
        if not isinstance(data, dict):
            raise ValueError("a saved view must be a JSON object")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ValueError(f"unknown saved-view key {unknown[0]!r}")
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not a saved view (format {data.get('format')!r})")
        version = data.get("version", VERSION)
        if type(version) is not int or version != VERSION:
            raise ValueError(f"unsupported saved-view version {version!r}")
        state = ViewState()
        show = data.get("show")
        if show is not None:
            if not isinstance(show, list) or not all(isinstance(v, str) for v in show):
                raise ValueError("'show' must be a list of structure ids")
            state.visible = list(dict.fromkeys(_structure(v, atlas, need_mesh=True) for v in show))
        if _text(data, "selected"):
            state.selected = _structure(data["selected"], atlas)
        if _text(data, "cause"):
            state.cause = _cause(data["cause"], atlas)
        camera, camera_name = data.get("camera", "anterior"), "anterior"
        if isinstance(camera, str):
            if camera not in VIEWS:
                raise ValueError(f"unknown view {camera!r} (known: {', '.join(VIEWS)})")
            camera_name = camera
        elif isinstance(camera, dict):
            state.camera = _camera(camera)
        elif camera is not None:
            raise ValueError("'camera' must be a view name or {position, focalPoint, viewUp}")
        labels, title = data.get("labels", False), _text(data, "title")
        if not isinstance(labels, bool):
            raise ValueError("'labels' must be true or false")
        if len(title) > 200:
            raise ValueError("'title' must be text of at most 200 characters")
        state.opacity = _opacity(data.get("opacity"), atlas)
        state.ghost = data.get("xray", False)
        if not isinstance(state.ghost, bool):
            raise ValueError("'xray' must be true or false")
        state.clip = _clip(data.get("clip"))
        state.labels = labels
        return cls(state, camera_name, labels, title)

    def to_query(self, atlas: Atlas) -> str:
        """The app link's query string for this view (labels and title are not part of the link).

        Examples
        --------
        >>> from explorer import load_atlas
        >>> SavedView(ViewState(selected="patella")).to_query(load_atlas(meshes=False))
        '?sel=patella'
        """
        return encode(replace(self.state, labels=self.labels), default_visible(atlas))

    @classmethod
    def from_query(cls, query: str, atlas: Atlas) -> "SavedView":
        """Read the app's link (``?show=...&sel=...``, or a whole URL) into a saved view.

        Raises
        ------
        ValueError
            If the link cannot be restored.
        """
        from urllib.parse import parse_qs, urlsplit

        text = urlsplit(query).query if "://" in query else query.lstrip("?")
        state = decode(parse_qs(text, keep_blank_values=False), atlas)
        if state.notices:
            raise ValueError(state.notices[0])
        return cls(state, labels=state.labels)


def load_view(path: str | Path, atlas: Atlas) -> SavedView:
    """Read and validate a saved view file.

    Raises
    ------
    ValueError
        The file is not a regular file of UTF-8 JSON (see :func:`explorer.safe_read.read_text`), holds
        something other than finite numbers of sensible size, or names something the atlas does not know;
        the message names the file.
    OSError
        The file is missing or cannot be read.
    """
    path = Path(path)
    text = read_text(path)
    try:
        return SavedView.from_dict(json.loads(text, parse_constant=_not_finite, parse_int=_integer), atlas)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise ValueError(f"{path}: not valid JSON (nested too deeply)") from None
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def save_view(view: SavedView, path: str | Path, *, force: bool = False) -> Path:
    """Write a saved view file (JSON); refuses to replace an existing file unless ``force``.

    Examples
    --------
    >>> import tempfile
    >>> from explorer import load_atlas
    >>> p = save_view(SavedView(camera_name="posterior", labels=True), Path(tempfile.mkdtemp()) / "v.json")
    >>> load_view(p, load_atlas(meshes=False)).camera_name
    'posterior'
    """
    from explorer.export.files import atomic_output

    with atomic_output(path, force=force) as temporary:
        temporary.write_text(json.dumps(view.to_dict(), indent=2) + "\n", encoding="utf-8")
    return Path(path)


def _structure(value, atlas: Atlas, need_mesh: bool = False) -> str:
    if not isinstance(value, str) or not _ID.match(value) or value not in atlas.structures:
        raise ValueError(f"unknown structure id {value!r}")
    if need_mesh and not atlas.structures[value].mesh_file:
        raise ValueError(f"structure {value!r} has no mesh to show")
    return value


def _cause(value, atlas: Atlas) -> str:
    if not isinstance(value, str):
        raise ValueError(f"unknown pain cause id {value!r}")
    return find_cause(value, atlas.causes)


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{key}' must be text")
    return value or ""


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _camera(camera: dict) -> dict:
    if set(camera) != set(_CAMERA_KEYS) or not all(
            isinstance(camera[key], (list, tuple)) and all(map(_is_number, camera[key])) for key in _CAMERA_KEYS):
        raise ValueError(f"malformed camera: {_CAMERA_RULE}")
    try:
        return checked_camera(camera)
    except ValueError as error:
        raise ValueError(f"{error}: {_CAMERA_RULE}") from None


def _opacity(opacity, atlas: Atlas) -> dict[str, float]:
    if opacity is None:
        return {}
    if not isinstance(opacity, dict):
        raise ValueError("'opacity' must map group ids to numbers from 0 to 1")
    for group, value in opacity.items():
        if group not in atlas.groups:
            raise ValueError(f"unknown group id {group!r} in 'opacity'")
        if not (_is_number(value) and 0 <= value <= 1):  # NaN fails the comparison
            raise ValueError(f"opacity of {group!r} must be a number from 0 to 1")
    return {group: float(value) for group, value in opacity.items()}


def _clip(clip) -> tuple[str, float] | None:
    if clip is None:
        return None
    if not isinstance(clip, dict) or set(clip) != {"axis", "position"} or clip["axis"] not in tuple(CLIP_AXES):
        raise ValueError("'clip' must be null or {\"axis\": \"x\", \"y\" or \"z\", \"position\": mm}")
    position = clip["position"]
    if not (_is_number(position) and -CLIP_RANGE_MM <= position <= CLIP_RANGE_MM):
        raise ValueError(f"'clip' position must be a number of mm from {-CLIP_RANGE_MM:g} to {CLIP_RANGE_MM:g}")
    return (clip["axis"], float(position))


def _not_finite(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a number a saved view may hold")


def _integer(digits: str) -> int:
    if len(digits) > 20:
        raise ValueError(f"a number of {len(digits.lstrip('-'))} digits is more than a saved view may hold")
    return int(digits)
