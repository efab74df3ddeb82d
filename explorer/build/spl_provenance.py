"""Compose and write ``PROVENANCE.toml`` and ``frame.toml`` of the ``spl`` geometry set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from explorer.build import meshes as label_meshes
from explorer.build import provenance_file, spl_sources

#: The licence text goes with every copy of the set, under this name.
LICENCE_COPY = "LICENSE-3D-Slicer.txt"
LICENCE = "LicenseRef-3D-Slicer"
#: The words the atlas's licence requires to open its notice.
REQUIRED_OPENING = (
    "All or portions of this licensed product (such portions are the \"Software\") have been obtained under "
    "license from The Brigham and Women's Hospital, Inc. and are subject to the following terms and conditions"
)
NOT_CLINICAL = ("The SPL Knee Atlas was made for research and teaching; it has not been reviewed or approved by any "
                "regulatory agency, and clinical use is neither recommended nor advised.")
SPL_SOURCE = {
    "package": f"SPL Knee Atlas (Surgical Planning Laboratory, Brigham and Women's Hospital; Open Anatomy release "
               f"knee-2016-09), {spl_sources.REPOSITORY} at revision {spl_sources.REVISION}",
    "url": f"{spl_sources.REPOSITORY}/tree/{spl_sources.REVISION}/Data",
    "file": "seg.nrrd",
    "sha256": spl_sources.PINNED_SUMS["seg.nrrd"],
    "license": LICENCE,
    "license_evidence": f"LICENSE.txt that accompanies the atlas (3D Slicer Software License, Part B); copied here as "
                        f"{LICENCE_COPY}",
    "attribution": ("SPL Knee Atlas: MRI of one volunteer's left knee segmented by hand, Surgical Planning Laboratory, "
                    "Brigham and Women's Hospital (NIH P41 RR013218, P41 EB015902), 3D Slicer Software License; "
                    "modified (mirrored to a right knee, re-meshed, smoothed, decimated)"),
    "notice": f"{REQUIRED_OPENING}: the 3D Slicer Software License, Part B (full text in {LICENCE_COPY}). "
              f"{NOT_CLINICAL}",
}
STEPS = (
    "label {label} of the atlas's label map (seg.nrrd, a left knee, RAS) mirrored into the right knee's frame "
    "(x negated) and centred on the tibial cartilages; mask smoothed with a Gaussian of sigma {sigma} mm along "
    "(row, column, slice), more across the 1 mm slices than within them, so that no slice terraces show; re-meshed "
    "on a {grid} mm isotropic grid (iso-surface at 0.5, flying edges; specks under 2% of the largest part's area "
    "dropped); quadric decimation to {tris} triangles (within {p95:.3f} mm at the 95th percentile and {maximum:.3f} "
    "mm at most of the full-resolution surface)"
)
EDGE_STEP = ("; within {band:g} mm of the slab's edge, where femur, tibia and fibula are the leg model's, vertices "
             "that met those bones were moved 0.3 mm out of them")


def write(folder: Path, reports, alignments: dict, centre: np.ndarray, modelled=(), *, mirror: np.ndarray,
          blend_mm, axes: dict, slab: tuple[float, float], skin=None) -> None:
    """Write the provenance and frame files of the spl set into ``folder``.

    ``mirror`` is the 4x4 applied to the label map, ``blend_mm`` the depth and width of the band where
    the leg-model bones take over, ``axes`` the shaft angles of the built knee, ``slab`` the bottom and
    top height (mm) of the label map, ``skin`` the :class:`explorer.build.skin.SkinRecord` of the fitted skin.
    """
    shared = {"spl-labels": dict(SPL_SOURCE), **provenance_file.leg_model_sources(),
              **provenance_file.project_source(folder)}
    entries = {}
    for report in reports:
        made = report.made
        kind = "bone" if made.structure in label_meshes.BONES else "thin"
        used = ["spl-labels"]
        modifications = STEPS.format(label=report.label, sigma=" x ".join(f"{s:g}" for s in report.sigma_mm),
                                     grid=label_meshes.GRID_MM[kind], tris=made.triangles,
                                     p95=made.fidelity.p95, maximum=made.fidelity.maximum)
        if kind != "bone":
            modifications += EDGE_STEP.format(band=sum(blend_mm))
        if report.to_model:
            modifications += (f"; compared with the atlas's own model file {report.model_file} (sha256 "
                              f"{spl_sources.PINNED_SUMS[report.model_file][:12]}...): {report.to_model.p95:.2f} mm at "
                              f"the 95th percentile, {report.to_model.maximum:.2f} mm at most, both ways")
        if made.structure in alignments:
            used.append(f"leg-model-{label_meshes.EXTENDED[made.structure][0]}")
            modifications += provenance_file.EXTENSION_STEPS.format(
                bone=made.structure, blend=blend_mm[1], extension=label_meshes.EXTENSION_MM,
                **alignments[made.structure])
        entries[made.structure] = provenance_file.entry(folder, made.file, used, shared, schematic=False,
                                                        provenance="verified", modifications=modifications)
    for record in modelled:
        if record.joins:
            segmented = entries[record.id]
            entries[record.id] = provenance_file.entry(
                folder, segmented["file"], [*segmented["sources"], "project-model", "leg-model-chain"], shared,
                schematic=False, provenance="verified",
                modifications=f"{segmented['modifications']}; continued beyond the slab by a schematic model (not "
                              f"measured): {record.construction}. Assumptions: {record.assumptions}.")
        else:
            entries[record.id] = provenance_file.modelled_entry(folder, record, "spl-labels", shared)
    if skin is not None:
        entries["skin"] = provenance_file.skin_entry(folder, skin, "spl-labels", shared)
    mirror_table = {"matrix": [[float(v) for v in row] for row in mirror[:3, :3]],
                    "why": "the SPL Knee Atlas is a left knee; negating x gives the right knee's frame (+x lateral)"}
    frame_data = provenance_file.frame_table(
        centre, alignments, origin_source="centroid of labels 84 and 85 (tibial cartilages) of the SPL label map, after the mirror",
        mirror=mirror_table, leg_axes=axes,
        slab={"bottom_mm": round(slab[0], 2), "top_mm": round(slab[1], 2),
              "what": "heights of the label map's first and last slices: the atlas's structures are segmented between them"})
    provenance_file.write_files(folder, entries, shared, frame_data)

