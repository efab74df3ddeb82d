"""Build the ``spl`` geometry set: the SPL Knee Atlas mirrored into the right knee's frame.

``knee-explorer build-meshes --geometry spl`` calls :func:`build_spl`. Every segmented structure
is re-meshed from the atlas's label map (one structure per voxel, so neighbours do not overlap),
smoothed more across its 1 mm slices than within them, and compared with the atlas's own model
file. The femur, tibia and fibula are continued beyond the atlas's slab by the aligned leg-model
bones; the nerves, vessels, muscles and tendons the slab cuts are continued beyond it by their models,
or where they have none by the courses of :mod:`explorer.build.courses`
(:mod:`explorer.build.continuation`); what the atlas lacks (sciatic and sural nerves, fibular
branches, plantaris, posterior oblique and oblique popliteal ligaments, the bursa and the pathology
variants) is modelled on these bones next to the real structures. The set is written into the cache
and its manifest last.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyvista as pv
import trimesh

from explorer import geometry
from explorer.build import meshes as label_meshes
from explorer.build import continuation, leg_axes, skin, soft_tissues, sources, spl_provenance, spl_sources, surface
from explorer.build.volume import LabelVolume
from explorer.meshio import write_ply

#: The atlas is a left knee in RAS: negating x gives the right knee's frame (+x lateral).
MIRROR = np.diag([-1.0, 1.0, 1.0, 1.0])
#: Gaussian widths along the label map's index axes (mm): its slices are 1 mm apart, its pixels 0.28 mm.
SMOOTHING_MM = (0.5, 0.5, 1.0)
#: Cartilage is a sheet 1-3 mm thick: smoothed a little more, its surface stays closed when decimated.
SMOOTHING_BY_KIND = {"cartilage": (0.7, 0.7, 1.2)}
LATERAL_TIBIAL_CARTILAGE, MEDIAL_TIBIAL_CARTILAGE = 84, 85
#: The slab holds only about 40 mm of tibia below the joint line: the leg-model bones take over in a
#: narrow band at its edge, so that what is inside the slab stays the atlas's own bone.
BLEND_MM = (2.0, 10.0)

#: Label -> (structure id, kind). The kind tells the soft-tissue builder what each real structure is.
STRUCTURES: dict[int, tuple[str, str]] = {
    95: ("femur", "bone"), 96: ("tibia", "bone"), 97: ("fibula", "bone"), 98: ("patella", "bone"),
    83: ("femoral_cartilage", "cartilage"), 84: ("lateral_tibial_cartilage", "cartilage"),
    85: ("medial_tibial_cartilage", "cartilage"), 86: ("patellar_cartilage", "cartilage"),
    81: ("lateral_meniscus", "meniscus"), 82: ("medial_meniscus", "meniscus"),
    31: ("anterior_cruciate_ligament", "ligament"), 32: ("posterior_cruciate_ligament", "ligament"),
    33: ("lateral_collateral_ligament", "ligament"), 34: ("medial_collateral_ligament", "ligament"),
    35: ("patellar_ligament", "ligament"), 43: ("iliotibial_band", "ligament"),
    12: ("vastus_lateralis", "muscle"), 13: ("vastus_medialis", "muscle"), 15: ("biceps_femoris", "muscle"),
    16: ("semimembranosus", "muscle"), 17: ("semitendinosus", "muscle"), 18: ("gracilis", "muscle"),
    19: ("sartorius", "muscle"), 20: ("gastrocnemius_medial_head", "muscle"),
    21: ("gastrocnemius_lateral_head", "muscle"), 22: ("popliteus", "muscle"), 23: ("soleus", "muscle"),
    24: ("tibialis_anterior", "muscle"), 25: ("extensor_digitorum_longus", "muscle"),
    26: ("fibularis_longus", "muscle"),
    41: ("adductor_magnus_tendon", "tendon"), 42: ("biceps_femoris_tendon", "tendon"),
    44: ("popliteus_tendon", "tendon"), 46: ("soleus_tendon", "tendon"), 47: ("semitendinosus_tendon", "tendon"),
    48: ("gracilis_tendon", "tendon"),
    61: ("common_fibular_nerve", "nerve"), 62: ("tibial_nerve", "nerve"),
    63: ("tibial_nerve_muscular_branches", "nerve"), 64: ("medial_sural_cutaneous_nerve", "nerve"),
    71: ("popliteal_artery", "vessel"), 72: ("popliteal_vein", "vessel"),
    73: ("superior_medial_genicular_artery", "vessel"), 74: ("superior_lateral_genicular_artery", "vessel"),
    75: ("middle_genicular_artery", "vessel"), 77: ("great_saphenous_vein", "vessel"),
    78: ("small_saphenous_vein", "vessel"), 9: ("infrapatellar_fat_pad", "fat"),
}


@dataclass
class SplReport:
    """One re-meshed structure: the label-map report and its distance to the atlas's own model."""

    label: int
    made: label_meshes.StructureReport
    model_file: str | None
    to_model: surface.Fidelity | None
    sigma_mm: tuple[float, float, float]

    def line(self) -> str:
        atlas = (f"  atlas model: p95 {self.to_model.p95:.2f} max {self.to_model.maximum:.2f} mm"
                 if self.to_model else "  (no atlas model)")
        return self.made.line() + atlas


