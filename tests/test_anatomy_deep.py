"""Checked anatomy of what lies deep at the back of the knee and calf, on every geometry set present: the
cruciate and popliteus courses, the calf muscles' sizes, the posterior capsule with its opening to the
bursa, the popliteal artery's division and the deep calf veins. Failures name the set, the structure,
the relation and the measured number.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from anatomy_sets import SETS, MeshSet, cruciate_ends, over_sets
from explorer.build.modelled import SIZE_SOURCES


def top_end(g: MeshSet, structure_id: str, depth: float = 4.0) -> np.ndarray:
    """Centre of the top ``depth`` mm of a structure's surface."""
    vertices = g.mesh(structure_id).vertices
    return vertices[vertices[:, 2] > vertices[:, 2].max() - depth].mean(axis=0)


def present(g: MeshSet, structure_id: str) -> bool:
    return (g.folder / f"{structure_id}.ply").is_file()


@pytest.mark.parametrize("g", [pytest.param(g, id=g.name) for g in SETS if "anterior_cruciate_ligament" in g.modelled])
def test_modelled_acl_rises_as_steeply_as_on_mri(g):
    (low, high), source = SIZE_SOURCES["acl_sagittal_angle"]
    tibial, femoral = cruciate_ends(g, "anterior_cruciate_ligament")
    rise = femoral - tibial
    angle = float(np.degrees(np.arctan2(rise[2], abs(rise[1]))))
    assert low <= angle <= high, f"{g}: anterior_cruciate_ligament: {angle:.1f} deg to the horizontal in side view ({source})"


@pytest.mark.parametrize("g", over_sets())
def test_popliteus_tendon_starts_below_and_not_behind_the_lcl_and_runs_deep_to_it(g):
    tendon = "popliteus_tendon" if present(g, "popliteus_tendon") else "popliteus"
    popliteus, lcl = top_end(g, tendon), top_end(g, "lateral_collateral_ligament")
    below = lcl[2] - popliteus[2]
    assert 8.0 <= below <= 30.0, f"{g}: {tendon}: femoral end {below:.1f} mm below the LCL's (8-30 expected; 18.5 apart in LaPrade 2003)"
    assert popliteus[1] >= lcl[1] - 4.0, (f"{g}: {tendon}: femoral end (y {popliteus[1]:.1f}) lies behind the LCL's "
                                          f"(y {lcl[1]:.1f}); it should be in front of or level with it")
    z = (popliteus[2] + g.mesh(tendon).vertices[:, 2].min()) / 2
    at = {sid: g.slice_centre(sid, z) for sid in (tendon, "lateral_collateral_ligament")}
    assert at[tendon][0] < at["lateral_collateral_ligament"][0], (
        f"{g}: {tendon}: at z={z:.0f} mm it is not deep (medial) to the LCL: x {at[tendon][0]:.1f} vs {at['lateral_collateral_ligament'][0]:.1f}")


#: Part of each calf muscle's published volume the scene must hold: the scene ends 24.5 cm below the
#: joint line, with about a third of the soleus below it; the gastrocnemius bellies end within it.
SCENE_SHARE = {"soleus": 0.75, "gastrocnemius_medial_head": 1.0, "gastrocnemius_lateral_head": 1.0}


@pytest.mark.parametrize("g, muscle", over_sets(lambda g: list(SCENE_SHARE)))
def test_calf_muscles_have_their_published_volumes(g, muscle):
    (low, high), source = SIZE_SOURCES[f"{muscle}_volume"]
    volume = g.mesh(muscle).volume / 1000.0
    share = SCENE_SHARE[muscle]
    assert low * share <= volume <= high, (f"{g}: {muscle}: {volume:.0f} cm3 in the scene, expected "
                                           f"{low * share:.0f}-{high:.0f} ({source})")


