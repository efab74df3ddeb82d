"""The geometry sets the anatomy tests run on: each set's meshes, its build records and landmarks."""

from __future__ import annotations

import tomllib
from functools import cached_property, lru_cache

import numpy as np
import pytest
import trimesh

from explorer.build.leg_axes import nearest_outline_points
from explorer.geometry import geometry_set
from explorer.meshio import parse_ply


class MeshSet:
    """One geometry set's meshes with the build's records of its modelled structures and landmarks."""

    def __init__(self, name: str):
        self.name = name
        self.folder = geometry_set(name).folder

    def __repr__(self) -> str:
        return self.name

    @cached_property
    def modelled(self) -> dict:
        return tomllib.loads((self.folder / "modelled.toml").read_text(encoding="utf-8"))

    @cached_property
    def landmarks(self) -> dict[str, np.ndarray]:
        table = tomllib.loads((self.folder / "landmarks.toml").read_text(encoding="utf-8"))["landmarks"]
        return {name: np.asarray(entry["point_mm"]) for name, entry in table.items()}

    def of_kind(self, *kinds: str) -> list[str]:
        return [sid for sid, entry in self.modelled.items() if entry["kind"] in kinds]

    @lru_cache(maxsize=None)
    def mesh(self, structure_id: str) -> trimesh.Trimesh:
        vertices, faces = parse_ply((self.folder / f"{structure_id}.ply").read_bytes(), structure_id)
        return trimesh.Trimesh(np.asarray(vertices, dtype=float), faces, process=False)

    def centreline(self, structure_id: str) -> np.ndarray:
        return np.asarray(self.modelled[structure_id]["centreline_mm"])

    def outline(self, structure_id: str, z: float) -> np.ndarray:
        """Points of the structure's cross-section at height ``z``."""
        section = self.mesh(structure_id).section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0])
        assert section is not None, f"{self.name}: {structure_id}: does not reach z={z} mm"
        return np.asarray(section.vertices)

    def slice_centre(self, structure_id: str, z: float) -> np.ndarray:
        return self.outline(structure_id, z).mean(axis=0)

    def membrane(self, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Middle (x, y) of the interosseous membrane at ``z`` (halfway between the nearest points of tibia and
        fibula), the unit vector along it toward the fibula and its front (anterior compartment) normal."""
        tibia, fibula = nearest_outline_points(self.mesh("tibia"), self.mesh("fibula"), z)
        along = (fibula - tibia)[:2] / np.linalg.norm((fibula - tibia)[:2])
        front = np.array([along[1], -along[0]]) * (1.0 if along[1] < 0 else -1.0)
        return (tibia + fibula)[:2] / 2, along, front

    def deepest_inside(self, points: np.ndarray, solid: str) -> tuple[int, float, np.ndarray] | None:
        """How many of ``points`` lie inside ``solid``, how deep the deepest lies (mm) and where; None if none do."""
        inside = self.mesh(solid).contains(points)
        if not inside.any():
            return None
        depth = trimesh.proximity.signed_distance(self.mesh(solid), points[inside])
        deepest = int(np.argmax(depth))
        return int(inside.sum()), float(depth[deepest]), points[inside][deepest]

    def assert_not_deeper_than(self, limit_mm: float, structure_id: str, points: np.ndarray, solid: str) -> None:
        """Fail, naming the set, both structures, how many points, how deep and where, if any of
        ``structure_id``'s ``points`` lie more than ``limit_mm`` inside ``solid``."""
        found = self.deepest_inside(points, solid)
        if found is None:
            return
        count, depth, where = found
        assert depth <= limit_mm, (
            f"{self}: {structure_id}: {count} surface points inside the {solid}, up to {depth:.1f} mm deep "
            f"at {np.round(where, 1)} (limit {limit_mm} mm)")

    def distance_to(self, structures: str | tuple[str, ...], points) -> np.ndarray:
        """Distance (mm) from each point to the nearest of one or several structures' surfaces."""
        names = (structures,) if isinstance(structures, str) else structures
        return np.min([trimesh.proximity.closest_point(self.mesh(name), np.atleast_2d(points))[1] for name in names], axis=0)


#: The committed set always; the spl set when it is built here (``make test`` builds it from the data).
SETS = [MeshSet("mskt")] + ([MeshSet("spl")] if geometry_set("spl").present() else [])


def over_sets(items=None):
    """Parameters for a test run on every set: the set alone, or with each of ``items(set)``."""
    if items is None:
        return [pytest.param(g, id=g.name) for g in SETS]
    return [pytest.param(g, *(item if isinstance(item, tuple) else (item,)), id=f"{g.name}-" + "-".join(
        str(v) for v in (item if isinstance(item, tuple) else (item,)))) for g in SETS for item in items(g)]


def cruciate_ends(g: MeshSet, ligament: str) -> tuple[np.ndarray, np.ndarray]:
    """Tibial and femoral end of a cruciate: its recorded attachments where modelled, else the centres of
    the tenth of the segmented ligament at each end of its long axis (the lower one is the tibial)."""
    if ligament in g.modelled:
        line = g.centreline(ligament)
        return line[0], line[-1]
    vertices = g.mesh(ligament).vertices
    along = (vertices - vertices.mean(axis=0)) @ np.linalg.svd(vertices - vertices.mean(axis=0))[2][0]
    ends = [vertices[along < along.min() + 0.1 * np.ptp(along)], vertices[along > along.max() - 0.1 * np.ptp(along)]]
    low, high = sorted((end.mean(axis=0) for end in ends), key=lambda point: point[2])
    return low, high
