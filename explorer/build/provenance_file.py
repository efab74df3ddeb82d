"""Compose and write ``meshes/PROVENANCE.toml`` and ``meshes/frame.toml`` for built meshes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tomli_w

from explorer import frame
from explorer.build import sources

MSKT_SOURCE = {
    "package": "mskt 0.1.22 (pymskt, by Anthony Gatti), Python package index sdist",
    "url": "https://pypi.org/project/mskt/0.1.22/",
    "file": sources.SOURCES["labels"].member,
    "sha256": sources.SOURCES["labels"].sha256,
    "license": "MIT",
    "license_evidence": "package metadata says 'License: MIT'; the original scan's source is not stated in the package",
    "attribution": "MRI segmentation of a right knee from pymskt (mskt 0.1.22) by Anthony Gatti, MIT licence",
}
MYO_SIM_SOURCE = {
    "package": "myo-sim 0.2.4 (MyoSim, the MuJoCo musculoskeletal models of MyoSuite), Python package index wheel",
    "url": "https://pypi.org/project/myo-sim/0.2.4/",
    "license": "Apache-2.0",
    "license_evidence": "LICENSE file (Apache License 2.0) shipped in the wheel",
    "attribution": "Whole leg bones and muscle path sites from MyoSim (myo-sim 0.2.4), MyoSuite, Apache License 2.0",
}
MRI_STEPS = (
    "label {label} extracted from the segmentation; mask smoothed with a Gaussian of sigma {sigma} mm; "
    "resampled onto a {grid} mm isotropic grid in the atlas frame; iso-surface at 0.5 (flying edges); "
    "specks under 2% of the largest part's area dropped; quadric decimation to {tris} triangles "
    "(within {p95:.3f} mm at the 95th percentile and {maximum:.3f} mm at most of the full-resolution smoothed surface)"
)
EXTENSION_STEPS = (
    "; beyond the MRI field of view the leg model's {bone} (scaled from m to mm, body axes mapped to the atlas axes, "
    "aligned to the labelled bone by symmetric ICP ({motion}; uniform scale {scale:.3f}, rms {rms_mm:.2f} mm) was voxelised; "
    "the signed distances to the two bones were interpolated across a {blend} mm band inside the field of view and "
    "the result smoothed like the MRI masks, "
    "so that one closed surface runs from the knee to {extension:.0f} mm from the joint line, where it is cut flat"
)


def write(folder: Path, reports, alignments: dict, centre: np.ndarray, modelled=(), axes: dict | None = None,
          skin=None) -> None:
    """Write the provenance and frame files for ``reports`` and the ``modelled`` structures into ``folder``.

    Each source is described once under ``[sources.<key>]``; every mesh entry lists the keys it uses.
    ``axes``: the shaft angles of the built knee (:func:`explorer.build.leg_axes.stated`) for ``frame.toml``;
    ``skin``: the :class:`explorer.build.skin.SkinRecord` of the skin fitted to these bones, if any.
    """
    from explorer.build import meshes  # the build's parameters live there
    from explorer.build.volume import MRI_LABELS

    shared = _shared_sources(folder)
    entries = {}
    for report in reports:
        kind = "bone" if report.structure in meshes.BONES else "thin"
        used = ["mri-labels"]
        modifications = MRI_STEPS.format(
            label=MRI_LABELS[report.structure], sigma=meshes.SMOOTHING_MM, grid=meshes.GRID_MM[kind],
            tris=report.triangles, p95=report.fidelity.p95, maximum=report.fidelity.maximum,
        )
        if report.structure in alignments:
            used.append(f"leg-model-{meshes.EXTENDED[report.structure][0]}")
            modifications += EXTENSION_STEPS.format(
                bone=report.structure,
                blend=meshes.BLEND_WIDTH_MM, extension=meshes.EXTENSION_MM, **alignments[report.structure],
            )
        entries[report.structure] = entry(folder, report.file, used, shared, schematic=False,
                                            provenance="inferred", modifications=modifications)
    for record in modelled:
        entries[record.id] = modelled_entry(folder, record, "mri-labels", shared)
    if skin is not None:
        entries["skin"] = skin_entry(folder, skin, "mri-labels", shared)
    write_files(folder, entries, shared, frame_table(centre, alignments, **({"leg_axes": axes} if axes else {})))


def modelled_entry(folder: Path, record, labels_key: str, shared: dict) -> dict:
    """The provenance entry of one schematic structure built on the bones from ``labels_key``."""
    modifications = (
        f"schematic {record.kind}, not measured: {record.construction}. Built from: "
        f"{', '.join(record.landmarks)} (landmarks.toml). Assumptions: {record.assumptions}. Sizes: {record.sizes}."
    )
    return entry(folder, f"{record.id}.ply", ["project-model", labels_key, "leg-model-chain"],
                 shared, schematic=True, provenance="verified", modifications=modifications)


def skin_entry(folder: Path, record, labels_key: str, shared: dict) -> dict:
    """The provenance entry of the skin: the base body's mesh fitted to the bones from ``labels_key``
    (adds the base mesh to the ``shared`` sources)."""
    from explorer.build import skin

    shared["makehuman-skin"] = dict(skin.MAKEHUMAN_SOURCE)
    return entry(folder, skin.SKIN_FILE, ["makehuman-skin", labels_key, "leg-model-femur", "leg-model-tibia",
                                         "leg-model-chain"], shared, schematic=True, provenance="verified",
                 modifications=record.modifications())


def frame_table(centre: np.ndarray, alignments: dict, **extra) -> dict:
    """The contents of ``frame.toml``: the frame, its origin, the leg-model alignments and ``extra``."""
    return {
        **frame.describe(),
        "origin_in_scanner_ras_mm": [round(float(v), 3) for v in centre],
        **extra,
        "leg_model_alignment": {
            bone: {"matrix": fit["matrix"], "rms_mm": fit["rms_mm"], "scale": fit["scale"], "motion": fit["motion"],
                   "maps": "leg-model body frame (mm, atlas axes) to the atlas frame"}
            for bone, fit in alignments.items()
        },
    }


def write_files(folder: Path, entries: dict, shared: dict, frame_data: dict) -> None:
    """Write ``PROVENANCE.toml`` (``entries`` and the ``shared`` sources) and ``frame.toml`` into ``folder``."""
    (folder / "PROVENANCE.toml").write_text(
        "# Provenance of every mesh in this folder: SPDX licence, sha256, sources and what was done to it.\n"
        "# Sources are described once, under [sources.<key>], at the end.\n"
        "# Written by `knee-explorer build-meshes`; edit the build, not this file.\n\n"
        + tomli_w.dumps({**entries, "sources": shared}),
        encoding="utf-8",
    )
    (folder / "frame.toml").write_text(
        "# The atlas frame shared by every mesh (written by `knee-explorer build-meshes`).\n\n" + tomli_w.dumps(frame_data),
        encoding="utf-8",
    )


PROJECT_SOURCE = {
    "package": "knee-explorer (this project): explorer/build/modelled.py",
    "license": "MIT",
    "license_evidence": "the project's own construction",
    "attribution": "Schematic soft tissues modelled by the Knee explorer project on landmarks of the bones",
}


def _shared_sources(folder: Path) -> dict[str, dict]:
    """Every source a mesh may list, by key."""
    return {"mri-labels": dict(MSKT_SOURCE), **leg_model_sources(), **project_source(folder)}


def leg_model_sources() -> dict[str, dict]:
    """The leg model's bone and muscle-path files, as provenance sources by key."""
    return {f"leg-model-{key}": {**MYO_SIM_SOURCE, "file": sources.SOURCES[key].member, "sha256": sources.SOURCES[key].sha256}
            for key in ("femur", "tibia", "fibula", "chain")}


def project_source(folder: Path) -> dict[str, dict]:
    """The project's own landmark file as a source, when the folder has one."""
    landmark_file = folder / "landmarks.toml"
    if not landmark_file.exists():
        return {}
    return {"project-model": {**PROJECT_SOURCE, "file": landmark_file.name, "sha256": sources.sha256_of(landmark_file)}}


def entry(folder: Path, file: str, used: list[str], shared: dict, **fields) -> dict:
    licences = list(dict.fromkeys(shared[key]["license"] for key in used))
    return {
        "file": file,
        "sha256": sources.sha256_of(folder / file),
        "schematic": fields["schematic"],
        "license": " AND ".join(licences),
        "provenance": fields["provenance"],
        "sources": used,
        "modifications": fields["modifications"],
        "attribution": "; ".join(dict.fromkeys(shared[key]["attribution"] for key in used)),
    }
