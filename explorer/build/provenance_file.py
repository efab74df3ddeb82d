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
    "attribution": "Whole leg bones from MyoSim (myo-sim 0.2.4), MyoSuite, Apache License 2.0",
}
MRI_STEPS = (
    "label {label} extracted from the segmentation; mask smoothed with a Gaussian of sigma {sigma} mm; "
    "resampled onto a {grid} mm isotropic grid in the atlas frame; iso-surface at 0.5 (flying edges); "
    "specks under 2% of the largest part's area dropped; quadric decimation to {tris} triangles "
    "(within {p95:.3f} mm at the 95th percentile and {maximum:.3f} mm at most of the full-resolution smoothed surface)"
)
EXTENSION_STEPS = (
    "; beyond the MRI field of view the leg model's {bone} (scaled from m to mm, body axes mapped to the atlas axes, "
    "aligned to the MRI bone by symmetric ICP with uniform scale {scale:.3f}, rms {rms_mm:.2f} mm) was voxelised; "
    "the signed distances to the two bones were interpolated across a {blend} mm band inside the field of view and "
    "the result smoothed like the MRI masks, "
    "so that one closed surface runs from the knee to {extension:.0f} mm from the joint line, where it is cut flat"
)


def write(folder: Path, reports, alignments: dict, centre: np.ndarray, data_dir: Path, modelled=()) -> None:
    """Write the provenance and frame files for ``reports`` and the ``modelled`` structures into ``folder``."""
    from explorer.build import meshes  # the build's parameters live there
    from explorer.build.volume import MRI_LABELS

    entries = {}
    for report in reports:
        path = folder / report.file
        mri = dict(MSKT_SOURCE)
        entry = {
            "file": report.file,
            "sha256": sources.sha256_of(path),
            "schematic": False,
            "sources": [mri],
            "license": "MIT",
            "provenance": "inferred",
        }
        kind = "bone" if report.structure in meshes.BONES else "thin"
        modifications = MRI_STEPS.format(
            label=MRI_LABELS[report.structure], sigma=meshes.SMOOTHING_MM, grid=meshes.GRID_MM[kind],
            tris=report.triangles, p95=report.fidelity.p95, maximum=report.fidelity.maximum,
        )
        if report.structure in alignments:
            leg_source = sources.SOURCES[meshes.EXTENDED[report.structure][0]]
            entry["sources"].append({**MYO_SIM_SOURCE, "file": leg_source.member, "sha256": leg_source.sha256})
            entry["license"] = "MIT AND Apache-2.0"
            modifications += EXTENSION_STEPS.format(
                bone=report.structure,
                blend=meshes.BLEND_WIDTH_MM, extension=meshes.EXTENSION_MM, **alignments[report.structure],
            )
        entry["modifications"] = modifications
        entry["attribution"] = "; ".join(source["attribution"] for source in entry["sources"])
        entries[report.structure] = entry
    for record in modelled:
        entries[record.id] = _modelled_entry(folder, record)
    (folder / "PROVENANCE.toml").write_text(
        "# Provenance of every mesh in this folder: source, SPDX licence, sha256 and what was done to it.\n"
        "# Written by `knee-explorer build-meshes`; edit the build, not this file.\n\n"
        + tomli_w.dumps(entries),
        encoding="utf-8",
    )
    frame_data = {
        **frame.describe(),
        "origin_in_scanner_ras_mm": [round(float(v), 3) for v in centre],
        "leg_model_alignment": {
            bone: {"matrix": fit["matrix"], "rms_mm": fit["rms_mm"], "scale": fit["scale"],
                   "maps": "leg-model body frame (mm, atlas axes) to the atlas frame"}
            for bone, fit in alignments.items()
        },
    }
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


def _modelled_entry(folder: Path, record) -> dict:
    """Provenance of a schematic structure: built by the project from landmarks of the bones."""
    landmark_file = folder / "landmarks.toml"
    own = {**PROJECT_SOURCE, "file": landmark_file.name, "sha256": sources.sha256_of(landmark_file)}
    chain = sources.SOURCES["chain"]
    return {
        "file": f"{record.id}.ply",
        "sha256": sources.sha256_of(folder / f"{record.id}.ply"),
        "schematic": True,
        "sources": [own, dict(MSKT_SOURCE), {**MYO_SIM_SOURCE, "file": chain.member, "sha256": chain.sha256}],
        "license": "MIT AND Apache-2.0",
        "provenance": "verified",
        "modifications": (
            f"schematic {record.kind}, not measured: {record.construction}. Built from: "
            f"{', '.join(record.landmarks)} (landmarks.toml). Assumptions: {record.assumptions}. Sizes: {record.sizes}."
        ),
        "attribution": "; ".join([PROJECT_SOURCE["attribution"], MSKT_SOURCE["attribution"], MYO_SIM_SOURCE["attribution"]]),
    }
