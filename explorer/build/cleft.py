"""A sac filling the cleft between two structures, as a bursa does, with a neck to the joint."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy import ndimage

from explorer.build.surface import extract
from explorer.build.volume import Grid, inside_mask


def cleft_sac(first: trimesh.Trimesh, second: trimesh.Trimesh, solids: list[trimesh.Trimesh], centre,
              reach: float = 4.0, half_height: float = 11.0, half_width: float = 12.5,
              opening_to: trimesh.Trimesh | None = None, neck_mm: float = 3.0, spacing: float = 0.4) -> trimesh.Trimesh:
    """The closed surface of the space within ``reach`` mm of both ``first`` and ``second``, outside both.

    The space is kept within an ellipsoid about ``centre``, ``half_height`` mm up and down and ``half_width`` mm across;
    what lies inside ``solids`` is left out. With ``opening_to``, a neck ``neck_mm`` wide runs from the
    sac's most anterior point to the nearest point of that surface (a bursa's opening into the joint).

    Examples
    --------
    >>> left = trimesh.creation.box(extents=(10, 10, 30), transform=trimesh.transformations.translation_matrix((-7, 0, 0)))
    >>> right = trimesh.creation.box(extents=(10, 10, 30), transform=trimesh.transformations.translation_matrix((7, 0, 0)))
    >>> sac = cleft_sac(left, right, [], (0, 0, 0), reach=3.0, half_height=5.0, half_width=8.0)
    >>> bool(sac.is_watertight), bool(sac.bounds[0][0] > -2.6 and sac.bounds[1][0] < 2.6)
    (True, True)
    """
    centre = np.asarray(centre, dtype=float)
    extent = np.array([half_width, half_width, half_height]) + reach
    grid = Grid.covering(centre - extent, centre + extent, spacing, pad=2.0)
    points = grid.points().reshape(*grid.shape, 3)
    inside_first, inside_second = inside_mask(first, grid), inside_mask(second, grid)
    blocked = inside_first | inside_second
    for solid in solids:
        blocked |= inside_mask(solid, grid)
    near_both = (ndimage.distance_transform_edt(~inside_first, sampling=spacing) <= reach) & (
        ndimage.distance_transform_edt(~inside_second, sampling=spacing) <= reach)
    offset = points - centre
    window = (offset[..., 0] ** 2 + offset[..., 1] ** 2) / half_width ** 2 + offset[..., 2] ** 2 / half_height ** 2 <= 1.0
    space = _part_nearest(near_both & window & ~blocked, points, centre)
    if opening_to is not None:
        space |= _neck(space, points, opening_to, neck_mm) & ~blocked
        space &= ~inside_mask(opening_to, grid)
    field = ndimage.gaussian_filter(space.astype(np.float32), 0.5 / spacing, mode="constant")
    mesh = extract(field, grid)
    return max(mesh.split(only_watertight=False), key=lambda part: part.volume)


def _part_nearest(mask: np.ndarray, points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The connected part of ``mask`` with a voxel nearest to ``centre``."""
    labels, count = ndimage.label(mask)
    if not count:
        raise ValueError(f"no space between the two structures near {np.round(centre, 1).tolist()}")
    voxels = np.argwhere(labels)
    nearest = voxels[np.argmin(np.linalg.norm(points[tuple(voxels.T)] - centre, axis=1))]
    return labels == labels[tuple(nearest)]


def _neck(space: np.ndarray, points: np.ndarray, target: trimesh.Trimesh, width: float) -> np.ndarray:
    """Voxels within ``width / 2`` of the segment from the space's most anterior point to ``target``."""
    inner = points[space]
    start = inner[np.argmax(inner[:, 1])]
    end = trimesh.proximity.closest_point(target, start[None, :])[0][0]
    along = end - start
    t = np.clip(((points - start) @ along) / max(float(along @ along), 1e-9), 0.0, 1.0)
    return np.linalg.norm(points - (start + t[..., None] * along), axis=-1) <= width / 2
