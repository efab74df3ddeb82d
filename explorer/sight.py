"""Which side a structure is best seen from: rays from its surface towards each named view.

A structure chosen from a list or a link may lie behind others (the tibial nerve behind the knee,
the menisci inside the joint). :class:`Sightlines` casts rays from points on its surface towards
each of the named views and counts how many leave the knee without meeting another shown structure.
Of two views that show about as much, the one on the structure's own side of the knee wins, as an
anatomist would look at the collateral ligament from the side rather than past the joint's edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import trimesh

from explorer.atlas import Atlas
from explorer.views import VIEWS

#: Points per structure the rays start from.
SAMPLES = 240
#: Only the part of a long structure within this distance (mm) of the knee's centre is judged, when it has one.
REACH_MM = 90.0
#: How much more a view counts when it looks from the structure's side of the knee (straight on: 1 + this).
OWN_SIDE_BONUS = 0.5


@dataclass(frozen=True)
class Sight:
    """How much of a structure a named view shows: ``fraction`` of its sampled surface in sight."""

    view: str
    fraction: float
    score: float


class Sightlines:
    """Ray tests against every mesh of an atlas, built once and shared by every session.

    Parameters
    ----------
    atlas
        The atlas, with its meshes loaded.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> Sightlines(atlas).best("tibial_nerve", visible=atlas.structures).view
    'posterior'
    """

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self._scene: tuple[trimesh.Trimesh, np.ndarray, list[str]] | None = None

    def _combined(self) -> tuple[trimesh.Trimesh, np.ndarray, list[str]]:
        if self._scene is None:
            ids = [sid for sid, s in self.atlas.structures.items() if s.mesh is not None]
            meshes = [_trimesh(self.atlas[sid].mesh) for sid in ids]
            owner = np.repeat(np.arange(len(ids)), [len(m.faces) for m in meshes])
            self._scene = (trimesh.util.concatenate(meshes), owner, ids)
        return self._scene

    def sights(self, structure_id: str, visible: Iterable[str]) -> list[Sight]:
        """Each named view with the fraction of ``structure_id`` it shows, best first.

        Only the structures in ``visible`` hide it, and not those of a group drawn faint by default (the skin,
        which covers everything); rays leave from up to :data:`SAMPLES` of its vertices.
        The atlas frame's origin is the knee's centre: a long structure is judged by its part within
        :data:`REACH_MM` of it, and its side (medial, lateral, front or back) is judged from there.
        """
        combined, owner, ids = self._combined()
        hiding = [sid for sid in visible if sid != structure_id and self.atlas.groups[self.atlas[sid].group].opacity >= 0.5]
        blocking = np.isin(np.asarray(ids), hiding)
        points = near_knee(self.atlas[structure_id].mesh.points)
        points = points[np.linspace(0, len(points) - 1, min(SAMPLES, len(points))).astype(int)]
        side = points.mean(axis=0) * [1.0, 1.0, 0.0]
        side = side / (np.linalg.norm(side) or 1.0)
        sights = []
        for name, view in VIEWS.items():
            direction = np.asarray(view.direction, dtype=float)
            origins = points + 0.5 * direction
            triangles, rays = combined.ray.intersects_id(origins, np.tile(direction, (len(points), 1)),
                                                         multiple_hits=True)[:2]
            hidden = np.unique(rays[blocking[owner[triangles]]])
            fraction = 1.0 - len(hidden) / len(points)
            score = fraction * (1.0 + OWN_SIDE_BONUS * max(0.0, float(side @ direction)))
            sights.append(Sight(name, round(fraction, 3), round(score, 3)))
        return sorted(sights, key=lambda sight: -sight.score)

    def best(self, structure_id: str, visible: Iterable[str]) -> Sight:
        """The named view that shows ``structure_id`` best (the first named one on a tie)."""
        return self.sights(structure_id, visible)[0]


def near_knee(points) -> np.ndarray:
    """The points within :data:`REACH_MM` of the knee's centre, or all of them when fewer than 20 are.

    Examples
    --------
    >>> near_knee(np.array([[0.0, 0.0, z] for z in range(0, 400, 2)])).shape  # a 40 cm nerve, 2 mm apart
    (46, 3)
    """
    points = np.asarray(points, dtype=float)
    near = points[np.linalg.norm(points, axis=1) <= REACH_MM]
    return near if len(near) >= 20 else points


def _trimesh(mesh) -> trimesh.Trimesh:
    faces = np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]
    return trimesh.Trimesh(np.asarray(mesh.points, dtype=float), faces, process=False)
