"""Checked anatomy of the modelled soft tissues, on every geometry set present (the committed mskt
knee always; the spl knee once built), with each failure naming the set, the structure, the relation
and the measured number.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from anatomy_sets import SETS, MeshSet, cruciate_ends, over_sets
from explorer.build.contacts import MERGE_BELOW
from explorer.build.modelled import SIZE_SOURCES

BONES = ("femur", "tibia", "fibula", "patella")

#: Ligament ends: (bone, rule on the end point, what the rule means).
ATTACHMENT_RULES = {
    "anterior_cruciate_ligament": {
        "start": ("tibia", lambda p, L: p[1] > L["pcl_tibial"][1] + 15 and p[2] > -6, "front of the intercondylar area"),
        "end": ("femur", lambda p, L: p[0] > L["notch_centre"][0], "medial wall of the lateral condyle (lateral of the notch centre)"),
    },
    "posterior_cruciate_ligament": {
        "start": ("tibia", lambda p, L: p[1] < L["acl_tibial"][1] - 15 and p[2] < 0, "back of the tibia below the plateau"),
        "end": ("femur", lambda p, L: p[0] < L["notch_centre"][0], "lateral wall of the medial condyle (medial of the notch centre)"),
    },
    "medial_collateral_ligament": {
        "start": ("femur", lambda p, L: p[0] < -25 and p[2] > 10, "medial femoral epicondyle"),
        "end": ("tibia", lambda p, L: p[0] < -10 and p[2] < -40, "medial tibia well below the joint line"),
    },
    "lateral_collateral_ligament": {
        "start": ("femur", lambda p, L: p[0] > 25 and p[2] > 10, "lateral femoral epicondyle"),
        "end": ("fibula", lambda p, L: p[0] > L["fibular_head_apex"][0], "lateral side of the fibular head"),
    },
    "posterior_oblique_ligament": {
        "start": ("femur", lambda p, L: p[0] < -15 and p[2] > 10, "medial femur above the joint"),
        "end": ("tibia", lambda p, L: p[0] < -10 and p[1] < -5, "posteromedial tibia"),
    },
    "patellar_ligament": {
        "start": ("patella", lambda p, L: abs(p[2] - L["patella_apex"][2]) < 5, "apex of the patella"),
        "end": ("tibia", lambda p, L: p[1] > 20 and p[2] < -20, "tibial tuberosity, at the front"),
    },
    "oblique_popliteal_ligament": {
        "start": ("tibia", lambda p, L: p[0] < -10 and p[1] < -5, "posteromedial tibia (semimembranosus insertion)"),
        "end": ("femur", lambda p, L: p[0] > 5 and p[1] < -10, "back of the lateral femoral condyle"),
    },
    "iliotibial_band": {
        "end": ("tibia", lambda p, L: p[0] > 15 and p[1] > 10 and p[2] < -5, "Gerdy's tubercle, anterolateral tibia"),
    },
}


def attached_ligaments(g: MeshSet) -> list[str]:
    """The set's modelled ligaments, whose ends the build recorded."""
    return [sid for sid in g.of_kind("ligament") if any(key.endswith("_attachment") for key in g.modelled[sid])]


@pytest.mark.parametrize("g", over_sets())
def test_every_ligament_has_attachment_rules(g):
    assert set(attached_ligaments(g)) <= set(ATTACHMENT_RULES), f"{g}: ligaments without attachment rules"


@pytest.mark.parametrize("g, ligament", over_sets(attached_ligaments))
def test_ligament_ends_lie_on_the_right_bone_and_face(g, ligament):
    mesh, distance_to = g.mesh, g.distance_to
    for end, (bone, rule, meaning) in ATTACHMENT_RULES[ligament].items():
        recorded = g.modelled[ligament][f"{end}_attachment"]
        assert recorded["bone"] == bone, f"{g}: {ligament}: {end} attaches to {recorded['bone']}, expected {bone}"
        point = np.asarray(recorded["point_mm"])
        gap = float(distance_to(bone, point)[0])
        assert gap <= 2.0, f"{g}: {ligament}: {end} attachment is {gap:.2f} mm from the {bone} surface (limit 2 mm)"
        assert rule(point, g.landmarks), f"{g}: {ligament}: {end} attachment at {np.round(point, 1)} is not on the {meaning}"
        on_mesh = float(trimesh.proximity.closest_point(mesh(ligament), [point])[1][0])
        assert on_mesh <= 4.0, f"{g}: {ligament}: recorded {end} attachment is {on_mesh:.1f} mm from its own mesh"