@pytest.mark.parametrize("g", over_sets())
def test_popliteal_artery_divides_below_the_popliteus_into_the_tibial_arteries(g):
    artery = g.mesh("popliteal_artery").vertices
    end = artery[artery[:, 2] < artery[:, 2].min() + 3.0].mean(axis=0)
    assert -80.0 <= end[2] <= -30.0, f"{g}: popliteal_artery: ends {end[2]:.0f} mm from the joint line (30-80 mm below expected)"
    popliteus_low = float(g.mesh("popliteus").vertices[:, 2].min())
    assert abs(end[2] - popliteus_low) <= 20.0, (f"{g}: popliteal_artery: divides at z={end[2]:.0f} mm, "
                                                 f"{end[2] - popliteus_low:+.0f} mm from the popliteus' lower border")
    for branch in ("anterior_tibial_artery", "posterior_tibial_artery"):
        start = top_end(g, branch, depth=2.0)
        gap = float(trimesh.proximity.closest_point(g.mesh("popliteal_artery"), [start])[1][0])
        assert gap <= 3.0, f"{g}: {branch}: starts {gap:.1f} mm from the popliteal artery"


@pytest.mark.parametrize("g, z", over_sets(lambda g: [-120.0, -180.0]))
def test_tibial_arteries_lie_in_front_of_and_behind_the_interosseous_membrane(g, z):
    middle, _, front = g.membrane(z)
    anterior = g.slice_centre("anterior_tibial_artery", z)[:2]
    ahead = float((anterior - middle) @ front)
    assert 0.5 <= ahead <= 8.0 and np.linalg.norm(anterior - middle) <= 10.0, (
        f"{g}: anterior_tibial_artery: at z={z:.0f} mm {ahead:.1f} mm in front of the interosseous membrane "
        f"and {np.linalg.norm(anterior - middle):.1f} mm from its middle (on its front expected)")
    posterior = g.slice_centre("posterior_tibial_artery", z)
    nerve = g.slice_centre("tibial_nerve", z)
    tibia_back = float(g.outline("tibia", z)[:, 1].min())
    assert posterior[1] < tibia_back, f"{g}: posterior_tibial_artery: at z={z:.0f} mm not behind the tibia"
    assert np.linalg.norm(posterior[:2] - nerve[:2]) <= 15.0, (
        f"{g}: posterior_tibial_artery: {np.linalg.norm(posterior[:2] - nerve[:2]):.1f} mm from the tibial nerve at z={z:.0f} mm")
    for muscle in ("soleus", "gastrocnemius_medial_head"):
        front_of_muscle = float(g.outline(muscle, z)[:, 1].max())
        assert posterior[1] > front_of_muscle, f"{g}: posterior_tibial_artery: at z={z:.0f} mm not deep to the {muscle}"


@pytest.mark.parametrize("g", over_sets())
def test_posterior_tibial_veins_are_a_pair_beside_their_artery_draining_into_the_popliteal_vein(g):
    z = -150.0
    section = g.mesh("posterior_tibial_veins").section(plane_origin=[0, 0, z], plane_normal=[0, 0, 1])
    loops = [np.asarray(loop)[:, :2].mean(axis=0) for loop in section.discrete]
    artery = g.slice_centre("posterior_tibial_artery", z)[:2]
    beside = [loop for loop in loops if np.linalg.norm(loop - artery) <= 8.0]
    assert len(beside) == 2, f"{g}: posterior_tibial_veins: {len(beside)} veins within 8 mm of the artery at z={z:.0f} mm (a pair expected)"
    top = top_end(g, "posterior_tibial_veins", depth=2.0)
    gap = float(trimesh.proximity.closest_point(g.mesh("popliteal_vein"), [top])[1][0])
    assert gap <= 3.0, f"{g}: posterior_tibial_veins: end {gap:.1f} mm from the popliteal vein"


@pytest.mark.parametrize("g", over_sets())
def test_fibular_veins_run_near_the_fibula_behind_the_membrane_into_the_posterior_tibial_veins(g):
    z = -180.0
    middle, _, front = g.membrane(z)
    veins = g.slice_centre("fibular_veins", z)[:2]
    assert float((veins - middle) @ front) < 0, f"{g}: fibular_veins: at z={z:.0f} mm in front of the interosseous membrane"
    to_fibula = float(g.distance_to("fibula", [[*veins, z]])[0])
    to_tibia = float(g.distance_to("tibia", [[*veins, z]])[0])
    assert to_fibula < to_tibia, f"{g}: fibular_veins: nearer the tibia ({to_tibia:.1f} mm) than the fibula ({to_fibula:.1f} mm)"
    top = top_end(g, "fibular_veins", depth=2.0)
    gap = float(trimesh.proximity.closest_point(g.mesh("posterior_tibial_veins"), [top])[1][0])
    assert gap <= 3.0, f"{g}: fibular_veins: end {gap:.1f} mm from the posterior tibial veins"


