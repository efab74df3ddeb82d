"""Guided tours: one per pain cause, a few steps each, read from ``annotations/tours/<cause id>.yaml``.

A tour file::

    title: Baker's cyst in five steps        # required
    steps:                                   # required: 4 to 8 steps
      - title: The back of the knee          # required: a short heading (at most 80 characters)
        side: posterior                      # required: a named view, or two that are not opposite
                                             #   ([posterior, medial]: from behind and the inner side)
        frame: [semimembranosus, gastrocnemius_medial_head]   # required: structures that fill the view
        show: [bones, muscles]               # optional: structure or group ids (default: the usual set)
        highlight: semimembranosus           # optional: one structure, in the highlight colour
        cause: true                          # optional: show it as the tour's pain-cause view
        xray: false                          # optional: all but the highlight faint
        opacity: {muscles: 0.3}              # optional: group id -> 0 to 1
        labels: true                         # optional (default true): names in the view
        text: >-                             # required: what the step shows, 12 to 90 words
          ...

The camera is never a coordinate: each geometry set frames the step's ``frame`` structures (their part
near the knee) from its ``side``, so one file serves every set. Each step becomes a
:class:`~explorer.export.saved_view.SavedView` (:meth:`TourStep.view`), the same thing the app's
link, the exports and notebooks use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.annotations import check_prose, word_count
from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, read_yaml
from explorer.views import VIEWS, framing

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.export.saved_view import SavedView

MIN_STEPS, MAX_STEPS = 4, 8
MIN_STEP_WORDS, MAX_STEP_WORDS = 12, 90
MAX_TITLE_CHARS = 80
#: The framed sphere's radius (mm) stays between these, so a small ligament keeps some of its surroundings
#: and a long muscle does not shrink the knee.
FRAME_RADIUS_MM = (40.0, 100.0)
#: A structure longer than this (mm) is framed by its part near the knee (a hamstring, a nerve down the leg).
LONG_MM = 150.0
_TOUR_KEYS = {"title", "steps"}
_STEP_KEYS = {"title", "side", "frame", "show", "highlight", "cause", "xray", "opacity", "labels", "text"}
_OPPOSITE = {frozenset(("anterior", "posterior")), frozenset(("medial", "lateral"))}


@dataclass(frozen=True)
class TourStep:
    """One step of a tour: what to show, from where, and what to read.

    Examples
    --------
    >>> step = TourStep("Behind", ("posterior",), ("femur",), text="The femur from behind.")
    >>> step.slug
    'behind'
    """

    title: str
    side: tuple[str, ...]
    frame: tuple[str, ...]
    show: tuple[str, ...] | None = None
    highlight: str = ""
    cause: str = ""
    xray: bool = False
    opacity: Mapping[str, float] = field(default_factory=dict)
    labels: bool = True
    text: str = ""

    @property
    def slug(self) -> str:
        """The title as a file name part (``the-bursa-behind-the-knee``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:48].rstrip("-") or "step"

    def view(self, atlas: "Atlas") -> "SavedView":
        """This step as a saved view of ``atlas``'s geometry set.

        What the set has no mesh for is left out; with meshes loaded the camera frames the ``frame``
        structures from ``side``, otherwise it is the first named side.

        Examples
        --------
        >>> from explorer import load_atlas
        >>> atlas = load_atlas()
        >>> view = atlas.tours["bakers_cyst"].steps[0].view(atlas)
        >>> view.state.camera["position"][1] < view.state.camera["focalPoint"][1]  # from behind
        True
        """
        from explorer.app.state import ViewState
        from explorer.export.saved_view import SavedView

        drawable = [sid for sid, s in atlas.structures.items() if s.mesh_file]
        visible = None
        if self.show is not None:
            wanted = set(expand(self.show, atlas))
            visible = [sid for sid in drawable if sid in wanted]
        state = ViewState(visible=visible, selected=self.highlight, cause=self.cause, camera=self.camera(atlas),
                          opacity=dict(self.opacity), ghost=self.xray, labels=self.labels)
        return SavedView(state, camera_name=self.side[0], labels=self.labels, title=self.title)

    def camera(self, atlas: "Atlas") -> dict | None:
        """The camera that frames the step's structures from its side (None without meshes).

        Examples
        --------
        >>> from explorer import load_atlas
        >>> atlas = load_atlas()
        >>> TourStep("Side", ("posterior", "medial"), ("femur",)).camera(atlas)["viewUp"]
        [0.0, 0.0, 1.0]
        """
        meshes = [atlas[sid].mesh for sid in self.frame if atlas[sid].mesh is not None]
        if not meshes:
            return None
        points = np.concatenate([_framed_part(mesh.points) for mesh in meshes])
        direction = np.sum([VIEWS[name].direction for name in self.side], axis=0)
        direction /= np.linalg.norm(direction)
        up = VIEWS["superior"].up if abs(direction[2]) > 0.9 else (0.0, 0.0, 1.0)
        start = {"position": list(direction * 500.0), "focalPoint": [0.0, 0.0, 0.0], "viewUp": list(up)}
        return framing(points, start, min_radius_mm=FRAME_RADIUS_MM[0], max_radius_mm=FRAME_RADIUS_MM[1])