@pytest.mark.parametrize("g, structure_id", over_sets(lambda g: g.of_kind("nerve", "vessel")))
def test_nerves_and_vessels_stay_outside_every_bone(g, structure_id):
    mesh = g.mesh
    surface = mesh(structure_id).vertices
    for bone in BONES:
        inside = mesh(bone).contains(surface)
        assert not inside.any(), (
            f"{g}: {structure_id}: {int(inside.sum())} surface points inside the {bone} "
            f"(closer to its centre line than its own radius), e.g. at {np.round(surface[inside][0], 1)}"
        )


@pytest.mark.parametrize("g", over_sets())
def test_popliteal_fossa_depth_order_at_the_joint_line(g):
    depth = {sid: g.slice_centre(sid, 0.0)[1] for sid in ("tibial_nerve", "popliteal_vein", "popliteal_artery")}
    assert depth["tibial_nerve"] < depth["popliteal_vein"] < depth["popliteal_artery"], (
        f"{g}: popliteal fossa at z=0: expected tibial nerve most posterior, then vein, then artery deepest; "
        f"y = {', '.join(f'{k} {v:.1f} mm' for k, v in depth.items())}"
    )


@pytest.mark.parametrize("g, z", over_sets(lambda g: [-100.0, -160.0]))
def test_tibial_nerve_runs_deep_to_the_calf_muscles(g, z):
    nerve = g.slice_centre("tibial_nerve", z)
    for muscle in ("soleus", "gastrocnemius_medial_head", "gastrocnemius_lateral_head"):
        front = float(g.outline(muscle, z)[:, 1].max())
        assert nerve[1] > front, f"{g}: tibial_nerve: at z={z:.0f} mm its centre (y {nerve[1]:.1f}) is not in front of the {muscle} (front y {front:.1f})"


@pytest.mark.parametrize("g", over_sets())
def test_common_fibular_nerve_is_lateral_and_close_to_the_fibular_neck(g):
    nerve = g.slice_centre("common_fibular_nerve", 20.0)
    tibial = g.slice_centre("tibial_nerve", 20.0)
    assert nerve[0] > tibial[0] + 5, f"{g}: common_fibular_nerve: x {nerve[0]:.1f} mm is not lateral of the tibial nerve ({tibial[0]:.1f})"
    neck = g.landmarks["fibular_neck"]
    line = g.centreline("common_fibular_nerve")
    near_neck = line[np.abs(line[:, 2] - neck[2]) < 8.0]
    assert len(near_neck), f"{g}: common_fibular_nerve: does not reach the level of the fibular neck"
    distance = float(g.distance_to("fibula", near_neck).min())
    assert distance <= 5.0, f"{g}: common_fibular_nerve: centre line {distance:.1f} mm from the fibular neck (on it expected)"


