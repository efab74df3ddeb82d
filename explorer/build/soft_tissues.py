"""Build step for the schematic soft tissues: landmarks, leg-model sites, meshes and their records."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import tomli_w
import trimesh

from explorer.build import contacts, settle
from explorer.build import landmarks as landmark_rules
from explorer.build.leg_sites import read_sites
from explorer.build.modelled import Modelled, SoftTissueBuilder
from explorer.meshio import write_ply

LANDMARK_FILE = "landmarks.toml"
MODELLED_FILE = "modelled.toml"
JOINT_SOLIDS = ("medial_meniscus", "lateral_meniscus", "femoral_cartilage",
                "medial_tibial_cartilage", "lateral_tibial_cartilage", "patellar_cartilage")


def build(meshes: dict[str, trimesh.Trimesh], alignment: dict[str, np.ndarray], chain_xml: Path, staging: Path,
          log: Callable[[str], None] = print, real: dict[str, str] | None = None,
          slab: tuple[float, float] | None = None) -> list[Modelled]:
    """Measure landmarks on the built bones, model every soft tissue, write meshes and ``landmarks.toml``.

    Parameters
    ----------
    meshes
        The MRI-derived meshes by structure id, as written (atlas frame, mm).
    alignment
        Leg-model femur and tibia alignments (4x4), as recorded in ``frame.toml``.
    chain_xml
        The leg model's ``myolegs_chain.xml`` (muscle path sites).
    staging
        Folder the meshes are written to.
    real
        Structure id -> kind (``muscle``, ``nerve``...) of the segmented structures among
        ``meshes``: they are not modelled, and what is modelled next to them follows them.
    slab
        Bottom and top height (mm) of the volume they were segmented in: those it cuts are
        continued beyond it by their models (returned with the modelled ones, ``joins`` set).
    """
    bones = {name: meshes[name] for name in ("femur", "tibia", "fibula", "patella")}
    found = landmark_rules.measure(bones)
    sites = read_sites(chain_xml, alignment)
    given = {name: given_structure(name, kind, meshes[name]) for name, kind in (real or {}).items()}
    builder = SoftTissueBuilder(found, sites, bones, [meshes[name] for name in JOINT_SOLIDS], given, slab)
    records = builder.build_all()
    settled = _settle(records, meshes)
    for record in records:
        write_ply(staging / f"{record.id}.ply", record.mesh.vertices, record.mesh.faces)
        joins = "".join(f"  joined at z={j.height:.0f} mm: moved {j.offset_mm:.1f} mm, cross-section changes "
                        f"{j.area_change:.0%} at most" for j in record.joins)
        moved = f"  settled: {settled[record.id]}" if record.id in settled else ""
        log(f"{record.id:36s} {len(record.mesh.faces):7d} tris  " + (f"segmented, continued{joins}" if record.joins
                                                                     else f"schematic {record.kind}") + moved)
    landmark_table = {
        name: {"point_mm": [round(float(v), 3) for v in mark.point], "method": mark.method}
        for name, mark in found.items()
    }
    used_sites = sorted({label for r in records for label in r.landmarks if label in sites})
    site_table = {name: {"point_mm": [round(float(v), 3) for v in sites[name]],
                         "method": "leg-model site carried into the atlas by its bone's alignment"} for name in used_sites}
    (staging / LANDMARK_FILE).write_text(
        "# Bony landmarks measured on the meshes, and leg-model muscle sites, in the atlas frame (mm).\n"
        "# Written by `knee-explorer build-meshes`; the schematic soft tissues are built from these.\n\n"
        + tomli_w.dumps({"landmarks": landmark_table, "leg_model_sites": site_table}),
        encoding="utf-8",
    )
    (staging / MODELLED_FILE).write_text(
        "# How each schematic structure was built: kind, landmarks, attachments, centre line and calibre (mm).\n"
        "# Written by `knee-explorer build-meshes`; the anatomy tests check the meshes against it.\n\n"
        + tomli_w.dumps({record.id: _record_table(record) for record in records}),
        encoding="utf-8",
    )
    return records


def _settle(records: list[Modelled], meshes: dict[str, trimesh.Trimesh]) -> dict[str, str]:
    """Last, move what still runs into a neighbour without a reason out of it (see :mod:`explorer.build.settle`);
    what each moved structure was moved out of or dented round, by id."""
    parts = contacts.annotated_parts()
    everything = {name: mesh for name, mesh in meshes.items() if name in parts} | {r.id: r.mesh for r in records}
    weights = {name: np.zeros(len(mesh.vertices)) for name, mesh in everything.items()}
    weights |= {record.id: record.move_weights() for record in records}
    before = {record.id: record.mesh.vertices.copy() for record in records}
    moves = settle.settle(everything, weights, {name: parts[name].group for name in everything},
                          lambda a, b: contacts.reason_to_overlap(parts[a], parts[b]) is not None)
    by_structure: dict[str, list[settle.Move]] = {}
    for move in moves:
        by_structure.setdefault(move.moved, []).append(move)
    for record in records:
        if record.id in by_structure:
            largest = max(move.largest_mm for move in by_structure[record.id])
            record.centreline = settle.follow(record.centreline, before[record.id], record.mesh.vertices)
            record.assumptions += (f"; last, where it still ran into a neighbour without a reason to, it was moved out "
                                   f"of it or dented round it (by {largest:.1f} mm at most)")
    return {structure_id: ", ".join(f"{'dented round' if move.dented else 'moved out of'} {move.other} "
                                    f"({move.largest_mm:.1f} mm)" for move in structure_moves)
            for structure_id, structure_moves in by_structure.items()}


def given_structure(structure_id: str, kind: str, mesh: trimesh.Trimesh, step_mm: float = 2.0) -> Modelled:
    """A segmented structure as the builder uses it: its mesh, and as centre line the centroids
    of its vertices in horizontal slabs ``step_mm`` thick, from top to bottom.

    Examples
    --------
    >>> rod = trimesh.creation.cylinder(radius=2.0, height=20.0, sections=16)
    >>> line = given_structure("rod", "nerve", rod).centreline
    >>> bool(line[0, 2] > line[-1, 2]), bool(np.allclose(line[:, :2], 0.0, atol=1e-6))
    (True, True)
    """
    heights = mesh.vertices[:, 2]
    slab = np.floor((heights - heights.min()) / step_mm).astype(int)
    centres = np.array([mesh.vertices[slab == k].mean(axis=0) for k in np.unique(slab)[::-1]])
    return Modelled(structure_id, kind, mesh, centres, (), "segmented", "none", weights=np.zeros(len(mesh.vertices)))


def _record_table(record: Modelled) -> dict:
    table = {
        "kind": record.kind,
        "landmarks": list(record.landmarks),
        "centreline_mm": [[round(float(v), 3) for v in point] for point in record.centreline],
    }
    if record.diameter is not None:
        table["diameter_mm"] = round(record.diameter, 3)
    for end, (bone, point) in record.attachments.items():
        table[f"{end}_attachment"] = {"bone": bone, "point_mm": point}
    if record.joins:
        table["segmented"] = True
        table["joins"] = [{"height_mm": round(j.height, 2), "moved_mm": round(j.offset_mm, 2),
                           "largest_area_change": round(j.area_change, 3), "outline_matched": j.outline_matched}
                          for j in record.joins]
    return table