@dataclass(frozen=True)
class Tour:
    """A guided tour of one pain cause: its id is the cause's.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> tour = load_atlas(meshes=False).tours["deep_vein_thrombosis"]
    >>> 4 <= len(tour.steps) <= 8
    True
    """

    id: str
    title: str
    steps: tuple[TourStep, ...]
    source: Path


def _framed_part(points) -> np.ndarray:
    """The points of a structure that a step frames: all of a compact one, the part near the knee of a long one.

    The part near the knee is what lies within :data:`explorer.sight.REACH_MM` of the knee's centre, or for a
    long structure that stops short of it (a thigh nerve) its quarter nearest the knee.

    Examples
    --------
    >>> len(_framed_part(np.array([[0.0, 0.0, z] for z in range(-400, 400, 2)])))  # an 80 cm line
    91
    >>> float(_framed_part(np.array([[0.0, 0.0, z] for z in range(100, 300, 2)]))[:, 2].max())  # a thigh nerve
    148.0
    """
    from explorer.sight import REACH_MM

    points = np.asarray(points, dtype=float)
    if np.ptp(points, axis=0).max() <= LONG_MM:
        return points
    distance = np.linalg.norm(points, axis=1)
    near = points[distance <= REACH_MM]
    return near if len(near) >= 20 else points[distance <= np.quantile(distance, 0.25)]


def expand(ids, atlas: "Atlas") -> list[str]:
    """Structure ids from structure and group ids, in order, once each.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> expand(["patella", "menisci"], load_atlas(meshes=False))
    ['patella', 'lateral_meniscus', 'medial_meniscus']
    """
    found = [s.id for item in ids for s in (atlas.in_group(item) if item in atlas.groups else [atlas[item]])]
    return list(dict.fromkeys(found))


def read_tours(folder: Path, structures: Mapping, groups: Mapping, causes: Mapping,
               problems: list[Problem]) -> dict[str, Tour]:
    """Read every ``<cause id>.yaml`` in ``folder``; each problem found is added to ``problems``, naming file and field.

    A missing folder holds no tours. A file with problems gives no tour.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas, found = load_atlas(meshes=False), []
    >>> tours = read_tours(atlas.root / "annotations" / "tours", atlas.structures, atlas.groups, atlas.causes, found)
    >>> found, "pcl_tear" in tours
    ([], True)
    """
    tours: dict[str, Tour] = {}
    if not folder.is_dir():
        return tours
    for path in sorted(folder.glob("*.yaml")):
        found: list[Problem] = []
        tour = _read_tour(path, structures, groups, causes, found)
        problems += found
        if tour is not None and not found:
            tours[tour.id] = tour
    return tours


def _read_tour(path: Path, structures: Mapping, groups: Mapping, causes: Mapping,
               problems: list[Problem]) -> Tour | None:
    if path.stem not in causes:
        problems.append(Problem(path, None, f"no pain cause {path.stem!r}: a tour file is named after its cause's id"))
        return None
    try:
        data = read_yaml(path)
    except UnreadableFile as error:
        problems.append(error.problem)
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path, None, "must hold a mapping with 'title' and 'steps'"))
        return None
    for key in sorted(set(data) - _TOUR_KEYS):
        problems.append(Problem(path, str(key), f"unknown field (known: {', '.join(sorted(_TOUR_KEYS))})"))
    title = _text(path, "title", data.get("title"), MAX_TITLE_CHARS, problems)
    entries = data.get("steps")
    if not isinstance(entries, list) or not MIN_STEPS <= len(entries) <= MAX_STEPS:
        count = f"{len(entries)} steps" if isinstance(entries, list) else "not a list"
        problems.append(Problem(path, "steps", f"must be a list of {MIN_STEPS} to {MAX_STEPS} steps ({count})"))
        return None
    rules = _Rules(path, structures, groups, path.stem, problems)
    steps = [rules.step(f"steps[{i}]", entry) for i, entry in enumerate(entries)]
    if problems or None in steps:
        return None
    return Tour(path.stem, title, tuple(steps), path)


