"""Rigid-plus-scale alignment of the whole leg bones to the MRI bones."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree

#: Body frames of the leg model (x anterior, y superior, z right) to the atlas axes
#: (x lateral = right for a right leg, y anterior, z superior).
BODY_TO_FRAME = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def load_body_mesh(path) -> trimesh.Trimesh:
    """Read a leg-model STL (metres, body frame) as a closed mesh in atlas axes and millimetres."""
    mesh = trimesh.load_mesh(path, process=True)
    mesh.merge_vertices()
    if not mesh.is_watertight:
        trimesh.repair.fill_holes(mesh)
    transform = np.eye(4)
    transform[:3, :3] = BODY_TO_FRAME * 1000.0
    mesh.apply_transform(transform)
    trimesh.repair.fix_normals(mesh)
    return mesh


def similarity_icp(
    moving: np.ndarray,
    target: np.ndarray,
    moving_in_overlap,
    initial: np.ndarray,
    iterations: int = 60,
    motion: str = "similarity",
) -> tuple[np.ndarray, float]:
    """Symmetric ICP with uniform scale, or with fewer degrees of freedom.

    Parameters
    ----------
    moving, target
        Point samples of the two surfaces (target: only where it is real, not cut).
    moving_in_overlap
        Callable taking transformed moving points and returning a boolean mask of
        those that lie where the target can have a counterpart.
    initial
        4x4 starting transform.
    motion
        ``similarity`` (rotation, translation, uniform scale), ``yaw`` (rotation about the
        superior axis only, translation and scale: the bone's long axis keeps its direction) or
        ``translation``. Fewer freedoms keep a short stretch of bone from tilting a whole shaft.

    Returns
    -------
    transform, rms
        The 4x4 similarity transform and the final root-mean-square distance in mm.
    """
    target_tree = cKDTree(target)
    transform = initial.copy()
    rms = np.inf
    for _ in range(iterations):
        moved = trimesh.transform_points(moving, transform)
        keep = moving_in_overlap(moved)
        forward_d, forward_i = target_tree.query(moved[keep])
        backward_d, backward_i = cKDTree(moved[keep]).query(target)
        source = np.vstack([moving[keep], moving[keep][backward_i]])
        paired = np.vstack([target[forward_i], target])
        distances = np.concatenate([forward_d, backward_d])
        inliers = distances < max(3.0 * np.median(distances), 1.0)
        transform = MOTIONS[motion](source[inliers], paired[inliers])
        new_rms = float(np.sqrt(np.mean(distances**2)))
        if abs(rms - new_rms) < 1e-4:
            rms = new_rms
            break
        rms = new_rms
    return transform, rms


def _yaw_fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares rotation about +z, uniform scale and translation taking source onto target."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    p, q = source - source_mean, target - target_mean
    angle = np.arctan2(np.sum(p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]), np.sum(p[:, 0] * q[:, 0] + p[:, 1] * q[:, 1]))
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    scale = np.sum(q * (p @ rotation.T)) / np.sum(p * p)
    transform = np.eye(4)
    transform[:3, :3] = scale * rotation
    transform[:3, 3] = target_mean - transform[:3, :3] @ source_mean
    return transform


def _translation_fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    transform = np.eye(4)
    transform[:3, 3] = target.mean(axis=0) - source.mean(axis=0)
    return transform


def _similarity_fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    return trimesh.registration.procrustes(source, target, reflection=False, translation=True, scale=True,
                                           return_cost=False)


MOTIONS = {"similarity": _similarity_fit, "yaw": _yaw_fit, "translation": _translation_fit}
