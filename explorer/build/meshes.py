"""Build every MRI-derived mesh of the atlas and its provenance, reproducibly.

``knee-explorer build-meshes`` calls :func:`build_meshes`. The steps, per structure:
smooth the label mask with a Gaussian, resample it onto an isotropic grid in the
atlas frame, (for the femur, tibia and fibula) blend in the aligned whole bone of
the leg model beyond the MRI field of view, extract the iso-surface, and decimate
it as far as the fidelity bounds allow.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import trimesh

from explorer.build import align, leg_axes, provenance_file, skin, soft_tissues, sources, surface
from explorer.build.volume import MRI_LABELS, Grid, LabelVolume, inside_mask, sample
from explorer.meshio import write_ply

SMOOTHING_MM = 0.5
GRID_MM = {"bone": 0.5, "thin": 0.35}
#: Required fidelity of every decimated surface to its full-resolution smoothed surface (mm).
FIDELITY_P95_MM, FIDELITY_MAX_MM = 0.3, 1.0
#: The build aims at this fraction of those bounds, spending triangles on smooth shading.
FIDELITY_AIM = 0.5
#: How far the whole bones reach beyond the joint line (mm); the cut ends are closed flat.
EXTENSION_MM = 250.0
#: MRI weight ramps from 0 to 1 between these depths (mm) inside the field of view.
BLEND_START_MM, BLEND_WIDTH_MM = 4.0, 30.0
#: Whole bones: which leg-model file, which end of the bone meets the knee, and how it may move to fit
#: the labelled bone. Femur and tibia turn only about the long axis (plus translation and scale), so
#: that a few centimetres of labelled bone cannot tilt a whole shaft; the fibula keeps its place
#: beside the tibia from the leg model (it follows the tibia's alignment) and is only shifted onto the
#: labelled fibular head.
MOTION_TEXT = {"yaw": "turned about the long axis only, so the shaft keeps the leg model's direction",
               "translation": "placed by the tibia's alignment, then shifted onto the labelled fibular head"}
EXTENDED = {"femur": ("femur", -1, "yaw"), "tibia": ("tibia", +1, "yaw"), "fibula": ("fibula", +1, "translation")}
FOLLOWS = {"fibula": "tibia"}
BONES = ("femur", "tibia", "fibula", "patella")


@dataclass
class StructureReport:
    """What the build made of one structure and how close it stayed to its source."""

    structure: str
    file: str
    triangles: int
    full_triangles: int
    fidelity: surface.Fidelity
    closed: bool

    def line(self) -> str:
        return (
            f"{self.structure:26s} {self.triangles:7d} tris (from {self.full_triangles:8d})  "
            f"p95 {self.fidelity.p95:.3f} mm  max {self.fidelity.maximum:.3f} mm  "
            f"{'closed' if self.closed else 'OPEN'}"
        )


def build_meshes(data_dir: Path, out_dir: Path, log: Callable[[str], None] = print) -> list[StructureReport]:
    """Build all MRI-derived meshes into ``out_dir`` and write their provenance.

    Files are first written to a temporary folder and moved into place only when
    every structure has been built, so a failed build leaves ``out_dir`` as it was.

    Examples
    --------
    ``build_meshes(Path("../shared/data"), Path("meshes"))`` rebuilds the committed meshes
    (about a minute and a half on two cores).
    """
    paths = sources.verify(data_dir)
    volume = LabelVolume.read_nrrd(paths["labels"])
    centre = volume.voxel_centroid([MRI_LABELS["medial_tibial_cartilage"], MRI_LABELS["lateral_tibial_cartilage"]])
    to_frame = volume.index_to_scanner.copy()
    to_frame[:3, 3] -= centre

    reports: list[StructureReport] = []
    alignments: dict[str, dict] = {}
    built: dict[str, trimesh.Trimesh] = {}
    with tempfile.TemporaryDirectory(dir=out_dir.parent if out_dir.parent.exists() else None) as tmp:
        staging = Path(tmp)
        for structure, label in MRI_LABELS.items():
            made = mesh_from_labels(volume, label, structure, to_frame, paths, SMOOTHING_MM,
                                    follow=followed_alignment(structure, alignments))
            write_ply(staging / made.report.file, made.mesh.vertices, made.mesh.faces)
            built[structure] = made.mesh
            if made.alignment:
                alignments[structure] = made.alignment
            log(made.report.line())
            reports.append(made.report)
        matrices = {bone: np.asarray(fit["matrix"]) for bone, fit in alignments.items()}
        modelled = soft_tissues.build(built, matrices, paths["chain"], staging, log)
        fitted = skin.build(staging, paths["skin"], paths["chain"], alignments,
                            {record.id for record in modelled if record.kind == "muscle"}, log)
        provenance_file.write(staging, reports, alignments, centre, modelled, leg_axes.stated(built), skin=fitted)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.iterdir()):
            shutil.move(str(path), out_dir / path.name)
    return reports


@dataclass
class LabelMesh:
    """One structure re-meshed from a label map: its decimated surface, the full-resolution one,
    the report, and (for an extended bone) the leg-model alignment used."""

    mesh: trimesh.Trimesh
    full: trimesh.Trimesh
    report: StructureReport
    alignment: dict | None


def mesh_from_labels(volume: LabelVolume, label: int, structure: str, to_frame: np.ndarray,
                     leg_paths: dict[str, Path], sigma_mm: float | np.ndarray,
                     blend_mm: tuple[float, float] = (BLEND_START_MM, BLEND_WIDTH_MM),
                     follow: np.ndarray | None = None) -> LabelMesh:
    """Smooth one label, resample it in the atlas frame, extend a long bone with its aligned
    leg-model bone, extract the iso-surface and decimate it within the fidelity bounds.

    ``to_frame`` maps voxel indices to the atlas frame; ``leg_paths`` holds the leg-model bone
    files by bone (only read for the bones in :data:`EXTENDED`). ``blend_mm``: depth inside the
    field of view where the leg-model bone starts giving way to the labelled one, and the width of
    the band over which it does. ``follow``: for a bone in :data:`FOLLOWS`, the alignment (4x4) of
    the bone it follows, applied before its own fit.
    """
    from_frame = np.linalg.inv(to_frame)
    kind = "bone" if structure in BONES else "thin"
    smoothed = volume.smoothed_mask(label, sigma_mm)
    corners = _label_box(volume.labels == label, to_frame)
    alignment = None
    if structure in EXTENDED:
        leg_file, joint_end, motion = EXTENDED[structure]
        mri_grid = Grid.covering(*corners, GRID_MM[kind], pad=3.0)
        mri_field = _sample_on(smoothed, mri_grid, from_frame)
        leg = align.load_body_mesh(leg_paths[leg_file])
        base = np.eye(4) if follow is None else follow
        fitted, rms = _align_leg_bone(leg.copy().apply_transform(base), mri_field, mri_grid, volume, from_frame,
                                      joint_end, blend_mm[0], motion)
        transform = fitted @ base
        leg.apply_transform(transform)
        scale = float(np.cbrt(np.linalg.det(transform[:3, :3])))
        alignment = {"rms_mm": round(rms, 2), "scale": round(scale, 4), "motion": MOTION_TEXT[motion],
                     "matrix": [[round(float(v), 6) for v in row] for row in transform]}
        grid, field_ = _blend_whole_bone(leg, smoothed, corners, volume, from_frame, joint_end, blend_mm)
    else:
        grid = Grid.covering(*corners, GRID_MM[kind], pad=3.0)
        field_ = _sample_on(smoothed, grid, from_frame)
    full = surface.extract(field_, grid)
    decimated, score = surface.decimate(full, FIDELITY_P95_MM * FIDELITY_AIM, FIDELITY_MAX_MM * FIDELITY_AIM)
    report = StructureReport(structure, f"{structure}.ply", len(decimated.faces), len(full.faces), score,
                             surface.is_closed(decimated))
    return LabelMesh(decimated, full, report, alignment)


def followed_alignment(structure: str, alignments: dict[str, dict]) -> np.ndarray | None:
    """The alignment matrix of the bone ``structure`` follows (see :data:`FOLLOWS`), if any."""
    if structure not in FOLLOWS:
        return None
    return np.asarray(alignments[FOLLOWS[structure]]["matrix"])


def _label_box(mask: np.ndarray, to_frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = np.argwhere(mask)
    low, high = index.min(axis=0) - 1, index.max(axis=0) + 1
    corners = np.array([[a, b, c] for a in (low[0], high[0]) for b in (low[1], high[1]) for c in (low[2], high[2])])
    points = trimesh.transform_points(corners.astype(float), to_frame)
    return points.min(axis=0), points.max(axis=0)


def _sample_on(smoothed: np.ndarray, grid: Grid, from_frame: np.ndarray) -> np.ndarray:
    index_points = trimesh.transform_points(grid.points(), from_frame)
    return sample(smoothed, index_points).reshape(grid.shape).astype(np.float32)


def _depth_inside(points: np.ndarray, volume: LabelVolume, from_frame: np.ndarray) -> np.ndarray:
    return volume.depth_inside(trimesh.transform_points(points, from_frame))


def _align_leg_bone(leg, mri_field, mri_grid, volume, from_frame, joint_end, blend_start,
                    motion: str) -> tuple[np.ndarray, float]:
    mri_surface = surface.extract(mri_field, mri_grid)
    real = _depth_inside(mri_surface.vertices, volume, from_frame) > blend_start + 2.0
    target = mri_surface.vertices[real]
    moving = trimesh.remesh.subdivide_to_size(leg.vertices, leg.faces, max_edge=2.0)[0]

    def joint_band(points: np.ndarray) -> np.ndarray:
        tip = points[:, 2].max() if joint_end > 0 else points[:, 2].min()
        return np.abs(points[:, 2] - tip) < 40.0

    initial = np.eye(4)
    tip_offset = (target[:, 2].max() - moving[:, 2].max()) if joint_end > 0 else (target[:, 2].min() - moving[:, 2].min())
    initial[:3, 3] = [*(target[joint_band(target)][:, :2].mean(axis=0) - moving[joint_band(moving)][:, :2].mean(axis=0)),
                      tip_offset]
    overlap = lambda moved: _depth_inside(moved, volume, from_frame) > blend_start + 2.0  # noqa: E731
    return align.similarity_icp(moving, target, overlap, initial, motion=motion)


def _blend_whole_bone(leg, smoothed, corners, volume, from_frame, joint_end, blend_mm) -> tuple[Grid, np.ndarray]:
    from scipy import ndimage

    cut = joint_end * -EXTENSION_MM  # the far end: +250 mm for the femur, -250 mm for tibia and fibula
    low = np.minimum(corners[0], leg.bounds[0])
    high = np.maximum(corners[1], leg.bounds[1])
    if joint_end < 0:
        high[2] = min(high[2], cut + 1.0)
    else:
        low[2] = max(low[2], cut - 1.0)
    grid = Grid.covering(low, high, GRID_MM["bone"], pad=3.0)
    points = grid.points()
    mri = sample(smoothed, trimesh.transform_points(points, from_frame))
    weight = np.clip((_depth_inside(points, volume, from_frame) - blend_mm[0]) / blend_mm[1], 0.0, 1.0)

    leg_inside = inside_mask(leg, grid)
    mri_inside = (mri > 0.5).reshape(grid.shape)

    # Interpolating signed distances moves the surface steadily from one bone to the
    # other across the band, instead of switching abruptly where the weights cross.
    signed = weight.reshape(grid.shape) * _signed_distance(mri_inside, grid.spacing)
    signed += (1.0 - weight.reshape(grid.shape)) * _signed_distance(leg_inside, grid.spacing)
    inside = signed < 0
    inside[(points[:, 2] > cut).reshape(grid.shape) if joint_end < 0 else (points[:, 2] < cut).reshape(grid.shape)] = False
    blended = ndimage.gaussian_filter(inside.astype(np.float32), SMOOTHING_MM / grid.spacing, mode="constant")
    fully_mri = weight.reshape(grid.shape) >= 1.0
    blended[fully_mri] = mri.reshape(grid.shape)[fully_mri]
    return grid, blended.astype(np.float32)


def _signed_distance(inside: np.ndarray, spacing: float) -> np.ndarray:
    """Signed Euclidean distance in mm to the boundary of a voxel mask: negative inside."""
    from scipy import ndimage

    outside_distance = ndimage.distance_transform_edt(~inside, sampling=spacing)
    inside_distance = ndimage.distance_transform_edt(inside, sampling=spacing)
    return (outside_distance - inside_distance).astype(np.float32)