def _text(path: Path, name: str, value, max_chars: int, problems: list[Problem]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(path, name, "missing or not text"))
        return ""
    if len(value) > max_chars:
        problems.append(Problem(path, name, f"is {len(value)} characters; at most {max_chars}"))
    return " ".join(value.split())


@dataclass
class _Rules:
    """Checks one tour file's steps, adding each problem with its field (``steps[2].frame``)."""

    path: Path
    structures: Mapping
    groups: Mapping
    cause: str
    problems: list[Problem]

    def step(self, where: str, entry) -> TourStep | None:
        if not isinstance(entry, dict):
            self._problem(where, "must be a mapping with title, side, frame and text")
            return None
        for key in sorted(set(entry) - _STEP_KEYS, key=str):
            self._problem(f"{where}.{key}", f"unknown field (known: {', '.join(sorted(_STEP_KEYS))})")
        title = _text(self.path, f"{where}.title", entry.get("title"), MAX_TITLE_CHARS, self.problems)
        text = self._prose(f"{where}.text", entry.get("text"))
        side = self._side(f"{where}.side", entry.get("side"))
        frame = self._ids(f"{where}.frame", entry.get("frame"), groups=False)
        show = None if entry.get("show") is None else self._ids(f"{where}.show", entry["show"], groups=True)
        highlight = entry.get("highlight") or ""
        if highlight and (not isinstance(highlight, str) or highlight not in self.structures):
            self._problem(f"{where}.highlight", f"unknown structure {highlight!r}")
        flags = {key: self._flag(f"{where}.{key}", entry.get(key), default)
                 for key, default in (("cause", False), ("xray", False), ("labels", True))}
        opacity = self._opacity(f"{where}.opacity", entry.get("opacity"))
        return TourStep(title, side, tuple(frame), None if show is None else tuple(show), highlight,
                        self.cause if flags["cause"] else "", flags["xray"], opacity, flags["labels"], text)

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, where, message))

    def _prose(self, where: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            self._problem(where, "missing or not text")
            return ""
        self.problems.extend(check_prose(self.path, where, value, MIN_STEP_WORDS))
        if word_count(value) > MAX_STEP_WORDS:
            self._problem(where, f"text is {word_count(value)} words; at most {MAX_STEP_WORDS}")
        return " ".join(value.split())

    def _side(self, where: str, value) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not 1 <= len(names) <= 2 or not all(isinstance(n, str) for n in names):
            self._problem(where, f"must be a view name or a list of two ({', '.join(VIEWS)})")
            return ("posterior",)
        for name in names:
            if name not in VIEWS:
                self._problem(where, f"unknown view {name!r} (known: {', '.join(VIEWS)})")
                return ("posterior",)
        if len(names) == 2 and (names[0] == names[1] or frozenset(names) in _OPPOSITE):
            self._problem(where, f"{names[0]} and {names[1]} do not make one side")
        return tuple(names)

    def _ids(self, where: str, value, groups: bool) -> list[str]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self._problem(where, "must be a non-empty list of structure ids" + (" or group ids" if groups else ""))
            return []
        for item in value:
            if item not in self.structures and not (groups and item in self.groups):
                self._problem(where, f"unknown structure{' or group' if groups else ''} {item!r}")
        return list(value)

    def _flag(self, where: str, value, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self._problem(where, "must be true or false")
        return bool(value)

    def _opacity(self, where: str, value) -> dict[str, float]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._problem(where, "must map group ids to numbers from 0 to 1")
            return {}
        for group, alpha in value.items():
            if group not in self.groups:
                self._problem(where, f"unknown group {group!r}")
            elif isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
                self._problem(where, f"opacity of {group!r} must be a number from 0 to 1")
        return {group: float(alpha) for group, alpha in value.items() if group in self.groups}
