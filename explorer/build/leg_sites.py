"""Muscle path sites of the leg model, carried into the atlas frame by the bone alignments."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import trimesh

from explorer.build.align import BODY_TO_FRAME


def read_sites(chain_xml: Path, alignment: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Right-leg sites of the pelvis, femur and tibia bodies, in the atlas frame (mm).

    Parameters
    ----------
    chain_xml
        ``myolegs_chain.xml`` of the leg model.
    alignment
        4x4 transforms from the leg model's femur and tibia body frames (mm, atlas axes) to the
        atlas frame, keyed ``femur`` and ``tibia`` (``meshes/frame.toml``, ``leg_model_alignment``).

    Notes
    -----
    Pelvis sites are expressed in the femur's frame through the femur body's offset in the
    pelvis at zero hip angles (the femur body has no rotation of its own there).
    """
    root = ElementTree.parse(chain_xml).getroot()
    femur_body = root.find(".//body[@name='femur_r']")
    femur_offset = np.array([float(v) for v in femur_body.get("pos").split()])
    bodies = {"pelvis": ("femur", -femur_offset), "femur_r": ("femur", 0.0), "tibia_r": ("tibia", 0.0)}
    sites: dict[str, np.ndarray] = {}
    for name, (bone, offset) in bodies.items():
        body = root.find(f".//body[@name='{name}']")
        for site in body.findall("site"):
            label = site.get("name", "")
            if not label.endswith("_r") or site.get("pos") is None:
                continue
            metres = np.array([float(v) for v in site.get("pos").split()]) + offset
            in_axes = BODY_TO_FRAME @ (metres * 1000.0)
            sites[label] = trimesh.transform_points(in_axes[None, :], alignment[bone])[0]
    return sites
