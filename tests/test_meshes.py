"""The committed meshes: closed, in the shared frame, extended beyond the MRI crop without a seam."""

import numpy as np
import pytest
import trimesh
from scipy.spatial import ConvexHull

from explorer.atlas import default_root

DEFAULT_SCENE_TRIANGLE_LIMIT = 300_000
MESH_IDS = sorted(path.stem for path in (default_root() / "meshes").glob("*.ply"))
#: The skin is open where it is cut; tests/test_skin.py checks its rims and the way its normals face.
CLOSED_IDS = [mesh_id for mesh_id in MESH_IDS if mesh_id != "skin"]


def _trimesh(structure) -> trimesh.Trimesh:
    return trimesh.Trimesh(np.asarray(structure.mesh.points, dtype=float), structure.mesh.regular_faces, process=False)


@pytest.mark.parametrize("structure_id", CLOSED_IDS)
def test_mesh_is_closed_with_outward_normals(atlas, structure_id):
    mesh = _trimesh(atlas[structure_id])
    assert mesh.is_watertight, f"{structure_id}: not watertight"
    assert mesh.is_winding_consistent, f"{structure_id}: inconsistent winding"
    assert mesh.volume > 0, f"{structure_id}: normals point inwards (volume {mesh.volume:.1f} mm3)"


def test_default_scene_triangle_budget(atlas):
    shown = sum(s.mesh.n_cells for s in atlas.structures.values() if s.mesh is not None and not s.pathology)
    assert shown < DEFAULT_SCENE_TRIANGLE_LIMIT, f"default scene has {shown} triangles"


@pytest.mark.parametrize("bone, reach", [("femur", 200.0), ("tibia", -200.0), ("fibula", -200.0)])
def test_long_bones_reach_20_cm_from_the_joint_line_as_one_piece(atlas, bone, reach):
    mesh = _trimesh(atlas[bone])
    far_end = mesh.bounds[1][2] if reach > 0 else mesh.bounds[0][2]
    assert abs(far_end) >= abs(reach), f"{bone}: reaches {far_end:.0f} mm, needs {reach:.0f} mm"
    assert len(mesh.split(only_watertight=False)) == 1, f"{bone}: more than one piece (a gap or a doubled surface)"


@pytest.mark.parametrize("bone, band", [("femur", (40.0, 130.0)), ("tibia", (-130.0, -25.0)), ("fibula", (-130.0, -45.0))])
def test_no_ledge_where_the_mri_bone_meets_the_whole_bone(atlas, bone, band):
    """Across the seam the cross-section changes gradually: under 20% per 2 mm of height."""
    mesh = atlas[bone].mesh
    heights = np.arange(band[0], band[1] + 1.0, 2.0)
    areas = np.array([ConvexHull(mesh.slice(normal="z", origin=(0, 0, z)).points[:, :2]).volume for z in heights])
    change = np.abs(np.diff(areas)) / areas[:-1]
    worst = int(np.argmax(change))
    assert change[worst] < 0.2, f"{bone}: cross-section jumps {change[worst]:.0%} at z={heights[worst]:.0f} mm"


def test_frame_axes_point_where_documented(atlas):
    centre = {sid: np.asarray(atlas[sid].mesh.center) for sid in ("femur", "tibia", "fibula", "patella")}
    assert centre["fibula"][0] > centre["tibia"][0] + 15, "fibula should be lateral (+x) of the tibia"
    assert centre["patella"][1] > centre["femur"][1], "patella should be anterior (+y)"
    assert centre["femur"][2] > 0 > centre["tibia"][2], "femur above, tibia below the joint line"
    medial = np.asarray(atlas["medial_meniscus"].mesh.center)
    lateral = np.asarray(atlas["lateral_meniscus"].mesh.center)
    assert lateral[0] > medial[0], "lateral meniscus should be at +x"
    for sid in ("medial_meniscus", "lateral_meniscus"):
        assert abs(atlas[sid].mesh.center[2]) < 10, f"{sid} should lie on the joint line (z = 0)"
