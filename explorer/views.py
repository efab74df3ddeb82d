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
