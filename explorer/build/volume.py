"""Label volumes and the smooth scalar fields the surfaces are extracted from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from explorer.frame import LPS_TO_FRAME

#: Labels of the MRI segmentation, checked against the geometry (see meshes/PROVENANCE.toml).
MRI_LABELS = {
    "femoral_cartilage": 1,
    "medial_tibial_cartilage": 2,
    "lateral_tibial_cartilage": 3,
    "patellar_cartilage": 4,
    "femur": 5,
    "tibia": 6,
    "patella": 7,
    "fibula": 8,
    "lateral_meniscus": 9,
    "medial_meniscus": 10,
}


@dataclass
class LabelVolume:
    """A label image with the affine from voxel index to the atlas frame (before centring)."""

    labels: np.ndarray
    index_to_scanner: np.ndarray  # 4x4, index -> atlas axes (RAS, mm), uncentred

    @classmethod
    def read_nrrd(cls, path: Path) -> "LabelVolume":
        import nrrd

        data, header = nrrd.read(str(path))
        if header.get("space") != "left-posterior-superior":
            raise ValueError(f"{path}: space is {header.get('space')!r}, expected left-posterior-superior")
        directions = np.asarray(header["space directions"], dtype=float)  # rows: index axes
        origin = np.asarray(header["space origin"], dtype=float)
        affine = np.eye(4)
        affine[:3, :3] = LPS_TO_FRAME @ directions.T
        affine[:3, 3] = LPS_TO_FRAME @ origin
        return cls(np.ascontiguousarray(data), affine)

    @property
    def spacing(self) -> np.ndarray:
        return np.linalg.norm(self.index_to_scanner[:3, :3], axis=0)

    def voxel_centroid(self, label_values: list[int]) -> np.ndarray:
        """Centroid, in uncentred atlas axes, of the voxels carrying any of ``label_values``."""
        index = np.argwhere(np.isin(self.labels, label_values)).mean(axis=0)
        return self.index_to_scanner[:3, :3] @ index + self.index_to_scanner[:3, 3]

    def smoothed_mask(self, label: int, sigma_mm: float | np.ndarray) -> np.ndarray:
        """Gaussian-smoothed 0/1 mask of one label, as float32 on the voxel grid.

        ``sigma_mm`` is one width for every axis or one per index axis (more across thick slices).
        Only the label's bounding box, padded by the filter's reach, is filtered; elsewhere the
        result is exactly zero, as filtering the whole volume would give.
        """
        mask = self.labels == label
        sigma = np.broadcast_to(np.asarray(sigma_mm, dtype=float), (3,)) / self.spacing
        found = np.argwhere(mask)
        reach = np.ceil(4.0 * sigma).astype(int) + 1
        low = np.maximum(found.min(axis=0) - reach, 0)
        high = np.minimum(found.max(axis=0) + reach + 1, mask.shape)
        box = tuple(slice(a, b) for a, b in zip(low, high))
        smoothed = np.zeros(mask.shape, dtype=np.float32)
        smoothed[box] = ndimage.gaussian_filter(mask[box].astype(np.float32), sigma=sigma, mode="constant")
        return smoothed

    def depth_inside(self, index_points: np.ndarray) -> np.ndarray:
        """Distance in mm from each (fractional) index point to the nearest face of the field of view."""
        upper = np.asarray(self.labels.shape) - 1
        per_axis = np.minimum(index_points, upper - index_points) * self.spacing
        return per_axis.min(axis=1)


@dataclass(frozen=True)
class Grid:
    """A regular grid in the centred atlas frame: ``origin + index * spacing``."""

    origin: np.ndarray
    spacing: float
    shape: tuple[int, int, int]

    @classmethod
    def covering(cls, low: np.ndarray, high: np.ndarray, spacing: float, pad: float) -> "Grid":
        low = np.floor((np.asarray(low) - pad) / spacing) * spacing
        shape = np.ceil((np.asarray(high) + pad - low) / spacing).astype(int) + 1
        return cls(low, spacing, tuple(int(n) for n in shape))

    def points(self) -> np.ndarray:
        axes = [self.origin[i] + self.spacing * np.arange(n) for i, n in enumerate(self.shape)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def sample(field: np.ndarray, index_points: np.ndarray) -> np.ndarray:
    """Trilinear samples of ``field`` at fractional index points; zero outside."""
    return ndimage.map_coordinates(field, index_points.T, order=1, mode="constant", cval=0.0)


def inside_mask(mesh: trimesh.Trimesh, grid: Grid) -> np.ndarray:
    """Which points of ``grid`` lie inside the closed ``mesh`` (shaped like the grid).

    Examples
    --------
    >>> grid = Grid.covering(np.array([-4.0, -4.0, -4.0]), np.array([4.0, 4.0, 4.0]), 1.0, pad=0.0)
    >>> mask = inside_mask(trimesh.creation.box(extents=(4.5, 4.5, 4.5)), grid)
    >>> mask.shape, int(mask.sum())
    ((9, 9, 9), 125)
    """
    import pyvista as pv

    image = pv.ImageData(dimensions=grid.shape, spacing=(grid.spacing,) * 3, origin=grid.origin)
    poly = pv.PolyData(mesh.vertices, np.hstack([np.full((len(mesh.faces), 1), 3), mesh.faces]))
    mask = poly.voxelize_binary_mask(reference_volume=image)
    return np.asarray(mask.point_data["mask"], dtype=bool).reshape(grid.shape, order="F")
