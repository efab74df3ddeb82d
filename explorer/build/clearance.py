"""Keep modelled paths outside the bones (and other solids) by their own radius."""

from __future__ import annotations

import numpy as np
import trimesh


def signed_gap(points: np.ndarray, solid: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to ``solid``'s surface (negative inside) and the outward direction."""
    closest, distance, _ = trimesh.proximity.closest_point(solid, points)
    inside = solid.contains(points)
    offset = points - closest
    length = np.linalg.norm(offset, axis=1, keepdims=True)
    direction = np.divide(offset, length, out=np.zeros_like(offset), where=length > 1e-9)
    direction[inside] *= -1.0
    return np.where(inside, -distance, distance), direction


def keep_clear(path: np.ndarray, radius, solids: list[trimesh.Trimesh], margin: float = 1.0,
               fixed: tuple[int, ...] = (), iterations: int = 30) -> np.ndarray:
    """Push path points out of ``solids`` until each is at least ``radius + margin`` from them.

    Points move across the path, never along it. Between pushes the path is relaxed (neighbour averaging) so it stays smooth; points whose
    indices are in ``fixed`` (attachments) never move.

    Examples
    --------
    >>> box = trimesh.creation.box(extents=(10, 10, 10))
    >>> path = np.stack([np.zeros(41), np.linspace(-20, 20, 41), np.full(41, 1.0)], axis=1)
    >>> cleared = keep_clear(path, 1.0, [box], fixed=(0, 40))
    >>> bool((signed_gap(cleared, box)[0] >= 1.9).all())
    True
    """
    path = np.array(path, dtype=float)
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(path),))
    free = np.ones(len(path), dtype=bool)
    free[list(fixed)] = False
    for iteration in range(iterations):
        if iteration:
            relaxed = path.copy()
            relaxed[1:-1] = 0.5 * path[1:-1] + 0.25 * (path[:-2] + path[2:])
            path[free] = relaxed[free]
        tangents = np.gradient(path, axis=0)
        tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
        moved = False
        for solid in solids:
            gap, direction = signed_gap(path, solid)
            direction = _across(direction, tangents)
            need = radius + margin - gap
            push = (need > 1e-3) & free
            if push.any():
                moved = True
                path[push] += direction[push] * (need[push] + 0.2)[:, None]
        if not moved:
            break
    return path


def _across(direction: np.ndarray, tangents: np.ndarray) -> np.ndarray:
    """``direction`` with its component along the path removed, renormalised (a fixed fallback if none is left)."""
    across = direction - np.sum(direction * tangents, axis=1, keepdims=True) * tangents
    length = np.linalg.norm(across, axis=1, keepdims=True)
    fallback = np.cross(tangents, [0.0, 0.0, 1.0])
    fallback[np.linalg.norm(fallback, axis=1) < 1e-6] = [1.0, 0.0, 0.0]
    fallback /= np.linalg.norm(fallback, axis=1, keepdims=True)
    return np.where(length > 1e-6, across / np.maximum(length, 1e-12), fallback)
