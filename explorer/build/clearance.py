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
            _relax(path, free)
        tangents = _unit_tangents(path)
        moved = False
        for solid in solids:
            # Points farther from the solid's box than their radius and margin need no distance query.
            reach = (radius + margin + 1e-3)[:, None]
            near = np.flatnonzero(np.all((path >= solid.bounds[0] - reach) & (path <= solid.bounds[1] + reach), axis=1))
            if not len(near):
                continue
            gap, direction = signed_gap(path[near], solid)
            direction = _across(direction, tangents[near])
            need = radius[near] + margin - gap
            push = (need > 1e-3) & free[near]
            if push.any():
                moved = True
                path[near[push]] += direction[push] * (need[push] + 0.2)[:, None]
        if not moved:
            break
    return path


def lay_on(path: np.ndarray, surfaces: list[trimesh.Trimesh], height: float, fixed: tuple[int, ...] = (),
           iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """``path`` laid on the nearest of ``surfaces``: each free point moved to ``height`` mm above the closest
    surface point (along that triangle's outward normal), relaxed between moves so that the path stays smooth.
    Returns the path and, per point, the outward normal of the surface beneath it. The path should start
    outside the surfaces (a point inside a thin sheet may find its inner face nearest).

    Examples
    --------
    >>> box = trimesh.creation.box(extents=(10, 10, 10))
    >>> path = np.stack([np.linspace(-4, 4, 9), np.zeros(9), 5.0 + 3.0 * np.sin(np.linspace(0, np.pi, 9))], axis=1)
    >>> laid, normals = lay_on(path, [box], 1.0)
    >>> np.round(laid[:, 2], 2).tolist() == [6.0] * 9, normals[4].tolist()
    (True, [0.0, 0.0, 1.0])
    """
    path = np.array(path, dtype=float)
    free = np.ones(len(path), dtype=bool)
    free[list(fixed)] = False
    normals = np.zeros_like(path)
    for iteration in range(iterations + 1):
        if iteration:
            _relax(path, free)
        best = np.full(len(path), np.inf)
        target = path.copy()
        for surface in surfaces:
            closest, distance, triangle = trimesh.proximity.closest_point(surface, path)
            nearer = distance < best
            best[nearer] = distance[nearer]
            normals[nearer] = surface.face_normals[triangle[nearer]]
            target[nearer] = closest[nearer] + height * normals[nearer]
        if iteration < iterations:
            path[free] = target[free]
    return path, normals


def _relax(path: np.ndarray, free: np.ndarray) -> None:
    """Move each free inner point halfway towards its neighbours' mean, in place (keeps the path smooth)."""
    relaxed = path.copy()
    relaxed[1:-1] = 0.5 * path[1:-1] + 0.25 * (path[:-2] + path[2:])
    path[free] = relaxed[free]


def _unit_tangents(path: np.ndarray) -> np.ndarray:
    tangents = np.gradient(path, axis=0)
    return tangents / np.linalg.norm(tangents, axis=1, keepdims=True)


def _surface_gap(points: np.ndarray, solid: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`signed_gap`, with inside told by the facing of the closest triangle (fast; for smooth closed solids)."""
    closest, distance, triangle = trimesh.proximity.closest_point(solid, points)
    offset = points - closest
    inside = np.einsum("ij,ij->i", offset, solid.face_normals[triangle]) < 0.0
    length = np.linalg.norm(offset, axis=1, keepdims=True)
    direction = np.divide(offset, length, out=np.zeros_like(offset), where=length > 1e-9)
    direction[inside] *= -1.0
    return np.where(inside, -distance, distance), direction


def _across(direction: np.ndarray, tangents: np.ndarray) -> np.ndarray:
    """``direction`` with its component along the path removed, renormalised (a fixed fallback if none is left)."""
    across = direction - np.sum(direction * tangents, axis=1, keepdims=True) * tangents
    length = np.linalg.norm(across, axis=1, keepdims=True)
    fallback = np.cross(tangents, [0.0, 0.0, 1.0])
    fallback[np.linalg.norm(fallback, axis=1) < 1e-6] = [1.0, 0.0, 0.0]
    fallback /= np.linalg.norm(fallback, axis=1, keepdims=True)
    return np.where(length > 1e-6, across / np.maximum(length, 1e-12), fallback)


def keep_surface_clear(path: np.ndarray, surface_of, sides: int, solids: list[tuple[trimesh.Trimesh, float]],
                       margin: float = 0.3, fixed: tuple[int, ...] = (), iterations: int = 60) -> np.ndarray:
    """Move path points until the swept surface ``surface_of(path)`` lies outside every solid.

    Where :func:`keep_clear` keeps a centre line a radius away from a solid, this checks the swept
    surface itself, so flat and elliptical cross-sections keep clear along their wide side too.
    ``surface_of`` must return a mesh whose first ``len(path) * sides`` vertices are the rings around
    the path points in order (as :func:`explorer.build.sweep.sweep` does). ``solids`` pairs each
    solid with a height: ring points below it are not checked against that solid (``-inf`` checks all).
    Each ring moves across the path, as a whole, by the deepest need of its points; between moves
    the path is relaxed as in :func:`keep_clear`; points whose indices are in ``fixed`` never move.

    Examples
    --------
    >>> from explorer.build.sweep import sweep
    >>> post = trimesh.creation.box(extents=(10, 10, 40))
    >>> path = np.stack([np.full(21, 8.0), np.zeros(21), np.linspace(-10, 10, 21)], axis=1)
    >>> tube = lambda p: sweep(p, 12.0, 4.0, normal_hint=(1, 0, 0), sides=12)
    >>> bool(post.contains(tube(path).vertices).any())
    True
    >>> cleared = keep_surface_clear(path, tube, 12, [(post, -np.inf)])
    >>> bool(post.contains(tube(cleared).vertices).any()), bool(cleared[:, 0].min() > 10.9)
    (False, True)
    """
    path = np.array(path, dtype=float)
    count = len(path)
    free = np.ones(count, dtype=bool)
    free[list(fixed)] = False
    for iteration in range(iterations):
        if iteration:
            _relax(path, free)
        surface = surface_of(path)
        rings = surface.vertices[: count * sides]
        ring_of = np.repeat(np.arange(count), sides)
        tangents = _unit_tangents(path)
        push = np.zeros_like(path)
        for solid, below in solids:
            low, high = solid.bounds[0] - margin - 1.0, solid.bounds[1] + margin + 1.0
            near = (rings[:, 2] >= below) & np.all((rings >= low) & (rings <= high), axis=1)
            checked = np.flatnonzero(near)
            if not len(checked):
                continue
            gap, direction = _surface_gap(rings[checked], solid)
            moves = [(ring_of[checked], direction, margin - gap)]
            # and the solid's own points that reach into the surface (thin solids slip between its points)
            low, high = surface.bounds[0] - margin - 1.0, surface.bounds[1] + margin + 1.0
            points = solid.vertices[(solid.vertices[:, 2] >= below)
                                    & np.all((solid.vertices >= low) & (solid.vertices <= high), axis=1)]
            if len(points):
                closest, distance, triangle = trimesh.proximity.closest_point(surface, points)
                offset = closest - points
                inside = np.einsum("ij,ij->i", offset, surface.face_normals[triangle]) > 0.0
                length = np.linalg.norm(offset, axis=1, keepdims=True)
                away = -np.divide(offset, length, out=np.zeros_like(offset), where=length > 1e-9)
                away[~inside] *= -1.0
                sides_faces = 2 * sides * (count - 1)  # then the caps, alternately start and end
                ring = np.where(triangle < sides_faces, triangle // (2 * sides),
                                np.where((triangle - sides_faces) % 2 == 0, 0, count - 1))
                moves.append((ring, away, margin - np.where(inside, -distance, distance)))
            for rings_hit, directions, need in moves:
                for index in np.flatnonzero(need > 1e-3):
                    ring = rings_hit[index]
                    step = _across(directions[index][None], tangents[ring][None])[0] * (need[index] + 0.2)
                    if free[ring] and np.linalg.norm(step) > np.linalg.norm(push[ring]):
                        push[ring] = step
        if not push.any():
            break
        path += push
    return path