@pytest.mark.parametrize("g, veins, muscles, drain", over_sets(lambda g: [
    ("soleal_veins", ("soleus",), "posterior_tibial_veins"),
    ("gastrocnemius_veins", ("gastrocnemius_medial_head", "gastrocnemius_lateral_head"), "popliteal_vein")]))
def test_muscle_veins_lie_in_their_muscle_and_drain_into_a_deep_vein(g, veins, muscles, drain):
    vertices = g.mesh(veins).vertices
    inside = np.zeros(len(vertices), dtype=bool)
    for muscle in muscles:
        inside |= g.mesh(muscle).contains(vertices)
    assert inside.mean() >= 0.6, f"{g}: {veins}: {inside.mean():.0%} inside {' or '.join(muscles)} (60% expected)"
    outside = vertices[~inside]
    gap = float(trimesh.proximity.closest_point(g.mesh(drain), outside)[1].min())
    assert gap <= 3.0, f"{g}: {veins}: {gap:.1f} mm from the {drain} they drain into"


@pytest.mark.parametrize("g", over_sets())
def test_posterior_capsule_covers_the_back_of_the_joint_with_an_opening_to_the_bursa(g):
    capsule = g.mesh("posterior_joint_capsule")
    joint = trimesh.util.concatenate([g.mesh(sid) for sid in ("femur", "tibia", "medial_meniscus", "lateral_meniscus",
                                                              "femoral_cartilage")])
    distance = trimesh.proximity.closest_point(joint, capsule.vertices)[1]
    assert np.median(distance) <= 3.0, f"{g}: posterior_joint_capsule: median {np.median(distance):.1f} mm off the bones (on them expected)"
    width = float(np.ptp(capsule.vertices[:, 0]))
    assert width >= 60.0, f"{g}: posterior_joint_capsule: {width:.0f} mm across (both condyles expected)"
    assert capsule.vertices[:, 2].min() < -5.0 < 20.0 < capsule.vertices[:, 2].max(), (
        f"{g}: posterior_joint_capsule: spans z {capsule.vertices[:, 2].min():.0f} to {capsule.vertices[:, 2].max():.0f} mm "
        "(from below the joint line to above the condyles expected)")
    bursa = g.mesh("semimembranosus_gastrocnemius_bursa")
    neck = bursa.vertices[np.argmin(g.distance_to(("femur", "femoral_cartilage"), bursa.vertices))]
    clearance = float(trimesh.proximity.closest_point(capsule, [neck])[1][0])
    assert clearance >= 1.5, f"{g}: posterior_joint_capsule: {clearance:.1f} mm from where the bursa opens onto the joint (an opening expected)"
    inside = bursa.contains(capsule.vertices)
    assert not inside.any(), f"{g}: posterior_joint_capsule: {int(inside.sum())} points inside the bursa"
    gaps = {sid: float(trimesh.proximity.closest_point(capsule, [g.slice_centre(sid, 5.0)])[1][0])
            for sid in ("popliteal_artery", "popliteal_vein", "tibial_nerve")}
    stated = ", ".join(f"{sid} {gap:.1f} mm" for sid, gap in gaps.items())
    assert min(gaps, key=gaps.get) == "popliteal_artery" and gaps["popliteal_artery"] <= 10.0, (
        f"{g}: popliteal_artery: not the nearest of the bundle to the capsule at z=5 mm, lying on it: {stated}")


