"""Continue a segmented structure beyond the slab it was segmented in, with its modelled course.

A nerve, vessel or muscle that the atlas's slab cuts ends in a flat face at the slab's edge. The
structure modelled for the same id on the same bones goes on; near the cut it is moved and
reshaped onto the segmented end (same centre, area and second moments of its cross-section, then
stretched at every angle round the centre to the segmented outline), the correction fading out along
the model's course. The segmented part is cut at the join and the model, tapering, runs on a few
millimetres inside it, so that the two outlines meet edge to edge: no step, no gap, no rim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import trimesh
from scipy.spatial import cKDTree

#: Height (mm) inside the slab where the segmented part is cut and the model takes over.
INSET_MM = 3.0
#: Length (mm) of course over which the model's correction fades out.
FADE_MM = 40.0
#: How far (mm) the model runs on inside the segmented part, and how much it has shrunk at its end there.
TUCK_MM, TUCK_SCALE = 5.0, 0.6
#: How far (mm) a reshaped model is kept outside the bones.
CLEARANCE_MM = 0.3
#: A structure reaching within this distance (mm) of the slab's edge is cut by it.
CUT_TOLERANCE_MM = 2.0
#: Angular bins of the outlines matched at a join.
ANGLES = 180
#: Height (mm) either side of a join over which the model's outline is fitted to the segmented one.
FIT_MM = 8.0


@dataclass(frozen=True)
class Join:
    """One end where a model continues a segmented structure: the height of the join, the offset
    the model was moved by there (mm), the largest change of cross-section area across it, and
    whether the outlines were matched edge to edge (else, where the segmented outline is not one
    part seen whole from its centre, the segmented end is kept and the model runs on inside it)."""

    height: float
    offset_mm: float
    area_change: float
    outline_matched: bool = True


def cut_ends(mesh: trimesh.Trimesh, slab: tuple[float, float]) -> list[int]:
    """Which ends of ``mesh`` the slab ``(bottom, top)`` cuts: +1 for the top, -1 for the bottom."""
    low, high = mesh.bounds[:, 2]
    return [end for end, cut in ((1, high > slab[1] - CUT_TOLERANCE_MM), (-1, low < slab[0] + CUT_TOLERANCE_MM)) if cut]


def section_shape(mesh: trimesh.Trimesh, z: float):
    """The cross-section of ``mesh`` at height ``z`` as one shapely shape (overlapping closed parts count
    once), or None where the mesh does not reach ``z``.

    Examples
    --------
    >>> round(section_shape(trimesh.creation.box([20.0, 10.0, 30.0]), 0.0).area)
    200
    """
    section = mesh.section(plane_origin=[0.0, 0.0, z], plane_normal=[0.0, 0.0, 1.0])
    if section is None:
        return None
    loops = [shapely.Polygon(loop[:, :2]).buffer(0) for loop in section.discrete if len(loop) >= 4]
    shape = shapely.unary_union([loop for loop in loops if loop.area > 0])
    return None if shape.is_empty else shape


def section_moments(mesh: trimesh.Trimesh, z: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Centre (x, y), 2x2 second-moment matrix of the outline and area of the cross-section of ``mesh``
    at height ``z`` (overlapping closed parts count once), or None where the mesh does not reach ``z``.

    Examples
    --------
    >>> box = trimesh.creation.box([20.0, 10.0, 30.0])
    >>> centre, moments, area = section_moments(box, 0.0)
    >>> round(area), bool(moments[0, 0] > moments[1, 1])
    (200, True)
    """
    shape = section_shape(mesh, z)
    if shape is None:
        return None
    parts = list(getattr(shape, "geoms", [shape]))
    outline = np.vstack([shapely.get_coordinates(shapely.line_interpolate_point(
        part.exterior, np.linspace(0.0, 1.0, 100, endpoint=False), normalized=True)) for part in parts])
    centre = np.asarray(shape.centroid.coords)[0]
    offsets = outline - centre
    return centre, offsets.T @ offsets / len(offsets), float(shape.area)


