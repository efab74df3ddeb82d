"""The posterior joint capsule: a sheet over the back of the knee's bones, bridging the notch, with openings."""

from __future__ import annotations

from typing import Callable

import numpy as np
import trimesh
from scipy import ndimage

from explorer.build.surface import decimate, extract
from explorer.build.volume import Grid, inside_mask


def posterior_capsule(solids: list[trimesh.Trimesh], window: Callable[[np.ndarray], np.ndarray],
                      gap: float = 0.4, thickness: float = 1.4, bridge: float = 12.0,
                      openings: tuple[tuple[np.ndarray, float], ...] = (), clear_of: list[trimesh.Trimesh] = (),
                      spacing: float = 0.5) -> trimesh.Trimesh:
    """The closed surface of a sheet ``thickness`` mm thick lying ``gap`` mm outside ``solids``, where ``window``
    (points (..., 3) -> booleans) holds.

    The sheet follows the solids' outline with hollows narrower than about ``2 * bridge`` mm bridged over (a
    morphological closing), as a capsule spans the intercondylar notch and the joint space; each opening
    ``(point, radius)`` is a round hole through the sheet along y at ``point``; what lies inside ``clear_of``
    (with a one-voxel margin) is left out of the sheet. The surface is decimated within 0.15 mm (p95) and
    0.5 mm (max) of its full-resolution extraction.

    Examples
    --------
    >>> block = trimesh.creation.box(extents=(30, 20, 30))
    >>> def behind(points):
    ...     return (np.abs(points[..., 0]) <= 20) & (points[..., 1] <= -5) & (np.abs(points[..., 2]) <= 10)
    >>> sheet = posterior_capsule([block], behind, spacing=0.5)
    >>> bool(sheet.is_watertight), bool(-12.5 < sheet.bounds[0][1] < -11.0), bool(sheet.bounds[1][1] <= -4.5)
    (True, True, True)
    """
    reach = bridge + gap + thickness
    low = np.min([solid.bounds[0] for solid in solids], axis=0) - reach
    high = np.max([solid.bounds[1] for solid in solids], axis=0) + reach
    coarse = Grid.covering(low, high, 2.0, pad=0.0)
    inside_window = coarse.points()[window(coarse.points())]
    if not len(inside_window):
        raise ValueError("the capsule's window holds no point near the solids")
    grid = Grid.covering(inside_window.min(axis=0) - reach, inside_window.max(axis=0) + reach, spacing, pad=2.0)
    points = grid.points().reshape(*grid.shape, 3)
    inside = np.zeros(grid.shape, dtype=bool)
    for solid in solids:
        inside |= inside_mask(solid, grid)
    grown = ndimage.distance_transform_edt(~inside, sampling=spacing) <= bridge
    bridged = inside | (ndimage.distance_transform_edt(grown, sampling=spacing) > bridge)
    distance = ndimage.distance_transform_edt(~bridged, sampling=spacing)
    sheet = (distance > gap) & (distance <= gap + thickness)
    sheet &= window(points)
    for point, radius in openings:
        sheet &= np.hypot(points[..., 0] - point[0], points[..., 2] - point[2]) > radius
    for solid in clear_of:
        sheet &= ~ndimage.binary_dilation(inside_mask(solid, grid))
    if not sheet.any():
        raise ValueError("no capsule sheet within the window")
    field = ndimage.gaussian_filter(sheet.astype(np.float32), 0.35 / spacing, mode="constant")
    full = max(extract(field, grid).split(only_watertight=False), key=lambda part: part.area)
    return decimate(full, 0.15, 0.5)[0]