def turns_per_step(line: np.ndarray, step: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """How far (degrees) a centre line turns from each ``step`` mm of its course to the next, and where."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    along = np.arange(0.0, arc[-1], step)
    points = np.stack([np.interp(along, arc, line[:, axis]) for axis in range(3)], axis=1)
    steps = np.diff(points, axis=0)
    steps /= np.linalg.norm(steps, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip((steps[1:] * steps[:-1]).sum(axis=1), -1.0, 1.0))), points[1:-1]


@pytest.mark.parametrize("g", [pytest.param(g, id=g.name) for g in SETS
                               if not g.modelled["common_fibular_nerve"].get("segmented")])
def test_modelled_common_fibular_nerve_winds_round_the_neck_without_a_kink(g):
    turns, where = turns_per_step(g.centreline("common_fibular_nerve"))
    worst = int(np.argmax(turns))
    assert turns[worst] <= 30.0, (f"{g}: common_fibular_nerve: turns {turns[worst]:.0f} deg within 5 mm at "
                                  f"{np.round(where[worst], 1)} (30 at most: a nerve bends, it does not kink)")


@pytest.mark.parametrize("g, ligament", over_sets(lambda g: [
    sid for sid in ("posterior_oblique_ligament", "oblique_popliteal_ligament") if sid in g.modelled]))
def test_capsular_ligaments_lie_on_the_capsule_and_bones(g, ligament):
    surfaces = trimesh.util.concatenate([g.mesh(sid) for sid in (
        "posterior_joint_capsule", "femur", "tibia", "medial_meniscus", "lateral_meniscus", "femoral_cartilage",
        "medial_tibial_cartilage", "lateral_tibial_cartilage")])
    line = g.centreline(ligament)
    off = trimesh.proximity.closest_point(surfaces, line)[1]
    worst = int(np.argmax(off))
    assert off[worst] <= 2.5, (f"{g}: {ligament}: centre line {off[worst]:.1f} mm off the capsule and bones at "
                               f"{np.round(line[worst], 1)} (a capsular ligament lies on them: 2.5 mm at most)")


@pytest.mark.parametrize("g", over_sets())
def test_superficial_mcl_lies_on_bone_over_at_least_half_its_length(g):
    mcl = g.mesh("medial_collateral_ligament").vertices
    bone = np.minimum(g.distance_to("femur", mcl), g.distance_to("tibia", mcl))
    levels = np.floor((mcl[:, 2] - mcl[:, 2].min()) / 2.0).astype(int)
    on_bone = np.mean([bone[levels == level].min() <= 2.0 for level in np.unique(levels)])
    assert on_bone >= 0.5, f"{g}: medial_collateral_ligament: within 2 mm of bone over {on_bone:.0%} of its length"
    assert mcl[:, 0].mean() < -20.0, f"{g}: medial_collateral_ligament: not on the medial side"


@pytest.mark.parametrize("g", over_sets())
def test_biceps_femoris_is_fleshy_in_the_thigh(g):
    (low, high), source = SIZE_SOURCES["biceps_femoris_area"]
    section = g.mesh("biceps_femoris").section(plane_origin=[0, 0, 200.0], plane_normal=[0, 0, 1])
    area = max(abs(0.5 * (loop[:-1, 0] * loop[1:, 1] - loop[1:, 0] * loop[:-1, 1]).sum()) for loop in section.discrete) / 100.0
    assert low <= area <= high, f"{g}: biceps_femoris: {area:.1f} cm2 across at z=200 mm, expected {low}-{high} ({source})"


#: Muscles arise from and insert into bone, so their ends may reach a little into it; deeper is a muscle
#: passing through a bone or the joint.
MUSCLE_INTO_JOINT_MM = 4.0
JOINT = ("femur", "tibia", "fibula", "patella", "femoral_cartilage", "medial_tibial_cartilage",
         "lateral_tibial_cartilage", "medial_meniscus", "lateral_meniscus")


@pytest.mark.parametrize("g, muscle", over_sets(lambda g: g.of_kind("muscle")))
def test_muscles_stay_out_of_the_bones_and_the_joint(g, muscle):
    points = g.mesh(muscle).vertices
    for solid in JOINT:
        g.assert_not_deeper_than(MUSCLE_INTO_JOINT_MM, muscle, points, solid)