def _sqrt_2x2(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return vectors @ np.diag(np.sqrt(np.maximum(values, 1e-9))) @ vectors.T


def continue_structure(real: trimesh.Trimesh, model: trimesh.Trimesh, model_line: np.ndarray,
                       slab: tuple[float, float], solids: list[trimesh.Trimesh] = ()
                       ) -> tuple[trimesh.Trimesh, dict[int, np.ndarray], list[Join], np.ndarray]:
    """The segmented mesh ``real`` with the parts of ``model`` beyond each cut end joined on.

    ``model_line`` is the model's centre line. Returns the joined mesh (the segmented part and one
    closed piece per continued end), the model's centre line beyond each continued end (as moved,
    running from top to bottom) keyed by the end (+1 top, -1 bottom), and one :class:`Join` per
    continued end, and how far a later step may move each vertex of the joined mesh (0 to 1: the model's
    pieces fully, the segmented part near a join as :func:`_fitted_weights` says, elsewhere not at all).
    An end the model does not reach is left as it is. The reshaped model is kept
    :data:`CLEARANCE_MM` outside every one of ``solids`` (the bones).
    """
    joins = []
    lines = {}
    pieces = []
    dense = _densify(model_line if model_line[0, 2] >= model_line[-1, 2] else model_line[::-1], 0.5)
    for end in cut_ends(real, slab):
        height = (slab[1] if end > 0 else slab[0]) - end * INSET_MM
        here, there = section_moments(real, height), section_moments(model, height)
        if here is None or there is None:
            continue
        beyond = _clip_closed(model, height - end * TUCK_MM, end)
        if beyond is None:
            continue
        shape = _sqrt_2x2(here[1]) @ np.linalg.inv(_sqrt_2x2(there[1]))
        shape *= np.sqrt(here[2] / (abs(np.linalg.det(shape)) * there[2]))  # and the same area
        shift = here[0] - there[0]
        axis = dense[np.argmin(np.abs(dense[:, 2] - height)), :2]
        stretch = _outline_stretch(real, model, height, axis + shift, axis, shape)
        piece = beyond.copy()
        matched = stretch is not None
        stretch = stretch if matched else np.ones(ANGLES)
        moved = _reshape(piece.vertices, dense, height, end, shift, shape, stretch)
        if matched:
            moved = _fit_outline(moved, piece, real, height, here[0])
        tucked = end * (moved[:, 2] - height) < 0.0  # the part running on inside the segmented end stays inside it
        moved[tucked] = _pull_in(moved[tucked], real)
        piece.vertices = push_out(moved, solids)
        line = dense[end * (dense[:, 2] - height) > 0]
        lines[end] = _reshape(line, dense, height, end, shift, shape, stretch)
        pieces.append(piece)
        joins.append((height, float(np.linalg.norm(shift)), end, matched))
    for height, _, end, matched in joins:
        if matched:
            real = _clip_closed(real, height, -end)
            real.vertices = push_out(real.vertices, solids)  # the cut's new rim as clear of the bones as the rest
    joined = trimesh.util.concatenate([real, *pieces])
    real_weights = np.max([np.zeros(len(real.vertices))] + [_fitted_weights(real.vertices[:, 2], height, end)
                                                            for height, _, end, matched in joins if matched], axis=0)
    weights = np.concatenate([real_weights] + [np.ones(len(piece.vertices)) for piece in pieces])
    return joined, lines, [Join(height, moved, _area_change(joined, height, end), matched)
                           for height, moved, end, matched in joins], weights


def _fitted_weights(heights: np.ndarray, join: float, end: int) -> np.ndarray:
    """How far a later step may move the vertices of the segmented part: fully at the join, where the model
    meets it edge to edge (both move alike, so the join stays closed), fading out over :data:`FIT_MM`, where
    the model was fitted to its outline.

    Examples
    --------
    >>> _fitted_weights(np.array([-38.0, -34.0, -20.0]), -38.0, -1).round(2).tolist()
    [1.0, 0.5, 0.0]
    """
    inside = np.clip(-end * (heights - join), 0.0, FIT_MM)
    return 0.5 * (1.0 + np.cos(np.pi * inside / FIT_MM))


def _pull_in(points: np.ndarray, solid: trimesh.Trimesh, margin: float = CLEARANCE_MM) -> np.ndarray:
    """``points`` with those outside (or within ``margin`` of the surface of) a closed solid moved onto its
    surface and ``margin`` inside it.

    Examples
    --------
    >>> ball = trimesh.creation.icosphere(radius=10.0)
    >>> moved = _pull_in(np.array([[0.0, 0.0, 12.0], [0.0, 0.0, 5.0]]), ball, margin=0.5)
    >>> np.round(np.linalg.norm(moved, axis=1), 1).tolist()
    [9.5, 5.0]
    """
    points = np.array(points, dtype=float)
    if len(points) == 0:
        return points
    closest, distance, triangle = trimesh.proximity.closest_point(solid, points)
    move = ~solid.contains(points) | (distance < margin)
    points[move] = closest[move] - margin * solid.face_normals[triangle[move]]
    return points


def push_out(points: np.ndarray, solids, margin: float = CLEARANCE_MM) -> np.ndarray:
    """``points`` with those inside (or within ``margin`` of) a closed solid moved out along its surface
    normal to ``margin`` outside it.

    Examples
    --------
    >>> ball = trimesh.creation.icosphere(radius=10.0)
    >>> moved = push_out(np.array([[0.0, 0.0, 9.0], [0.0, 0.0, 20.0]]), [ball], margin=0.5)
    >>> np.round(np.linalg.norm(moved, axis=1), 1).tolist()
    [10.5, 20.0]
    """
    points = np.array(points, dtype=float)
    for solid in solids:
        low, high = solid.bounds[0] - margin, solid.bounds[1] + margin
        near = np.flatnonzero(np.all((points >= low) & (points <= high), axis=1))
        if len(near) == 0:
            continue
        closest, distance, triangle = trimesh.proximity.closest_point(solid, points[near])
        inside = solid.contains(points[near])
        move = inside | (distance < margin)
        normals = solid.face_normals[triangle[move]]
        points[near[move]] = closest[move] + margin * normals
    return points


def _clip_closed(mesh: trimesh.Trimesh, height: float, end: int) -> trimesh.Trimesh | None:
    """The part of a closed mesh above (``end`` +1) or below (-1) ``height``, closed with a flat cap."""
    import pyvista as pv

    surface = pv.PolyData(mesh.vertices, np.hstack([np.full((len(mesh.faces), 1), 3), mesh.faces]).ravel())
    kept = surface.clip_closed_surface(normal=(0.0, 0.0, float(end)), origin=(0.0, 0.0, height)).triangulate()
    if kept.n_cells == 0:
        return None
    return trimesh.Trimesh(np.asarray(kept.points, dtype=float), kept.regular_faces, process=True)


def _densify(line: np.ndarray, step: float) -> np.ndarray:
    points = [line[0]]
    for a, b in zip(line[:-1], line[1:]):
        count = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        points.extend(a + (b - a) * t for t in np.linspace(0, 1, count + 1)[1:])
    return np.asarray(points)


def _reshape(points: np.ndarray, line: np.ndarray, height: float, end: int, shift: np.ndarray,
             shape: np.ndarray, stretch: np.ndarray) -> np.ndarray:
    """Move and reshape ``points`` about their nearest centre-line point, fully at the join and
    fading out over :data:`FADE_MM` of course beyond it; points tucked inside the segmented part
    are also shrunk toward the centre line, more the deeper they lie, so that they stay hidden.
    ``stretch`` is the factor at each of :data:`ANGLES` angles round the centre that takes the
    reshaped outline onto the segmented one."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    crossing = np.argmin(np.abs(line[:, 2] - height))
    _, nearest = cKDTree(line).query(points)
    centre = line[nearest, :2]
    past = end * (line[nearest, 2] - height) > 0
    along = np.where(past, np.abs(arc[nearest] - arc[crossing]), 0.0)
    weight = 0.5 * (1.0 + np.cos(np.pi * np.clip(along / FADE_MM, 0.0, 1.0)))
    depth = np.clip(end * (height - points[:, 2]) / TUCK_MM, 0.0, 1.0)
    tuck = np.where(past, 1.0, 1.0 - (1.0 - TUCK_SCALE) * depth)
    relative = points[:, :2] - centre
    shaped = relative @ shape.T
    shaped *= stretch[_angle_bin(shaped)][:, None]
    moved = points.copy()
    moved[:, :2] = centre + weight[:, None] * shift + tuck[:, None] * (
        weight[:, None] * shaped + (1.0 - weight[:, None]) * relative)
    return moved


def _fit_outline(vertices: np.ndarray, piece: trimesh.Trimesh, real: trimesh.Trimesh, height: float,
                 centre: np.ndarray, rounds: int = 3) -> np.ndarray:
    """``vertices`` of the reshaped ``piece`` moved so that its outline at ``height`` is the segmented one: first
    stretched about ``centre`` at every angle, then each outline point drawn onto the segmented outline points
    nearest it (and those nearest to it: concave outlines too), fully at ``height``, fading out over
    :data:`FIT_MM` either side."""
    vertices = np.array(vertices)
    weight = 0.5 * (1.0 + np.cos(np.pi * np.clip(np.abs(vertices[:, 2] - height) / FIT_MM, 0.0, 1.0)))
    fit = _outline_stretch(real, trimesh.Trimesh(vertices, piece.faces, process=False), height, centre, centre,
                           np.eye(2))
    if fit is not None:
        offsets = vertices[:, :2] - centre
        vertices[:, :2] = centre + offsets * (1.0 + weight * (fit[_angle_bin(offsets)] - 1.0))[:, None]
    target = _dense_outline(real, height)
    for _ in range(rounds - 1):
        outline = _dense_outline(trimesh.Trimesh(vertices, piece.faces, process=False), height)
        if target is None or outline is None:
            break
        vertices[:, :2] += weight[:, None] * _outline_displacement(outline, target)[
            cKDTree(outline).query(vertices[:, :2])[1]]
    return vertices


def _outline_displacement(outline: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each point of ``outline``, the mean step onto the ``target`` points it is nearest to, or onto its
    nearest target point where none is.

    Examples
    --------
    >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> _outline_displacement(square, square * 2.0).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    """
    nearest_target = cKDTree(target).query(outline)[1]
    step = target[nearest_target] - outline
    owner = cKDTree(outline).query(target)[1]
    total = np.zeros_like(outline)
    np.add.at(total, owner, target - outline[owner])
    count = np.bincount(owner, minlength=len(outline))
    claimed = count > 0
    step[claimed] = total[claimed] / count[claimed, None]
    return step


def _angle_bin(offsets: np.ndarray) -> np.ndarray:
    angles = np.arctan2(offsets[:, 1], offsets[:, 0])
    return np.floor((angles + np.pi) / (2 * np.pi) * ANGLES).astype(int) % ANGLES


def polar_outline(points: np.ndarray) -> np.ndarray | None:
    """Largest distance from the origin of the outline ``points`` (x, y) in each of :data:`ANGLES` bins
    of direction, bins no point falls in filled from their neighbours; None for fewer than 3 points.

    Examples
    --------
    >>> square = np.array([[x, y] for x in np.linspace(-1, 1, 201) for y in (-1.0, 1.0)])
    >>> square = np.vstack([square, square[:, ::-1]])
    >>> radius = polar_outline(square)
    >>> round(float(radius.min()), 2), round(float(radius.max()), 2)
    (1.0, 1.41)
    """
    if len(points) < 3:
        return None
    bins = _angle_bin(points)
    radius = np.full(ANGLES, np.nan)
    np.fmax.at(radius, bins, np.linalg.norm(points, axis=1))
    known = np.flatnonzero(~np.isnan(radius))
    if len(known) < ANGLES // 4:
        return None
    everywhere = np.arange(ANGLES)
    return np.interp(everywhere, known, radius[known], period=ANGLES)


def _dense_outline(mesh: trimesh.Trimesh, z: float) -> np.ndarray | None:
    """Points every 0.2 mm along the outline of the cross-section of ``mesh`` at ``z`` (one part only)."""
    shape = section_shape(mesh, z)
    if shape is None or hasattr(shape, "geoms"):
        return None
    return shapely.get_coordinates(shapely.segmentize(shape.exterior, 0.2))


def _outline_stretch(real: trimesh.Trimesh, model: trimesh.Trimesh, height: float, real_centre: np.ndarray,
                     model_centre: np.ndarray, shape: np.ndarray) -> np.ndarray | None:
    """Factor per angle that takes the model's outline at ``height``, reshaped by ``shape``, onto the
    segmented outline there; None where either outline is not a single part seen whole from its centre."""
    real_outline, model_outline = _dense_outline(real, height), _dense_outline(model, height)
    if real_outline is None or model_outline is None:
        return None
    if not shapely.Polygon(real_outline).contains(shapely.Point(real_centre)):
        return None
    target = polar_outline(real_outline - real_centre)
    current = polar_outline((model_outline - model_centre) @ shape.T)
    if target is None or current is None:
        return None
    return np.clip(target / np.maximum(current, 1e-6), 0.5, 2.0)


def _area_change(mesh: trimesh.Trimesh, height: float, end: int, step: float = 2.0) -> float:
    """Largest relative change of cross-section area between heights ``step`` apart across the join."""
    heights = height + end * np.arange(-2 * step, 4 * step + 0.1, step)
    areas = [m[2] for z in heights if (m := section_moments(mesh, z)) is not None]
    if len(areas) < 2:
        return 0.0
    areas = np.asarray(areas)
    return float(np.max(np.abs(np.diff(areas)) / np.minimum(areas[:-1], areas[1:])))
