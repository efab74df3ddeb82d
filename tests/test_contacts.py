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

#: (set, structure, structure it runs into): deepest point (mm), measured on 2026-12-04 after the build's
#: settle step (:mod:`explorer.build.settle`). It is squeezed: 3 mm above the slab's lower edge the
#: plantaris tendon crosses behind the tibial nerve where both lie against the soleus, and moving it out
#: of the nerve runs it into the soleus as far.
NOT_YET_RESOLVED: dict[tuple[str, str, str], float] = {
    ("spl", "plantaris", "tibial_nerve"): 1.2,
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
