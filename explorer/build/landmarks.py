"""Bony landmarks measured on the bone meshes, each with the rule that found it.

Everything is in the atlas frame (+x lateral, +y anterior, +z superior, mm, origin on the
joint line). The modelled soft tissues are built from these points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from explorer.build.leg_axes import section_centre


@dataclass(frozen=True)
class Landmark:
    """A named point and the rule that measured it."""

    name: str
    point: np.ndarray
    method: str


def _extreme(mesh: trimesh.Trimesh, direction, z_range, x_range=(-np.inf, np.inf)) -> np.ndarray:
    vertices = mesh.vertices
    keep = (vertices[:, 2] >= z_range[0]) & (vertices[:, 2] <= z_range[1])
    keep &= (vertices[:, 0] >= x_range[0]) & (vertices[:, 0] <= x_range[1])
    candidates = vertices[keep]
    return candidates[np.argmax(candidates @ np.asarray(direction, dtype=float))]


def _ray_hit(mesh: trimesh.Trimesh, origin, direction) -> np.ndarray:
    """First point where a ray from ``origin`` along ``direction`` meets ``mesh``."""
    locations, _, _ = mesh.ray.intersects_location([origin], [direction], multiple_hits=True)
    if len(locations) == 0:
        raise ValueError(f"ray from {np.round(origin, 1)} along {direction} misses the mesh")
    return locations[np.argmin(np.linalg.norm(locations - np.asarray(origin), axis=1))]


def measure(bones: dict[str, trimesh.Trimesh]) -> dict[str, Landmark]:
    """Measure every landmark the soft-tissue models need.

    Parameters
    ----------
    bones
        Closed meshes of ``femur``, ``tibia``, ``fibula`` and ``patella`` in the atlas frame.
    """
    femur, tibia, fibula, patella = (bones[name] for name in ("femur", "tibia", "fibula", "patella"))
    found: dict[str, Landmark] = {}

    def add(name: str, point, method: str) -> np.ndarray:
        found[name] = Landmark(name, np.asarray(point, dtype=float), method)
        return found[name].point

    add("lateral_epicondyle", _extreme(femur, (1, 0, 0), (10, 45)),
                             "most lateral femur vertex 10-45 mm above the joint line")
    add("medial_epicondyle", _extreme(femur, (-1, 0, 0), (10, 45)),
                            "most medial femur vertex 10-45 mm above the joint line")
    medial_back = add("medial_condyle_back", _extreme(femur, (0, -1, 0), (0, 40), (-np.inf, -5)),
                      "most posterior femur vertex medial of x=-5 mm, 0-40 mm above the joint line")
    lateral_back = add("lateral_condyle_back", _extreme(femur, (0, -1, 0), (0, 40), (5, np.inf)),
                       "most posterior femur vertex lateral of x=+5 mm, 0-40 mm above the joint line")
    notch_x = (medial_back[0] + lateral_back[0]) / 2
    add("notch_centre", [notch_x, (medial_back[1] + lateral_back[1]) / 2 + 10, 12.0],
        "midway between the condyle backs in x, 10 mm in front of them, 12 mm above the joint line")
    add("acl_femoral", _ray_hit(femur, [notch_x, medial_back[1] + 8, 20.0], [1, 0, 0]),
        "ray from the notch centre line toward +x onto the medial wall of the lateral condyle, 8 mm in front of "
        "the condyle backs, 20 mm up (posterior and upper part of the notch, as in an extended knee)")
    add("pcl_femoral", _ray_hit(femur, [notch_x, medial_back[1] + 22, 15.0], [-1, 0, 0]),
        "ray from the notch centre line toward -x onto the lateral wall of the medial condyle, 22 mm in front "
        "of the condyle backs, 15 mm up (anterior part of the notch)")
    eminence = add("intercondylar_eminence", _extreme(tibia, (0, 0, 1), (-20, 20), (notch_x - 10, notch_x + 10)),
                   "highest tibia vertex within 10 mm of the notch centre in x")
    add("acl_tibial", _ray_hit(tibia, [notch_x, eminence[1] + 6, 30.0], [0, 0, -1]),
        "ray straight down onto the tibia 6 mm in front of the eminence (anterior intercondylar area, about 40% "
        "of the plateau's depth from its front)")
    tibia_back = _extreme(tibia, (0, -1, 0), (-15, -3), (notch_x - 25, notch_x + 25))
    add("pcl_tibial", _ray_hit(tibia, [notch_x, tibia_back[1] - 30, -10.0], [0, 1, 0]),
        "ray forward onto the back of the tibia at the notch centre, 10 mm below the joint line "
        "(posterior intercondylar area)")
    add("tibial_tuberosity", _extreme(tibia, (0, 1, 0), (-50, -25)), "most anterior tibia vertex 25-50 mm below the joint line")
    add("gerdy_tubercle", _extreme(tibia, (np.sqrt(0.5), np.sqrt(0.5), 0), (-25, -10)),
        "most anterolateral tibia vertex (direction x+y) 10-25 mm below the joint line")
    add("mcl_tibial", _extreme(tibia, (-1, 0.3, 0), (-62, -52)),
        "most medial (slightly anterior) tibia vertex 52-62 mm below the joint line")
    add("pes_anserinus", _extreme(tibia, (-0.6, 0.8, 0), (-62, -48)),
        "most anteromedial tibia vertex (direction -0.6x+0.8y) 48-62 mm below the joint line")
    add("posteromedial_tibia", _extreme(tibia, (-np.sqrt(0.5), -np.sqrt(0.5), 0), (-14, -6)),
        "most posteromedial tibia vertex (direction -x-y) 6-14 mm below the joint line")
    section_x = tibia.section(plane_origin=[0.0, 0.0, -45.0], plane_normal=[0.0, 0.0, 1.0]).vertices[:, 0]
    medial_third = section_x.mean() - 2.0 / 3.0 * (section_x.mean() - section_x.min())
    add("popliteus_insertion", _ray_hit(tibia, [medial_third, -80.0, -45.0], [0, 1, 0]),
        "ray forward onto the back of the tibia 45 mm below the joint line, two thirds of the way from the centre "
        "of its cross-section to its medial edge (the triangle above the soleal line)")
    apex = add("fibular_head_apex", _extreme(fibula, (0, 0, 1), (-np.inf, np.inf)), "highest fibula vertex")
    add("fibular_head_lateral", _extreme(fibula, (1, 0, 0), (apex[2] - 15, apex[2] - 3)),
        "most lateral fibula vertex 3-15 mm below the head's apex")
    heights = np.arange(apex[2] - 38, apex[2] - 22, 1.0)
    widths = [np.ptp(fibula.section(plane_origin=[0, 0, z], plane_normal=[0, 0, 1]).vertices[:, 0]) for z in heights]
    neck_z = float(heights[int(np.argmin(widths))])
    add("fibular_neck", section_centre(fibula, neck_z),
        "centre of the narrowest fibula cross-section 22-38 mm below the head's apex")
    add("fibular_head_back", _extreme(fibula, (0, -1, 0), (apex[2] - 20, apex[2] - 5)),
        "most posterior fibula vertex 5-20 mm below the head's apex")
    add("patella_apex", _extreme(patella, (0, 0, -1), (-np.inf, np.inf)), "lowest patella vertex (its apex)")
    add("femur_shaft_back_100", _extreme(femur, (0, -1, 0), (98, 102)), "most posterior femur vertex 100 mm above the joint line")
    add("femur_shaft_centre_200", section_centre(femur, 200.0), "centre of the femur cross-section 200 mm above the joint line")
    add("tibia_shaft_centre_150", section_centre(tibia, -150.0), "centre of the tibia cross-section 150 mm below the joint line")
    add("fibula_shaft_centre_150", section_centre(fibula, -150.0), "centre of the fibula cross-section 150 mm below the joint line")
    add("femur_shaft_lateral_200", _extreme(femur, (1, 0, 0), (198, 202)), "most lateral femur vertex 200 mm above the joint line")
    return found


def back_of(mesh: trimesh.Trimesh, z: float, x_range=(-np.inf, np.inf), band: float = 2.0) -> float:
    """The most posterior y of ``mesh`` within ``band`` mm of height ``z`` (and within ``x_range``)."""
    vertices = mesh.vertices
    keep = (np.abs(vertices[:, 2] - z) <= band) & (vertices[:, 0] >= x_range[0]) & (vertices[:, 0] <= x_range[1])
    return float(vertices[keep, 1].min())
