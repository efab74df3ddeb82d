"""No two structures pass through each other, on every geometry set present: a point of one may lie at
most 1 mm inside another, except where anatomy puts one into the other (a branch or a vein joining
another, veins in their muscle, a tendon in its belly, a muscle arising from the capsule, an attachment
to bone, a pathology variant; :func:`explorer.build.contacts.reason_to_overlap` names each).

The overlaps the build does not resolve yet are listed in :data:`NOT_YET_RESOLVED` with the depth
measured when they were listed: each is a defect of the modelled geometry, not an exception. A pair not
in the list, or one running deeper than listed, fails; so does a listed pair that no longer overlaps
(take it off the list). Failures name the set, both structures, how deep and where.
"""

from __future__ import annotations

import pytest

from anatomy_sets import MeshSet, over_sets
from explorer.atlas import load_atlas
from explorer.build.contacts import Part, overlaps, reason_to_overlap

#: (set, structure, structure it runs into): deepest point (mm), measured on 2026-12-04. Most are in the
#: crowded lower popliteal fossa (popliteal vessels, tibial nerve, popliteus, plantaris, top of the
#: soleus), where the swept models do not yet all keep clear of each other; in the spl set the
#: modelled iliotibial band runs inside the continued vastus lateralis in the upper thigh.
NOT_YET_RESOLVED: dict[tuple[str, str, str], float] = {
    ("mskt", "tibial_nerve", "soleus"): 4.1,
    ("mskt", "plantaris", "popliteal_vein"): 3.7,
    ("mskt", "popliteal_artery", "soleus"): 3.6,
    ("mskt", "popliteal_vein", "plantaris"): 3.3,
    ("mskt", "tibial_nerve", "popliteus"): 3.1,
    ("mskt", "tibial_nerve", "gastrocnemius_medial_head"): 3.1,
    ("mskt", "small_saphenous_vein", "tibial_nerve"): 2.6,
    ("mskt", "popliteus", "tibial_nerve"): 2.2,
    ("mskt", "soleus", "popliteal_artery"): 2.2,
    ("mskt", "popliteal_vein", "popliteus"): 2.2,
    ("mskt", "popliteal_vein", "tibial_nerve"): 2.2,
    ("mskt", "popliteal_artery", "tibial_nerve"): 2.1,
    ("mskt", "popliteus", "popliteal_vein"): 2.1,
    ("mskt", "semimembranosus_gastrocnemius_bursa", "semitendinosus"): 2.0,
    ("mskt", "lateral_collateral_ligament", "popliteus"): 1.9,
    ("mskt", "gastrocnemius_medial_head", "tibial_nerve"): 1.9,
    ("mskt", "tibial_nerve", "popliteal_vein"): 1.9,
    ("mskt", "popliteus", "lateral_collateral_ligament"): 1.8,
    ("mskt", "popliteus", "popliteal_artery"): 1.6,
    ("mskt", "soleal_veins", "posterior_tibial_artery"): 1.6,
    ("mskt", "semitendinosus", "semimembranosus_gastrocnemius_bursa"): 1.6,
    ("mskt", "posterior_tibial_artery", "soleal_veins"): 1.4,
    ("mskt", "gastrocnemius_lateral_head", "common_fibular_nerve"): 1.3,
    ("mskt", "common_fibular_nerve", "gastrocnemius_lateral_head"): 1.3,
    ("mskt", "popliteal_artery", "popliteus"): 1.2,
    ("mskt", "posterior_joint_capsule", "popliteal_artery"): 1.2,
    ("mskt", "posterior_tibial_veins", "soleus"): 1.1,
    ("mskt", "medial_collateral_ligament", "semitendinosus"): 1.1,
    ("mskt", "posterior_joint_capsule", "anterior_cruciate_ligament"): 1.0,
    ("mskt", "semimembranosus_gastrocnemius_bursa", "femoral_cartilage"): 1.0,
    ("spl", "iliotibial_band", "vastus_lateralis"): 14.3,
    ("spl", "popliteal_vein", "popliteus"): 5.0,
    ("spl", "tibial_nerve_muscular_branches", "plantaris"): 3.6,
    ("spl", "medial_sural_cutaneous_nerve", "plantaris"): 3.6,
    ("spl", "tibial_nerve", "soleus"): 3.5,
    ("spl", "tibial_nerve", "plantaris"): 3.2,
    ("spl", "popliteal_vein", "plantaris"): 2.8,
    ("spl", "popliteal_artery", "popliteal_vein"): 2.7,
    ("spl", "common_fibular_nerve", "fibularis_longus"): 2.4,
    ("spl", "gastrocnemius_veins", "popliteal_artery"): 2.4,
    ("spl", "common_fibular_nerve", "extensor_digitorum_longus"): 2.4,
    ("spl", "plantaris", "popliteal_vein"): 2.3,
    ("spl", "soleus_tendon", "popliteal_vein"): 2.2,
    ("spl", "oblique_popliteal_ligament", "posterior_cruciate_ligament"): 2.1,
    ("spl", "soleus_tendon", "popliteal_artery"): 2.0,
    ("spl", "popliteal_vein", "popliteal_artery"): 1.9,
    ("spl", "plantaris", "tibial_nerve"): 1.9,
    ("spl", "soleal_veins", "posterior_tibial_artery"): 1.8,
    ("spl", "posterior_joint_capsule", "lateral_collateral_ligament"): 1.7,
    ("spl", "soleus", "gastrocnemius_lateral_head"): 1.6,
    ("spl", "small_saphenous_vein", "gastrocnemius_medial_head"): 1.5,
    ("spl", "soleus", "gastrocnemius_medial_head"): 1.5,
    ("spl", "adductor_magnus_tendon", "vastus_medialis"): 1.4,
    ("spl", "soleal_veins", "tibial_nerve"): 1.4,
    ("spl", "posterior_oblique_ligament", "gracilis_tendon"): 1.4,
    ("spl", "posterior_tibial_artery", "soleal_veins"): 1.3,
    ("spl", "popliteal_artery", "gastrocnemius_veins"): 1.2,
    ("spl", "semitendinosus_tendon", "semimembranosus"): 1.2,
    ("spl", "posterior_oblique_ligament", "semimembranosus"): 1.2,
    ("spl", "tibial_nerve", "popliteal_vein"): 1.2,
    ("spl", "semimembranosus", "gracilis"): 1.2,
    ("spl", "gastrocnemius_medial_head", "gastrocnemius_lateral_head"): 1.2,
    ("spl", "semimembranosus_gastrocnemius_bursa", "femoral_cartilage"): 1.1,
    ("spl", "adductor_magnus_tendon", "gracilis"): 1.1,
    ("spl", "small_saphenous_vein", "gastrocnemius_lateral_head"): 1.1,
    ("spl", "tibial_nerve", "gastrocnemius_veins"): 1.1,
    ("spl", "vastus_lateralis", "iliotibial_band"): 1.1,
    ("spl", "tibial_nerve", "gastrocnemius_medial_head"): 1.0,
    ("spl", "posterior_joint_capsule", "semimembranosus"): 1.0,
}
#: How much deeper than listed a known overlap may run before it fails (the build's own noise).
SLACK_MM = 0.3


def parts_of(g: MeshSet) -> dict[str, Part]:
    atlas = load_atlas(meshes=False, geometry=g.name)
    return {s.id: Part(s.id, s.group, s.parent, s.pathology) for s in atlas.structures.values() if s.mesh_file}


@pytest.mark.parametrize("g", over_sets())
def test_no_two_structures_run_into_each_other_without_a_reason(g):
    parts = parts_of(g)
    found = overlaps({structure_id: g.mesh(structure_id) for structure_id in parts},
                     lambda a, b: reason_to_overlap(parts[a], parts[b]) is not None)
    listed = {(inner, outer): depth for (name, inner, outer), depth in NOT_YET_RESOLVED.items() if name == g.name}
    new = [o.line() for o in found if listed.get((o.inner, o.outer), -1.0) + SLACK_MM < o.depth_mm]
    assert not new, f"{g}: {len(new)} overlaps without a reason: " + "; ".join(new)
    gone = sorted(set(listed) - {(o.inner, o.outer) for o in found})
    assert not gone, f"{g}: no longer overlapping, take off NOT_YET_RESOLVED: " + ", ".join(" in ".join(p) for p in gone)