def _signed_distance(surface: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Distance from each point to the closed ``surface``, negative inside."""
    import pyvista as pv

    poly = pv.PolyData(surface.vertices, np.hstack([np.full((len(surface.faces), 1), 3), surface.faces]))
    return np.asarray(pv.PolyData(points).compute_implicit_distance(poly)["implicit_distance"])


@pytest.mark.parametrize("g", over_sets())
def test_bursa_lies_between_medial_gastrocnemius_and_semimembranosus(g):
    mesh, slice_centre = g.mesh, g.slice_centre
    bursa = mesh("semimembranosus_gastrocnemius_bursa")
    for neighbour in ("gastrocnemius_medial_head", "semimembranosus"):
        gap = float(trimesh.proximity.closest_point(mesh(neighbour), bursa.vertices)[1].min())
        assert gap <= 1.5, f"{g}: semimembranosus_gastrocnemius_bursa: {gap:.1f} mm from the {neighbour} (should touch it)"
    lattice = np.stack(np.meshgrid(*[np.arange(low, high, 0.5) for low, high in bursa.bounds.T], indexing="ij"), -1)
    inner = lattice.reshape(-1, 3)[_signed_distance(bursa, lattice.reshape(-1, 3)) < 0]
    for neighbour in ("gastrocnemius_medial_head", "semimembranosus"):
        share = float((_signed_distance(mesh(neighbour), inner) < 0).mean())
        assert share <= 0.05, f"{g}: semimembranosus_gastrocnemius_bursa: {share:.0%} of it lies inside the {neighbour}"
    opening = float(g.distance_to(("femur", "femoral_cartilage"), bursa.vertices).min())
    assert opening <= 1.5, (f"{g}: semimembranosus_gastrocnemius_bursa: {opening:.1f} mm from the femur and its cartilage "
                            "(should open onto the joint)")
    height = float(np.ptp(bursa.vertices[:, 2]))
    assert 15.0 <= height <= 35.0, f"{g}: semimembranosus_gastrocnemius_bursa: {height:.0f} mm tall (about 2 cm expected)"
    centre = bursa.centroid
    a = slice_centre("gastrocnemius_medial_head", centre[2])
    b = slice_centre("semimembranosus", centre[2])
    t = float(np.dot(centre - a, b - a) / np.dot(b - a, b - a))
    assert 0.15 < t < 0.85, f"{g}: semimembranosus_gastrocnemius_bursa: centre at {t:.2f} of the way from gastrocnemius to semimembranosus"
    assert centre[0] < 0, f"{g}: semimembranosus_gastrocnemius_bursa: x {centre[0]:.1f} mm is not on the medial side"


@pytest.mark.parametrize("g", over_sets())
def test_cruciates_and_collaterals_sides(g):
    mesh = g.mesh
    acl, pcl = mesh("anterior_cruciate_ligament").centroid, mesh("posterior_cruciate_ligament").centroid
    assert pcl[1] < acl[1], f"{g}: PCL centre y {pcl[1]:.1f} mm is not behind the ACL's ({acl[1]:.1f})"
    acl_ends, pcl_ends = cruciate_ends(g, "anterior_cruciate_ligament"), cruciate_ends(g, "posterior_cruciate_ligament")
    assert acl_ends[0][1] > pcl_ends[0][1] and acl_ends[1][1] < pcl_ends[1][1], (
        f"{g}: cruciates do not cross in side view: ACL runs from front (tibia) to back (femur), PCL the other way"
    )
    assert acl_ends[1][0] > pcl_ends[1][0], f"{g}: cruciates do not cross from the front: ACL femoral end should be lateral of the PCL's"
    mcl, lcl = mesh("medial_collateral_ligament").centroid, mesh("lateral_collateral_ligament").centroid
    assert mcl[0] < -20, f"{g}: MCL centre x {mcl[0]:.1f} mm is not medial"
    assert lcl[0] > 20, f"{g}: LCL centre x {lcl[0]:.1f} mm is not lateral"


@pytest.mark.parametrize("g, ligament, size", over_sets(lambda g: [
    (ligament, size) for ligament, size in (("anterior_cruciate_ligament", "acl_length"),
                                            ("posterior_cruciate_ligament", "pcl_length")) if ligament in g.modelled]))
def test_cruciate_lengths_within_published_ranges(g, ligament, size):
    (low, high), source = SIZE_SOURCES[size]
    tibial, femoral = cruciate_ends(g, ligament)
    length = float(np.linalg.norm(femoral - tibial))
    assert low <= length <= high, f"{g}: {ligament}: {length:.1f} mm between attachments, published {low}-{high} mm ({source})"


@pytest.mark.parametrize("g, structure_id, size", over_sets(lambda g: [
    (sid, size) for sid, size in (("tibial_nerve", "tibial_nerve"), ("common_fibular_nerve", "common_fibular_nerve"),
                                  ("sural_nerve", "sural_nerve"), ("popliteal_artery", "popliteal_artery"))
    if not g.modelled[sid].get("segmented")]))
def test_calibres_within_published_ranges(g, structure_id, size):
    (low, high), source = SIZE_SOURCES[size]
    line = g.centreline(structure_id)
    middle = len(line) // 2
    normal = line[middle + 1] - line[middle - 1]
    section = g.mesh(structure_id).section(plane_origin=line[middle], plane_normal=normal)
    unit = normal / np.linalg.norm(normal)
    area = max(abs(0.5 * np.dot(np.cross(loop[:-1], loop[1:]).sum(axis=0), unit)) for loop in section.discrete)
    diameter = 2 * np.sqrt(area / np.pi)
    assert low <= diameter <= high, f"{g}: {structure_id}: calibre {diameter:.2f} mm, published {low}-{high} mm ({source})"


@pytest.mark.parametrize("g", [pytest.param(g, id=g.name) for g in SETS if "patellar_ligament" in g.modelled])
def test_modelled_patellar_ligament_is_a_flat_band_from_the_patellar_apex_to_the_tibial_tuberosity(g):
    mesh, distance_to = g.mesh, g.distance_to
    top = np.asarray(g.modelled["patellar_ligament"]["start_attachment"]["point_mm"])
    bottom = np.asarray(g.modelled["patellar_ligament"]["end_attachment"]["point_mm"])
    course = bottom - top
    length = float(np.linalg.norm(course))
    axis = course / length
    assert axis[2] < -0.8 and axis[1] < 0, f"{g}: patellar_ligament: runs along {np.round(axis, 2)}, not down and back to the tibia"
    assert 40.0 <= length <= 60.0, f"{g}: patellar_ligament: {length:.1f} mm between attachments (40-60 expected)"
    across = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
    across /= np.linalg.norm(across)
    depth = np.cross(axis, across)
    band = mesh("patellar_ligament")

    def size_at(t: float) -> tuple[float, float]:
        points = np.asarray(band.section(plane_origin=top + t * course, plane_normal=axis).vertices) - top
        return float(np.ptp(points @ across)), float(np.ptp(points @ depth))

    (top_width, top_thickness), (bottom_width, bottom_thickness) = size_at(0.1), size_at(0.9)
    assert 24.0 <= top_width <= 31.0, f"{g}: patellar_ligament: {top_width:.1f} mm wide near the patella (24-31 expected)"
    assert 19.0 <= bottom_width <= 26.0, f"{g}: patellar_ligament: {bottom_width:.1f} mm wide near the tibia (19-26 expected)"
    assert bottom_width < top_width, "patellar_ligament: does not narrow from the patella to the tibial tuberosity"
    for where, thickness in (("patella", top_thickness), ("tibia", bottom_thickness)):
        assert 4.0 <= thickness <= 7.0, f"{g}: patellar_ligament: {thickness:.1f} mm thick near the {where} (4-7 expected)"
    assert band.is_watertight, "patellar_ligament: mesh is not closed"
    ends = band.vertices[[np.argmin(band.vertices @ axis), np.argmax(band.vertices @ axis)]]
    for bone, end in zip(("patella", "tibia"), ends):
        assert mesh(bone).contains([end])[0], f"{g}: patellar_ligament: its end at {np.round(end, 1)} stops outside the {bone}"
    middle = np.asarray(band.section(plane_origin=top + 0.5 * course, plane_normal=axis).vertices)
    for bone in ("femur", "tibia"):
        gap = float(distance_to(bone, middle).min())
        assert gap >= 5.0, f"{g}: patellar_ligament: {gap:.1f} mm in front of the {bone} halfway down (room for the fat pad: 5 mm)"


#: How deep (mm) a point of one muscle may lie inside another: neighbours touch, they do not pass through.
MUSCLE_OVERLAP_MM = 2.0


def muscles(g: MeshSet) -> list[str]:
    """Every muscle of the set: modelled, continued or segmented."""
    from explorer.build.spl import STRUCTURES

    segmented = [sid for sid, kind in STRUCTURES.values() if kind == "muscle"] if g.name == "spl" else []
    return list(dict.fromkeys(g.of_kind("muscle") + segmented))


def muscle_pairs(g: MeshSet) -> list[tuple[str, str]]:
    """Pairs of the set's muscles whose bounding boxes meet (the others cannot overlap), but for those that
    blend (the plantaris and the lateral gastrocnemius head, :data:`explorer.build.contacts.BLENDS`)."""
    from explorer.build.contacts import BLENDS

    names = muscles(g)
    boxes = {name: g.mesh(name).bounds for name in names}
    return [(a, b) for a in names for b in names
            if a != b and np.all(boxes[a][0] <= boxes[b][1]) and np.all(boxes[b][0] <= boxes[a][1])
            and frozenset((a, b)) not in BLENDS]


@pytest.mark.parametrize("g, muscle, other", over_sets(muscle_pairs))
def test_muscles_do_not_pass_through_each_other(g, muscle, other):
    points = g.mesh(muscle).vertices
    points = points[points[:, 2] > MERGE_BELOW.get(frozenset((muscle, other)), -np.inf)]  # the gastrocnemius belly
    g.assert_not_deeper_than(MUSCLE_OVERLAP_MM, muscle, points, other)


@pytest.mark.parametrize("g", over_sets())
def test_leg_shafts_stand_as_in_an_extended_knee(g):
    """Shaft angles against MRI and radiograph norms: a straight knee, 5-8 deg posterior tibial slope (a
    few degrees either side allowed for one person), a few degrees of valgus, the fibula beside the tibia."""
    from explorer.build.leg_axes import measure

    bones = {bone: g.mesh(bone) for bone in ("femur", "tibia", "fibula")}
    figures = measure(bones, float(g.mesh("medial_tibial_cartilage").vertices[:, 0].mean()))
    stated = ", ".join(f"{name} {value:.1f}" for name, value in figures.items())
    assert abs(figures["femorotibial_sagittal_angle_deg"]) <= 5.0, f"{g}: the knee looks flexed or hyperextended: {stated}"
    assert 2.0 <= figures["medial_posterior_tibial_slope_deg"] <= 11.0, f"{g}: posterior tibial slope off: {stated}"
    assert 3.0 <= figures["femorotibial_coronal_angle_deg"] <= 9.0, f"{g}: femorotibial valgus off: {stated}"
    assert figures["tibia_fibula_gap_at_200_mm"] >= 10.0, f"{g}: fibula converges on the tibia: {stated}"
    assert figures["fibula_behind_tibia_at_200_mm"] > 0 and figures["fibula_lateral_of_tibia_at_200_mm"] > 10.0, (
        f"{g}: fibula not behind and lateral of the tibia: {stated}")


@pytest.mark.parametrize("g, z", over_sets(lambda g: [-100.0, -150.0, -200.0]))
def test_deep_fibular_nerve_runs_on_the_interosseous_membrane(g, z):
    nerve = g.slice_centre("deep_fibular_nerve", z)
    middle, _, _ = g.membrane(z)
    off = float(np.linalg.norm(nerve[:2] - middle))
    assert off <= 6.0, f"{g}: deep_fibular_nerve: {off:.1f} mm from the interosseous membrane at z={z:.0f} mm (limit 6)"
    crest = float(g.outline("tibia", z)[:, 1].max())
    assert nerve[1] < crest - 5.0, (f"{g}: deep_fibular_nerve: at z={z:.0f} mm its centre (y {nerve[1]:.1f}) is not "
                                    f"behind the tibial crest (y {crest:.1f})")
