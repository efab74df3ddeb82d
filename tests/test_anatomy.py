"""Checked anatomy of the schematic soft tissues, on the committed meshes.

Each failure names the structure, the relation and the measured number.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

import numpy as np
import pytest
import trimesh

from explorer.atlas import default_root
from explorer.build.modelled import SIZE_SOURCES
from explorer.meshio import parse_ply

MESHES = default_root() / "meshes"
MODELLED = tomllib.loads((MESHES / "modelled.toml").read_text(encoding="utf-8"))
LANDMARKS = {
    name: np.asarray(entry["point_mm"])
    for name, entry in tomllib.loads((MESHES / "landmarks.toml").read_text(encoding="utf-8"))["landmarks"].items()
}
BONES = ("femur", "tibia", "fibula", "patella")
TUBES = [sid for sid, entry in MODELLED.items() if entry["kind"] in ("nerve", "vessel")]
LIGAMENTS = [sid for sid, entry in MODELLED.items() if entry["kind"] == "ligament"]


@lru_cache(maxsize=None)
def mesh(structure_id: str) -> trimesh.Trimesh:
    vertices, faces = parse_ply((MESHES / f"{structure_id}.ply").read_bytes(), structure_id)
    return trimesh.Trimesh(np.asarray(vertices, dtype=float), faces, process=False)


def centreline(structure_id: str) -> np.ndarray:
    return np.asarray(MODELLED[structure_id]["centreline_mm"])


def slice_centre(structure_id: str, z: float) -> np.ndarray:
    section = mesh(structure_id).section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0])
    assert section is not None, f"{structure_id}: does not reach z={z} mm"
    return np.asarray(section.vertices).mean(axis=0)


def distance_to(bone: str, points) -> np.ndarray:
    return trimesh.proximity.closest_point(mesh(bone), np.atleast_2d(points))[1]


#: Ligament ends: (bone, rule on the end point, what the rule means).
ATTACHMENT_RULES = {
    "anterior_cruciate_ligament": {
        "start": ("tibia", lambda p: p[1] > LANDMARKS["pcl_tibial"][1] + 15 and p[2] > -6, "front of the intercondylar area"),
        "end": ("femur", lambda p: p[0] > LANDMARKS["notch_centre"][0], "medial wall of the lateral condyle (lateral of the notch centre)"),
    },
    "posterior_cruciate_ligament": {
        "start": ("tibia", lambda p: p[1] < LANDMARKS["acl_tibial"][1] - 15 and p[2] < 0, "back of the tibia below the plateau"),
        "end": ("femur", lambda p: p[0] < LANDMARKS["notch_centre"][0], "lateral wall of the medial condyle (medial of the notch centre)"),
    },
    "medial_collateral_ligament": {
        "start": ("femur", lambda p: p[0] < -25 and p[2] > 10, "medial femoral epicondyle"),
        "end": ("tibia", lambda p: p[0] < -10 and p[2] < -40, "medial tibia well below the joint line"),
    },
    "lateral_collateral_ligament": {
        "start": ("femur", lambda p: p[0] > 25 and p[2] > 10, "lateral femoral epicondyle"),
        "end": ("fibula", lambda p: p[0] > LANDMARKS["fibular_head_apex"][0], "lateral side of the fibular head"),
    },
    "posterior_oblique_ligament": {
        "start": ("femur", lambda p: p[0] < -15 and p[2] > 10, "medial femur above the joint"),
        "end": ("tibia", lambda p: p[0] < -10 and p[1] < -5, "posteromedial tibia"),
    },
    "patellar_ligament": {
        "start": ("patella", lambda p: abs(p[2] - LANDMARKS["patella_apex"][2]) < 5, "apex of the patella"),
        "end": ("tibia", lambda p: p[1] > 20 and p[2] < -20, "tibial tuberosity, at the front"),
    },
    "oblique_popliteal_ligament": {
        "start": ("tibia", lambda p: p[0] < -10 and p[1] < -10, "posteromedial tibia (semimembranosus insertion)"),
        "end": ("femur", lambda p: p[0] > 5 and p[1] < -10, "back of the lateral femoral condyle"),
    },
    "iliotibial_band": {
        "end": ("tibia", lambda p: p[0] > 15 and p[1] > 10 and p[2] < -5, "Gerdy's tubercle, anterolateral tibia"),
    },
}


def test_every_ligament_has_attachment_rules():
    assert set(LIGAMENTS) == set(ATTACHMENT_RULES)


@pytest.mark.parametrize("ligament", sorted(ATTACHMENT_RULES))
def test_ligament_ends_lie_on_the_right_bone_and_face(ligament):
    for end, (bone, rule, meaning) in ATTACHMENT_RULES[ligament].items():
        recorded = MODELLED[ligament][f"{end}_attachment"]
        assert recorded["bone"] == bone, f"{ligament}: {end} attaches to {recorded['bone']}, expected {bone}"
        point = np.asarray(recorded["point_mm"])
        gap = float(distance_to(bone, point)[0])
        assert gap <= 2.0, f"{ligament}: {end} attachment is {gap:.2f} mm from the {bone} surface (limit 2 mm)"
        assert rule(point), f"{ligament}: {end} attachment at {np.round(point, 1)} is not on the {meaning}"
        on_mesh = float(trimesh.proximity.closest_point(mesh(ligament), [point])[1][0])
        assert on_mesh <= 4.0, f"{ligament}: recorded {end} attachment is {on_mesh:.1f} mm from its own mesh"


@pytest.mark.parametrize("structure_id", TUBES)
def test_nerves_and_vessels_stay_outside_every_bone(structure_id):
    surface = mesh(structure_id).vertices
    for bone in BONES:
        inside = mesh(bone).contains(surface)
        assert not inside.any(), (
            f"{structure_id}: {int(inside.sum())} surface points inside the {bone} "
            f"(closer to its centre line than its own radius), e.g. at {np.round(surface[inside][0], 1)}"
        )


def test_popliteal_fossa_depth_order_at_the_joint_line():
    depth = {sid: slice_centre(sid, 0.0)[1] for sid in ("tibial_nerve", "popliteal_vein", "popliteal_artery")}
    assert depth["tibial_nerve"] < depth["popliteal_vein"] < depth["popliteal_artery"], (
        "popliteal fossa at z=0: expected tibial nerve most posterior, then vein, then artery deepest; "
        f"y = {', '.join(f'{k} {v:.1f} mm' for k, v in depth.items())}"
    )


@pytest.mark.parametrize("z", [-100.0, -160.0])
def test_tibial_nerve_runs_deep_to_the_calf_muscles(z):
    nerve = slice_centre("tibial_nerve", z)
    for muscle in ("soleus", "gastrocnemius_medial_head", "gastrocnemius_lateral_head"):
        front = float(np.asarray(mesh(muscle).section(plane_origin=[0, 0, z], plane_normal=[0, 0, 1]).vertices)[:, 1].max())
        assert nerve[1] > front, f"tibial_nerve: at z={z:.0f} mm its centre (y {nerve[1]:.1f}) is not in front of the {muscle} (front y {front:.1f})"


def test_common_fibular_nerve_is_lateral_and_close_to_the_fibular_neck():
    nerve = slice_centre("common_fibular_nerve", 20.0)
    tibial = slice_centre("tibial_nerve", 20.0)
    assert nerve[0] > tibial[0] + 5, f"common_fibular_nerve: x {nerve[0]:.1f} mm is not lateral of the tibial nerve ({tibial[0]:.1f})"
    neck = LANDMARKS["fibular_neck"]
    line = centreline("common_fibular_nerve")
    near_neck = line[np.abs(line[:, 2] - neck[2]) < 8.0]
    assert len(near_neck), "common_fibular_nerve: does not reach the level of the fibular neck"
    distance = float(distance_to("fibula", near_neck).min())
    assert 5.0 <= distance <= 15.0, f"common_fibular_nerve: centre line {distance:.1f} mm from the fibular neck (5-15 expected)"


def test_bursa_lies_between_medial_gastrocnemius_and_semimembranosus():
    bursa = mesh("semimembranosus_gastrocnemius_bursa")
    for neighbour in ("gastrocnemius_medial_head", "semimembranosus"):
        gap = float(trimesh.proximity.closest_point(mesh(neighbour), bursa.vertices)[1].min())
        assert gap <= 1.5, f"semimembranosus_gastrocnemius_bursa: {gap:.1f} mm from the {neighbour} (should touch it)"
    centre = bursa.centroid
    a = slice_centre("gastrocnemius_medial_head", centre[2])
    b = slice_centre("semimembranosus", centre[2])
    t = float(np.dot(centre - a, b - a) / np.dot(b - a, b - a))
    assert 0.15 < t < 0.85, f"semimembranosus_gastrocnemius_bursa: centre at {t:.2f} of the way from gastrocnemius to semimembranosus"
    assert centre[0] < 0, f"semimembranosus_gastrocnemius_bursa: x {centre[0]:.1f} mm is not on the medial side"


def test_cruciates_and_collaterals_sides():
    acl, pcl = mesh("anterior_cruciate_ligament").centroid, mesh("posterior_cruciate_ligament").centroid
    assert pcl[1] < acl[1], f"PCL centre y {pcl[1]:.1f} mm is not behind the ACL's ({acl[1]:.1f})"
    acl_line, pcl_line = centreline("anterior_cruciate_ligament"), centreline("posterior_cruciate_ligament")
    assert acl_line[0][1] > pcl_line[0][1] and acl_line[-1][1] < pcl_line[-1][1], (
        "cruciates do not cross in side view: ACL runs from front (tibia) to back (femur), PCL the other way"
    )
    assert acl_line[-1][0] > pcl_line[-1][0], "cruciates do not cross from the front: ACL femoral end should be lateral of the PCL's"
    mcl, lcl = mesh("medial_collateral_ligament").centroid, mesh("lateral_collateral_ligament").centroid
    assert mcl[0] < -20, f"MCL centre x {mcl[0]:.1f} mm is not medial"
    assert lcl[0] > 20, f"LCL centre x {lcl[0]:.1f} mm is not lateral"


@pytest.mark.parametrize("ligament, size", [("anterior_cruciate_ligament", "acl_length"),
                                             ("posterior_cruciate_ligament", "pcl_length")])
def test_cruciate_lengths_within_published_ranges(ligament, size):
    (low, high), source = SIZE_SOURCES[size]
    line = centreline(ligament)
    length = float(np.linalg.norm(line[-1] - line[0]))
    assert low <= length <= high, f"{ligament}: {length:.1f} mm between attachments, published {low}-{high} mm ({source})"


@pytest.mark.parametrize("structure_id, size", [("tibial_nerve", "tibial_nerve"),
                                                 ("common_fibular_nerve", "common_fibular_nerve"),
                                                 ("sural_nerve", "sural_nerve"),
                                                 ("popliteal_artery", "popliteal_artery")])
def test_calibres_within_published_ranges(structure_id, size):
    (low, high), source = SIZE_SOURCES[size]
    line = centreline(structure_id)
    middle = len(line) // 2
    normal = line[middle + 1] - line[middle - 1]
    section = mesh(structure_id).section(plane_origin=line[middle], plane_normal=normal)
    unit = normal / np.linalg.norm(normal)
    area = max(abs(0.5 * np.dot(np.cross(loop[:-1], loop[1:]).sum(axis=0), unit)) for loop in section.discrete)
    diameter = 2 * np.sqrt(area / np.pi)
    assert low <= diameter <= high, f"{structure_id}: calibre {diameter:.2f} mm, published {low}-{high} mm ({source})"


def test_patellar_ligament_is_a_flat_band_from_the_patellar_apex_to_the_tibial_tuberosity():
    top = np.asarray(MODELLED["patellar_ligament"]["start_attachment"]["point_mm"])
    bottom = np.asarray(MODELLED["patellar_ligament"]["end_attachment"]["point_mm"])
    course = bottom - top
    length = float(np.linalg.norm(course))
    axis = course / length
    assert axis[2] < -0.8 and axis[1] < 0, f"patellar_ligament: runs along {np.round(axis, 2)}, not down and back to the tibia"
    assert 40.0 <= length <= 60.0, f"patellar_ligament: {length:.1f} mm between attachments (40-60 expected)"
    across = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
    across /= np.linalg.norm(across)
    depth = np.cross(axis, across)
    band = mesh("patellar_ligament")

    def size_at(t: float) -> tuple[float, float]:
        points = np.asarray(band.section(plane_origin=top + t * course, plane_normal=axis).vertices) - top
        return float(np.ptp(points @ across)), float(np.ptp(points @ depth))

    (top_width, top_thickness), (bottom_width, bottom_thickness) = size_at(0.1), size_at(0.9)
    assert 24.0 <= top_width <= 31.0, f"patellar_ligament: {top_width:.1f} mm wide near the patella (24-31 expected)"
    assert 19.0 <= bottom_width <= 26.0, f"patellar_ligament: {bottom_width:.1f} mm wide near the tibia (19-26 expected)"
    assert bottom_width < top_width, "patellar_ligament: does not narrow from the patella to the tibial tuberosity"
    for where, thickness in (("patella", top_thickness), ("tibia", bottom_thickness)):
        assert 4.0 <= thickness <= 7.0, f"patellar_ligament: {thickness:.1f} mm thick near the {where} (4-7 expected)"
    assert band.is_watertight, "patellar_ligament: mesh is not closed"
    ends = band.vertices[[np.argmin(band.vertices @ axis), np.argmax(band.vertices @ axis)]]
    for bone, end in zip(("patella", "tibia"), ends):
        assert mesh(bone).contains([end])[0], f"patellar_ligament: its end at {np.round(end, 1)} stops outside the {bone}"
    middle = np.asarray(band.section(plane_origin=top + 0.5 * course, plane_normal=axis).vertices)
    for bone in ("femur", "tibia"):
        gap = float(distance_to(bone, middle).min())
        assert gap >= 5.0, f"patellar_ligament: {gap:.1f} mm in front of the {bone} halfway down (room for the fat pad: 5 mm)"


MUSCLES = [sid for sid, entry in MODELLED.items() if entry["kind"] == "muscle"]
#: How deep (mm) a point of one muscle may lie inside another: neighbours touch, they do not pass through.
MUSCLE_OVERLAP_MM = 2.0
#: The two gastrocnemius heads meet at the lower angle of the popliteal fossa, below the popliteus, and
#: run on as one belly into the common aponeurosis; the model lets them merge below 9 cm under the joint
#: line (z = -90 mm, explorer.build.modelled.GASTROCNEMIUS_JOIN_Z). Above it they must stay apart.
GASTROCNEMIUS_JOIN_Z = -90.0
GASTROCNEMIUS_HEADS = {"gastrocnemius_medial_head", "gastrocnemius_lateral_head"}


@pytest.mark.parametrize("muscle, other", [(a, b) for a in MUSCLES for b in MUSCLES if a != b])
def test_muscles_do_not_pass_through_each_other(muscle, other):
    points = mesh(muscle).vertices
    if {muscle, other} == GASTROCNEMIUS_HEADS:
        points = points[points[:, 2] > GASTROCNEMIUS_JOIN_Z]
    inside = mesh(other).contains(points)
    if not inside.any():
        return
    depth = trimesh.proximity.signed_distance(mesh(other), points[inside])
    deepest = int(np.argmax(depth))
    assert depth[deepest] <= MUSCLE_OVERLAP_MM, (
        f"{muscle}: {int(inside.sum())} surface points inside the {other}, up to {depth[deepest]:.1f} mm deep "
        f"(limit {MUSCLE_OVERLAP_MM} mm) at {np.round(points[inside][deepest], 1)}"
    )
