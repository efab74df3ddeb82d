"""Named camera views of the atlas frame (+x lateral, +y anterior, +z superior)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class View:
    """A camera looking at ``focus`` from ``direction`` (unit vector from focus to camera)."""

    name: str
    direction: tuple[float, float, float]
    up: tuple[float, float, float]

    def camera(self, focus=(0.0, 0.0, 0.0), radius_mm: float = 140.0, view_angle: float = 30.0) -> dict:
        """Camera position, focal point and up vector framing a sphere of ``radius_mm``.

        Examples
        --------
        >>> VIEWS["posterior"].camera(radius_mm=100.0)["position"][1] < 0
        True
        """
        distance = radius_mm / math.sin(math.radians(view_angle / 2))
        position = np.asarray(focus, dtype=float) + distance * np.asarray(self.direction, dtype=float)
        return {"position": tuple(float(v) for v in position), "focal_point": tuple(map(float, focus)), "up": self.up}


def framing(points: np.ndarray, camera: dict, view_angle: float = 30.0, max_radius_mm: float | None = None,
            min_radius_mm: float = 15.0) -> dict:
    """The camera turned onto ``points`` and moved so that they fill the view, looking the same way as before.

    The central 90% of the points (along each axis) is fitted, so one long muscle does not shrink
    the rest; ``max_radius_mm`` caps the framed sphere's radius and ``min_radius_mm`` keeps some of the
    surroundings round a small structure. Cameras are
    ``{"position", "focalPoint", "viewUp"}`` (the app link's names).

    Examples
    --------
    >>> camera = {"position": [0, 500, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
    >>> framing(np.array([[10.0, 0, 0], [30.0, 0, 0]]), camera)["focalPoint"]
    [20.0, 0.0, 0.0]
    """
    low, high = np.percentile(np.asarray(points, dtype=float), [5, 95], axis=0)
    focus, radius = (low + high) / 2, max(float(np.linalg.norm(high - low)) / 2, min_radius_mm)
    if max_radius_mm is not None:
        radius = min(radius, max_radius_mm)
    direction = np.asarray(camera["position"], dtype=float) - np.asarray(camera["focalPoint"], dtype=float)
    direction /= np.linalg.norm(direction)
    distance = radius / math.sin(math.radians(view_angle / 2))
    return {"position": [round(float(v), 3) for v in focus + distance * direction],
            "focalPoint": [round(float(v), 3) for v in focus], "viewUp": [float(v) for v in camera["viewUp"]]}


def named_camera(name: str, focus=(0.0, 0.0, 0.0), radius_mm: float = 140.0, view_angle: float = 30.0) -> dict:
    """A named view's camera as ``{"position", "focalPoint", "viewUp"}``.

    Examples
    --------
    >>> named_camera("anterior")["viewUp"]
    [0.0, 0.0, 1.0]
    """
    camera = VIEWS[name].camera(focus, radius_mm, view_angle)
    return {"position": [round(v, 3) for v in camera["position"]], "focalPoint": list(camera["focal_point"]),
            "viewUp": [float(v) for v in camera["up"]]}


VIEWS = {
    view.name: view
    for view in (
        View("anterior", (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
        View("posterior", (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
        View("medial", (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
        View("lateral", (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
        View("superior", (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    )
}
