"""No two structures pass through each other, on every geometry set present: a point of one may lie at
most 1 mm inside another, except where anatomy puts one into the other (a branch or a vein joining
another, veins in their muscle, a tendon in its belly, a muscle arising from the capsule, an attachment
to bone, a pathology variant; :func:`explorer.build.contacts.reason_to_overlap` names each).

Failures name the set, both structures, how deep and where.
"""

from __future__ import annotations

import pytest

from anatomy_sets import MeshSet, over_sets
from explorer.atlas import load_atlas
from explorer.build.contacts import Part, overlaps, reason_to_overlap


def parts_of(g: MeshSet) -> dict[str, Part]:
    atlas = load_atlas(meshes=False, geometry=g.name)
    return {s.id: Part(s.id, s.group, s.parent, s.pathology) for s in atlas.structures.values() if s.mesh_file}


@pytest.mark.parametrize("g", over_sets())
def test_no_two_structures_run_into_each_other_without_a_reason(g):
    parts = parts_of(g)
    found = overlaps({structure_id: g.mesh(structure_id) for structure_id in parts},
                     lambda a, b: reason_to_overlap(parts[a], parts[b]) is not None)
    assert not found, f"{g}: {len(found)} overlaps without a reason: " + "; ".join(o.line() for o in found)
