"""Shaft axes and the angles an anatomist checks first on a knee continued by whole leg bones.

All in the atlas frame (+x lateral, +y anterior, +z superior, mm, origin on the joint line).
"""

from __future__ import annotations

import numpy as np
import trimesh

#: Heights (mm) over which each shaft's axis is fitted through its cross-section centres.
SHAFT_SPANS = {"femur": (80.0, 220.0), "tibia": (-220.0, -80.0), "fibula": (-220.0, -80.0)}
GAP_HEIGHT_MM = -200.0


def section_centre(mesh: trimesh.Trimesh, z: float) -> np.ndarray:
    """Centre of the outline of ``mesh`` cut by the horizontal plane at height ``z``."""
    section = mesh.section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0])
    if section is None:
        raise ValueError(f"the mesh does not reach z={z:.0f} mm")
    return np.asarray(section.vertices).mean(axis=0)


def shaft_axis(mesh: trimesh.Trimesh, span: tuple[float, float], step_mm: float = 10.0) -> np.ndarray:
    """Unit direction (pointing superior) of the line fitted through cross-section centres over ``span``.

    Examples
    --------
    >>> rod = trimesh.creation.cylinder(radius=5.0, height=400.0)
    >>> bool(np.allclose(shaft_axis(rod, (-100.0, 100.0)), [0.0, 0.0, 1.0], atol=1e-3))
    True
    """
    centres = np.array([section_centre(mesh, z) for z in np.arange(span[0], span[1] + 0.1, step_mm)])
    centred = centres - centres.mean(axis=0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    return direction if direction[2] > 0 else -direction


def sagittal_tilt(direction: np.ndarray) -> float:
    """Degrees the axis leans forward (+) going up, seen from the side."""
    return float(np.degrees(np.arctan2(direction[1], direction[2])))


def coronal_tilt(direction: np.ndarray) -> float:
    """Degrees the axis leans laterally (+) going up, seen from the front."""
    return float(np.degrees(np.arctan2(direction[0], direction[2])))


def posterior_tibial_slope(tibia: trimesh.Trimesh, plateau_x: float, tibial_axis: np.ndarray) -> float:
    """Posterior slope (deg) of the plateau in the sagittal plane ``x = plateau_x``, against the
    perpendicular to the tibial shaft: the line through the highest points of its anterior and
    posterior halves (positive when the plateau falls toward the back)."""
    vertices = tibia.vertices
    near = vertices[(np.abs(vertices[:, 0] - plateau_x) < 3.0) & (vertices[:, 2] > -15.0)]
    middle = np.median(near[:, 1])
    front, back = near[near[:, 1] > middle], near[near[:, 1] <= middle]
    anterior, posterior = front[np.argmax(front[:, 2])], back[np.argmax(back[:, 2])]
    raw = np.degrees(np.arctan2(anterior[2] - posterior[2], anterior[1] - posterior[1]))
    return float(raw + sagittal_tilt(tibial_axis))


def nearest_outline_points(first: trimesh.Trimesh, second: trimesh.Trimesh, z: float) -> tuple[np.ndarray, np.ndarray]:
    """The closest pair of points of the outlines of two meshes cut at height ``z``, one on each."""
    outlines = []
    for mesh in (first, second):
        section = mesh.section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0])
        if section is None:
            raise ValueError(f"a mesh does not reach z={z:.0f} mm")
        outlines.append(np.asarray(section.vertices))
    gaps = np.linalg.norm(outlines[0][:, None, :2] - outlines[1][None, :, :2], axis=2)
    i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
    return outlines[0][i], outlines[1][j]


def section_gap(first: trimesh.Trimesh, second: trimesh.Trimesh, z: float) -> float:
    """Smallest distance (mm) between the outlines of two meshes cut at height ``z``."""
    near, far = nearest_outline_points(first, second, z)
    return float(np.linalg.norm((far - near)[:2]))


def measure(bones: dict[str, trimesh.Trimesh], medial_plateau_x: float) -> dict[str, float]:
    """The figures stated for a built knee: shaft tilts and angles (deg), tibial slope (deg),
    and the tibia-fibula gap and the fibula's place behind the tibia at 20 cm below the joint (mm)."""
    axes = {bone: shaft_axis(bones[bone], span) for bone, span in SHAFT_SPANS.items()}
    tibia_centre = section_centre(bones["tibia"], GAP_HEIGHT_MM)
    fibula_centre = section_centre(bones["fibula"], GAP_HEIGHT_MM)
    return {
        "femur_sagittal_tilt_deg": sagittal_tilt(axes["femur"]),
        "tibia_sagittal_tilt_deg": sagittal_tilt(axes["tibia"]),
        "femorotibial_sagittal_angle_deg": sagittal_tilt(axes["femur"]) - sagittal_tilt(axes["tibia"]),
        "femorotibial_coronal_angle_deg": coronal_tilt(axes["femur"]) - coronal_tilt(axes["tibia"]),
        "medial_posterior_tibial_slope_deg": posterior_tibial_slope(bones["tibia"], medial_plateau_x, axes["tibia"]),
        "tibia_fibula_gap_at_200_mm": section_gap(bones["tibia"], bones["fibula"], GAP_HEIGHT_MM),
        "fibula_behind_tibia_at_200_mm": float(tibia_centre[1] - fibula_centre[1]),
        "fibula_lateral_of_tibia_at_200_mm": float(fibula_centre[0] - tibia_centre[0]),
    }


def stated(built: dict[str, trimesh.Trimesh]) -> dict[str, float]:
    """:func:`measure` on a built set (bones and the medial tibial cartilage), rounded, with what each
    figure is, for ``frame.toml``."""
    plateau_x = float(built["medial_tibial_cartilage"].vertices[:, 0].mean())
    figures = {name: round(value, 1) for name, value in measure(built, plateau_x).items()}
    figures["method"] = ("shaft axes fitted through cross-section centres every 10 mm (femur 80-220 mm above, tibia and "
                         "fibula 80-220 mm below the joint line); tibial slope in the sagittal plane through the medial "
                         "tibial cartilage, against the perpendicular to the tibial shaft; gap and offsets at 200 mm "
                         "below the joint line")
    return figures
