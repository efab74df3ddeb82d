"""Closed tube and band surfaces swept along smooth paths: nerves, vessels, ligaments, muscles."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.interpolate import CubicSpline


def smooth_path(points: np.ndarray, samples: int) -> np.ndarray:
    """A smooth curve through ``points`` (chord-length cubic spline), resampled evenly.

    Examples
    --------
    >>> path = smooth_path(np.array([[0, 0, 0], [0, 0, 10.0], [0, 5, 20]]), 11)
    >>> path.shape, path[0].tolist(), path[-1].tolist()
    ((11, 3), [0.0, 0.0, 0.0], [0.0, 5.0, 20.0])
    """
    points = np.asarray(points, dtype=float)
    chord = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    spline = CubicSpline(chord, points, bc_type="natural")
    dense = spline(np.linspace(0.0, chord[-1], samples * 8))
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))])
    targets = np.linspace(0.0, arc[-1], samples)
    return np.stack([np.interp(targets, arc, dense[:, axis]) for axis in range(3)], axis=1)


def _frames(path: np.ndarray, normal_hint: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation-minimising frames: tangents, normals, binormals along the path."""
    tangents = np.gradient(path, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    normal = np.asarray(normal_hint, dtype=float) - np.dot(normal_hint, tangents[0]) * tangents[0]
    if np.linalg.norm(normal) < 1e-6:
        normal = np.cross(tangents[0], [1.0, 0.0, 0.0] if abs(tangents[0][0]) < 0.9 else [0.0, 1.0, 0.0])
    normals = np.empty_like(path)
    normals[0] = normal / np.linalg.norm(normal)
    for i in range(1, len(path)):
        carried = normals[i - 1] - np.dot(normals[i - 1], tangents[i]) * tangents[i]
        normals[i] = carried / np.linalg.norm(carried)
    return tangents, normals, np.cross(tangents, normals)


def sweep(
    path: np.ndarray,
    width: np.ndarray | float,
    thickness: np.ndarray | float,
    normal_hint=(0.0, 1.0, 0.0),
    twist_degrees: float = 0.0,
    sides: int = 16,
    width_axes: np.ndarray | None = None,
) -> trimesh.Trimesh:
    """A closed surface with elliptical cross-sections swept along ``path``.

    Parameters
    ----------
    path
        (n, 3) centre line.
    width, thickness
        Full diameters along the normal-hint direction and across it, per path point or constant.
    normal_hint
        The direction the ``width`` axis should face at the start of the path.
    twist_degrees
        Rotation of the cross-section from the first to the last point (bands that twist).
    sides
        Points per cross-section.
    width_axes
        (n, 3) directions of the ``width`` axis at each point (made square to the path), instead of
        ``normal_hint`` carried along it: a band that lies on a curved surface.

    Examples
    --------
    >>> tube = sweep(np.array([[0, 0, 0], [0, 0, 5.0], [0, 0, 10]]), 2.0, 2.0)
    >>> bool(tube.is_watertight and tube.volume > 0)
    True
    """
    path = np.asarray(path, dtype=float)
    n = len(path)
    width = np.broadcast_to(np.asarray(width, dtype=float), (n,))
    thickness = np.broadcast_to(np.asarray(thickness, dtype=float), (n,))
    tangents, normals, binormals = _frames(path, np.asarray(normal_hint, dtype=float))
    if width_axes is not None:
        normals = np.asarray(width_axes, dtype=float) - np.einsum("ij,ij->i", width_axes, tangents)[:, None] * tangents
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        binormals = np.cross(tangents, normals)
    twist = np.radians(twist_degrees) * np.linspace(0.0, 1.0, n)
    angles = 2 * np.pi * np.arange(sides) / sides
    rings = []
    for i in range(n):
        u = np.cos(twist[i]) * normals[i] + np.sin(twist[i]) * binormals[i]
        v = np.cross(np.cross(normals[i], binormals[i]), u)
        rings.append(path[i] + np.outer(np.cos(angles) * width[i] / 2, u) + np.outer(np.sin(angles) * thickness[i] / 2, v))
    vertices = np.vstack(rings + [path[:1], path[-1:]])
    faces = []
    for i in range(n - 1):
        for j in range(sides):
            a, b = i * sides + j, i * sides + (j + 1) % sides
            c, d = a + sides, b + sides
            faces += [[a, b, d], [a, d, c]]
    start, end = n * sides, n * sides + 1
    for j in range(sides):
        faces.append([start, (j + 1) % sides, j])
        faces.append([end, (n - 1) * sides + j, (n - 1) * sides + (j + 1) % sides])
    mesh = trimesh.Trimesh(vertices, np.asarray(faces), process=False)
    if mesh.volume < 0:
        mesh.invert()
    return mesh