def build_spl(spl_dir: Path, leg_data_dir: Path, out_dir: Path,
              log: Callable[[str], None] = print) -> list[SplReport]:
    """Build the ``spl`` set from ``spl_dir`` (the atlas files) into ``out_dir``.

    ``leg_data_dir`` holds the leg model (``myo-sim-leg/``) the long bones are continued with.
    Everything is written to a temporary folder beside ``out_dir`` and moved into place only when
    the whole set, with its manifest, is complete; a failed build leaves no partial set behind.

    Raises
    ------
    explorer.build.sources.SourceError
        For a missing source file or one whose sha256 differs from the pinned one.

    Examples
    --------
    ``build_spl(Path("../shared/data/spl-knee-atlas"), Path("../shared/data"), geometry_set("spl").folder)``
    builds the set in about four and a half minutes on two cores.
    """
    started = time.monotonic()
    atlas_files = spl_sources.verify(spl_dir)
    leg_paths = sources.verify(leg_data_dir)
    volume = LabelVolume.read_nrrd(atlas_files["seg.nrrd"])
    volume.index_to_scanner = MIRROR @ volume.index_to_scanner
    centre = volume.voxel_centroid([LATERAL_TIBIAL_CARTILAGE, MEDIAL_TIBIAL_CARTILAGE])
    to_frame = volume.index_to_scanner.copy()
    to_frame[:3, 3] -= centre
    models = spl_sources.model_files()

    reports: list[SplReport] = []
    alignments: dict[str, dict] = {}
    built: dict[str, trimesh.Trimesh] = {}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for leftover in out_dir.parent.glob(f".{out_dir.name}.*"):  # from a build that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for count, (label, (structure, kind)) in enumerate(STRUCTURES.items(), start=1):
            made = label_meshes.mesh_from_labels(volume, label, structure, to_frame, leg_paths,
                                                 np.asarray(smoothing(kind)), BLEND_MM,
                                                 follow=label_meshes.followed_alignment(structure, alignments))
            if kind != "bone":
                made.mesh.vertices = clear_of_leg_model_bone(made.mesh.vertices, built, volume, to_frame)
            write_ply(staging / made.report.file, made.mesh.vertices, made.mesh.faces)
            built[structure] = made.mesh
            if made.alignment:
                alignments[structure] = made.alignment
            model = models.get(label)
            to_model = _fidelity_in_slab(made.mesh, read_model(atlas_files[model], centre), volume, to_frame) if model else None
            report = SplReport(label, made.report, model, to_model, smoothing(kind))
            log(f"[{count:2d}/{len(STRUCTURES)}] {report.line()}")
            reports.append(report)
        matrices = {bone: np.asarray(fit["matrix"]) for bone, fit in alignments.items()}
        real = {structure: kind for structure, kind in STRUCTURES.values() if kind != "bone"}
        slab = slab_heights(volume, to_frame)
        modelled = soft_tissues.build(built, matrices, leg_paths["chain"], staging, log, real=real, slab=slab)
        muscles = {sid for sid, kind in real.items() if kind == "muscle"} | {r.id for r in modelled if r.kind == "muscle"}
        fitted = skin.build(staging, leg_paths["skin"], leg_paths["chain"], alignments, muscles, log)
        shutil.copyfile(spl_sources.LICENCE_FILE, staging / spl_provenance.LICENCE_COPY)
        spl_provenance.write(staging, reports, alignments, centre, modelled, mirror=MIRROR, blend_mm=BLEND_MM,
                             axes=leg_axes.stated(built), slab=slab, skin=fitted)
        manifest = {"geometry": "spl", "version": geometry.SPL_BUILD_VERSION,
                    "sources": geometry.expected_spl_sources(), "build": geometry.build_fingerprint(),
                    "built_seconds": round(time.monotonic() - started, 1)}
        (staging / geometry.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.replace(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return reports


def clear_of_leg_model_bone(vertices: np.ndarray, built: dict[str, trimesh.Trimesh], volume: LabelVolume,
                            to_frame: np.ndarray) -> np.ndarray:
    """``vertices`` of a segmented structure with those in the band at the slab's edge where the long bones
    are the leg model's (not this person's) moved out of the bones, by 0.3 mm."""
    depth = volume.depth_inside(trimesh.transform_points(vertices, np.linalg.inv(to_frame)))
    band = np.flatnonzero(depth < sum(BLEND_MM))
    moved = np.array(vertices, dtype=float)
    if len(band):
        bones = [built[bone] for bone in label_meshes.EXTENDED if bone in built]
        moved[band] = continuation.push_out(moved[band], bones)
    return moved


def slab_heights(volume: LabelVolume, to_frame: np.ndarray) -> tuple[float, float]:
    """Bottom and top height (mm, in the frame) of the label map's first and last slices."""
    corners = np.array([[i, j, k] for i in (0, volume.labels.shape[0] - 1) for j in (0, volume.labels.shape[1] - 1)
                        for k in (0, volume.labels.shape[2] - 1)], dtype=float)
    heights = trimesh.transform_points(corners, to_frame)[:, 2]
    return float(heights.min()), float(heights.max())


def smoothing(kind: str) -> tuple[float, float, float]:
    """Gaussian widths (mm, along the label map's axes) for a structure of this kind.

    Examples
    --------
    >>> smoothing("cartilage"), smoothing("nerve")
    ((0.7, 0.7, 1.2), (0.5, 0.5, 1.0))
    """
    return SMOOTHING_BY_KIND.get(kind, SMOOTHING_MM)


def read_model(path: Path, centre: np.ndarray) -> trimesh.Trimesh:
    """One of the atlas's model files (RAS, left knee) as a triangle mesh in the right knee's frame."""
    polydata = pv.read(path).triangulate().clean()
    points = trimesh.transform_points(np.asarray(polydata.points, dtype=float), MIRROR) - centre
    return trimesh.Trimesh(points, polydata.regular_faces[:, ::-1], process=True)


def _fidelity_in_slab(mesh: trimesh.Trimesh, model: trimesh.Trimesh, volume: LabelVolume,
                      to_frame: np.ndarray) -> surface.Fidelity:
    """Symmetric distance between a built mesh and the atlas's model, over the parts of both
    that lie inside the slab beyond the band where a long bone meets its leg-model continuation."""
    from_frame = np.linalg.inv(to_frame)
    depth = sum(BLEND_MM)

    def inside(points: np.ndarray) -> np.ndarray:
        return points[volume.depth_inside(trimesh.transform_points(points, from_frame)) > depth]

    return surface.fidelity(mesh, model, keep=inside)
