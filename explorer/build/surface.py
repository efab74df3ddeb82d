"""Surface extraction from smooth fields, decimation under a fidelity bound, and checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
import trimesh

from explorer.build.volume import Grid


@dataclass(frozen=True)
class Fidelity:
    """Two-sided distance between a decimated surface and its full-resolution source, in mm."""

    p95: float
    maximum: float

    def within(self, p95: float, maximum: float) -> bool:
        return self.p95 <= p95 and self.maximum <= maximum


def extract(field: np.ndarray, grid: Grid, level: float = 0.5, min_part_fraction: float = 0.02) -> trimesh.Trimesh:
    """Iso-surface of ``field`` (shaped like ``grid``) at ``level``, outward normals.

    Parts smaller than ``min_part_fraction`` of the largest part's area are dropped
    (isolated specks of the segmentation).
    """
    image = pv.ImageData(dimensions=grid.shape, spacing=(grid.spacing,) * 3, origin=grid.origin)
    image.point_data["field"] = field.ravel(order="F")
    contour = image.contour([level], scalars="field", method="flying_edges").triangulate().clean()
    mesh = trimesh.Trimesh(contour.points.astype(np.float64), contour.regular_faces, process=True)
    parts = mesh.split(only_watertight=False)
    largest = max(part.area for part in parts)
    mesh = trimesh.util.concatenate([p for p in parts if p.area >= min_part_fraction * largest])
    return _outward(mesh)


def _outward(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    trimesh.repair.fix_winding(mesh)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _surface_samples(mesh: trimesh.Trimesh) -> np.ndarray:
    """Vertices, edge midpoints and face centroids: a deterministic dense sampling."""
    edges = mesh.vertices[mesh.edges_unique].mean(axis=1)
    return np.vstack([mesh.vertices, edges, mesh.triangles_center])


def _distances(points: np.ndarray, surface: trimesh.Trimesh) -> np.ndarray:
    target = pv.PolyData(surface.vertices, np.hstack([np.full((len(surface.faces), 1), 3), surface.faces]))
    probe = pv.PolyData(points)
    return np.abs(probe.compute_implicit_distance(target)["implicit_distance"])


def fidelity(decimated: trimesh.Trimesh, full: trimesh.Trimesh, keep=None) -> Fidelity:
    """Symmetric p95 and maximum distance between two surfaces; ``keep`` (points -> the points to
    measure) limits both ways to part of space."""
    keep = keep or (lambda points: points)
    there = _distances(keep(_surface_samples(decimated)), full)
    back = _distances(keep(full.vertices), decimated)
    both = np.concatenate([there, back])
    return Fidelity(float(np.percentile(both, 95)), float(both.max()))


def is_closed(mesh: trimesh.Trimesh) -> bool:
    """Watertight, consistently wound, and enclosing a positive volume."""
    return bool(mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0)


#: Fractions of triangles the decimation tries to remove, most aggressive first.
REDUCTIONS = (0.995, 0.993, 0.99, 0.985, 0.98, 0.97, 0.96, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.3)


def decimate(full: trimesh.Trimesh, p95: float, maximum: float) -> tuple[trimesh.Trimesh, Fidelity]:
    """The coarsest closed decimation of ``full`` whose fidelity stays within the bounds.

    Tries the fractions of triangles to remove in :data:`REDUCTIONS`, most first, and
    returns the first closed result within bounds with its measured fidelity.
    """
    import fast_simplification

    def attempt(reduction: float) -> tuple[trimesh.Trimesh, Fidelity] | None:
        points, faces = fast_simplification.simplify(full.vertices, full.faces, target_reduction=reduction)
        candidate = trimesh.Trimesh(points, faces, process=True)
        if not is_closed(candidate):
            return None
        score = fidelity(candidate, full)
        return (candidate, score) if score.within(p95, maximum) else None

    for reduction in REDUCTIONS:
        result = attempt(reduction)
        if result is not None:
            return result
    return full, Fidelity(0.0, 0.0)
