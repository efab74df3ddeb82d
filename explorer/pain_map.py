"""Where does it hurt? From a point on the leg to the pain regions, the ranked causes and the structures beneath.

The regions and where each cause is felt are data (``annotations/pain_regions.yaml`` and the causes'
``pain_regions`` field, see :mod:`explorer.pain_regions`); this module answers questions about a point::

    from explorer import load_atlas
    from explorer.pain_map import causes_at, point_from_ray, structures_beneath

    atlas = load_atlas()
    point = point_from_ray(atlas, (0, -500, 5, 0, 1, 0))        # a click from behind, at the joint line
    [ranked.cause.name for ranked in causes_at(atlas, point)]  # urgent causes first, then the most typical
    structures_beneath(atlas, point)                           # what lies under the skin there, outside in

Causes are ranked urgent first (``urgent: true``: deep vein thrombosis, vascular problems), then by how
typical pain in that region is for them (3 typical, 2 common, 1 possible), then by name.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from explorer.causes import PainCause, RegionLink
from explorer.pain_regions import PainRegion, PainRegions

if TYPE_CHECKING:
    import trimesh

    from explorer.atlas import Atlas, Structure

#: How deep under the skin point structures count as beneath it (mm, along the inward direction).
DEPTH_MM = 45.0
#: A structure whose surface comes this close to the inward line counts too (a thin nerve beside it), mm.
REACH_MM = 4.0
#: A hit on a shown structure stands for the skin above it only this far out from the axis (share of the
#: cylinder's radius); a deeper hit gives way to the cylinder.
OUTER_SHARE = 0.5
#: The group and id of the skin, when the atlas has it.
SKIN = "skin"


@dataclass(frozen=True)
class RankedCause:
    """A cause of pain at a point: how typical pain there is for it, and the region links that say so.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> dvt = causes_in(load_atlas(meshes=False), ["posterior_calf"])[0]
    >>> dvt.cause.id, dvt.urgent, dvt.word
    ('deep_vein_thrombosis', True, 'typical')
    """

    cause: PainCause
    typical: int
    links: tuple[RegionLink, ...]

    @property
    def urgent(self) -> bool:
        """Whether the cause needs urgent care (its file says ``urgent: true``)."""
        return self.cause.urgent

    @property
    def word(self) -> str:
        """How typical pain here is for the cause, in a word."""
        return {1: "possible", 2: "common", 3: "typical"}[self.typical]

    @property
    def red_flags(self) -> str:
        """The cause's *Red flags* section (Markdown)."""
        return self.cause.sections.get("Red flags", "")


def regions_at(atlas: Atlas, point: Sequence[float]) -> list[PainRegion]:
    """The named pain regions covering a point on the leg (mm, atlas frame), in file order.

    Only the point's height and its angle round the leg's axis count, not how far out it is.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> [r.id for r in regions_at(load_atlas(meshes=False), (0.0, -70.0, -120.0))]
    ['posterior_calf']
    """
    return atlas.pain_regions.at(point)


def causes_in(atlas: Atlas, region_ids: Iterable[str]) -> list[RankedCause]:
    """The causes felt in any of these regions, urgent first, then most typical, then by name.

    A cause listed in several of the regions counts with its most typical one.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> [c.cause.id for c in causes_in(load_atlas(meshes=False), ["posterior_calf"])][:3]
    ['deep_vein_thrombosis', 'thigh_vascular_problems', 'calf_strain']
    """
    wanted = set(region_ids)
    ranked = []
    for cause in atlas.causes.values():
        links = tuple(link for link in cause.pain_regions if link.region in wanted)
        if links:
            ranked.append(RankedCause(cause, max(link.typical for link in links), links))
    return sorted(ranked, key=lambda r: (not r.urgent, -r.typical, r.cause.name.lower()))


def causes_at(atlas: Atlas, point: Sequence[float]) -> list[RankedCause]:
    """The causes of pain at a point on the leg, ranked as :func:`causes_in` ranks them.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas(meshes=False)
    >>> inner_back = atlas.pain_regions.surface_point(0.0, 225.0)
    >>> "bakers_cyst" in [c.cause.id for c in causes_at(atlas, inner_back)[:4]]
    True
    """
    return causes_in(atlas, [region.id for region in regions_at(atlas, point)])


def inward(regions: PainRegions, point: Sequence[float]) -> np.ndarray:
    """The unit direction from a point straight in to the leg's axis, level (no z); zero on the axis.

    Examples
    --------
    >>> inward(PainRegions(), (0.0, -50.0, 0.0)).tolist()
    [0.0, 1.0, 0.0]
    """
    point = np.asarray(point, dtype=float)
    centre, _ = regions.centre(float(point[2]))
    towards = np.array([centre[0] - point[0], centre[1] - point[1], 0.0])
    length = float(np.linalg.norm(towards))
    return towards / length if length > 1e-9 else np.zeros(3)


def structures_beneath(atlas: Atlas, point: Sequence[float], direction: Sequence[float] | None = None,
                       depth_mm: float = DEPTH_MM) -> list[str]:
    """The structures with a mesh under a point of the skin, from the outside in.

    Parameters
    ----------
    atlas
        The atlas, with its meshes loaded.
    point
        A point on the skin (mm, atlas frame), e.g. from :func:`point_from_ray`.
    direction
        Which way is in: by default straight towards the leg's axis; a click's ray direction also works.
    depth_mm
        How deep to look.

    Returns
    -------
    list[str]
        Ids of the structures the inward line passes through within ``depth_mm``, or passes within
        :data:`REACH_MM` of, nearest first. The skin and pathology variants (shown only with their
        cause) are left out.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> "gastrocnemius_medial_head" in structures_beneath(atlas, atlas.pain_regions.surface_point(-100.0, 200.0))
    True
    """
    point = np.asarray(point, dtype=float)
    heading = inward(atlas.pain_regions, point) if direction is None else _unit(direction)
    if not heading.any():
        return []
    index = _index(atlas)
    first: dict[int, float] = {}
    start = point - heading
    for location, owner in index.hits(start, heading):
        depth = float((location - point) @ heading)
        if -1.0 <= depth <= depth_mm:
            first[owner] = min(first.get(owner, depth), depth)
    steps = np.arange(0.0, depth_mm + 1e-9, 2.0)
    near = index.tree.query_ball_point(point + steps[:, None] * heading, REACH_MM)
    for depth, vertices in zip(steps, near):
        for owner in set(index.vertex_owner[vertices].tolist()):
            first[owner] = min(first.get(owner, float(depth)), float(depth))
    keep = [owner for owner in first if index.counts_beneath[owner]]
    return [index.ids[owner] for owner in sorted(keep, key=lambda owner: (first[owner], index.ids[owner]))]


def point_from_ray(atlas: Atlas, ray: Sequence[float], visible: Iterable[str] | None = None) -> np.ndarray:
    """Where a click's ray meets the leg: the skin, else the outer surface of what is shown, else a cylinder.

    Parameters
    ----------
    atlas
        The atlas, with its meshes loaded.
    ray
        Six numbers: the eye's position and the direction through the clicked pixel (mm, atlas frame),
        as the 3D view reports a click (``KneeCanvas.last_ray``).
    visible
        The structures shown (default: the default view's, the skin among them).

    Returns
    -------
    numpy.ndarray
        The point (x, y, z) in mm: the first hit on the ``skin`` structure's mesh if it is shown;
        else the first hit on a shown structure, if it lies in the outer half of the leg (not deep between
        muscles); else the point of the cylinder round the leg's axis
        (``axis`` in ``pain_regions.yaml``) where the ray enters it, or the cylinder's point nearest
        the ray when it passes by.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> point = point_from_ray(atlas, (-30.0, -500.0, 0.0, 0.0, 1.0, 0.0), visible=[])  # nothing shown: the cylinder
    >>> [r.id for r in regions_at(atlas, point)]
    ['medial_popliteal_fossa']
    """
    origin, direction = np.asarray(ray[:3], dtype=float), _unit(ray[3:])
    if not direction.any():
        raise ValueError("the ray's direction is zero")
    index = _index(atlas)
    if visible is None:
        shown = {sid for sid, s in atlas.structures.items() if s.mesh is not None and not s.pathology}
    else:
        shown = set(visible)
    skin = index.skin & np.array([sid in shown for sid in index.ids])
    if skin.any():
        hit = index.first_hit(origin, direction, skin)
        if hit is not None:
            return hit
    allowed = np.array([sid in shown for sid in index.ids]) & ~index.skin
    hit = index.first_hit(origin, direction, allowed) if allowed.any() else None
    if hit is not None and _outer(atlas.pain_regions, hit):
        return hit
    return cylinder_point(atlas.pain_regions, origin, direction)


def cylinder_point(regions: PainRegions, origin: Sequence[float], direction: Sequence[float],
                   step_mm: float = 0.5) -> np.ndarray:
    """Where a ray enters the cylinder round the leg's axis, or the cylinder's point nearest it when it misses.

    Examples
    --------
    >>> from explorer.pain_regions import AxisPoint
    >>> regions = PainRegions(axis=(AxisPoint(0.0, (0.0, 0.0), 50.0),))
    >>> cylinder_point(regions, (0, -300, 10), (0, 1, 0)).round(1).tolist()
    [0.0, -50.0, 10.0]
    >>> cylinder_point(regions, (90, -300, 10), (0, 1, 0)).round(1).tolist()  # passing by on the outer side
    [50.0, 0.0, 10.0]
    """
    origin, direction = np.asarray(origin, dtype=float), _unit(direction)
    heights = np.array([p.z for p in regions.axis])
    reach = float(np.linalg.norm(origin)) + 2000.0
    t = np.arange(0.0, reach, step_mm)
    points = origin + t[:, None] * direction
    centres = np.stack([np.interp(points[:, 2], heights, [p.centre[i] for p in regions.axis]) for i in (0, 1)], axis=1)
    radii = np.interp(points[:, 2], heights, [p.radius for p in regions.axis])
    offset = points[:, :2] - centres
    outside = np.linalg.norm(offset, axis=1) - radii
    inside = np.flatnonzero(outside <= 0)
    if len(inside):
        i = int(inside[0])
        if i == 0:
            return points[0]
        share = outside[i - 1] / (outside[i - 1] - outside[i])
        return points[i - 1] + share * (points[i] - points[i - 1])
    i = int(np.argmin(outside))
    flat = offset[i] / (np.linalg.norm(offset[i]) or 1.0)
    return np.array([*(centres[i] + radii[i] * flat), points[i, 2]])


def region_point(atlas: Atlas, region_id: str) -> np.ndarray:
    """A point on the skin in the middle of a named region (what choosing it from a list stands for).

    It is on the skin mesh when the atlas has one, else on the cylinder round the leg's axis.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> [r.id for r in regions_at(atlas, region_point(atlas, "lateral_popliteal_fossa"))]
    ['lateral_popliteal_fossa']
    """
    regions = atlas.pain_regions
    height, angle = regions.regions[region_id].middle
    on_cylinder = regions.surface_point(height, angle)
    heading = inward(regions, on_cylinder)
    outside = on_cylinder - 4.0 * regions.centre(height)[1] * heading
    return point_from_ray(atlas, (*outside, *heading), visible=())


def _outer(regions: PainRegions, point: np.ndarray) -> bool:
    """Whether a point lies in the outer part of the leg, where its angle round the axis says where it is.

    A ray can pass between shown structures to one deep inside (the sciatic nerve between the hamstrings).
    """
    centre, radius = regions.centre(float(point[2]))
    return float(np.linalg.norm(point[:2] - centre)) >= OUTER_SHARE * radius


def _unit(vector: Sequence[float]) -> np.ndarray:
    vector = np.asarray(vector, dtype=float)
    length = float(np.linalg.norm(vector))
    return vector / length if length > 1e-12 else np.zeros(3)


def _is_skin(structure: Structure) -> bool:
    return structure.id == SKIN or structure.group == SKIN


class _Index:
    """Every mesh of an atlas in one ray-casting mesh and one point tree, built once per atlas."""

    def __init__(self, atlas: Atlas) -> None:
        import trimesh
        from scipy.spatial import cKDTree

        self.ids = [sid for sid, s in atlas.structures.items() if s.mesh is not None]
        meshes = [_trimesh(atlas[sid].mesh) for sid in self.ids]
        self.mesh: trimesh.Trimesh = trimesh.util.concatenate(meshes)
        self.owner = np.repeat(np.arange(len(self.ids)), [len(m.faces) for m in meshes])
        self.vertex_owner = np.repeat(np.arange(len(self.ids)), [len(m.vertices) for m in meshes])
        self.tree = cKDTree(self.mesh.vertices)
        self.skin = np.array([_is_skin(atlas[sid]) for sid in self.ids], dtype=bool)
        self.counts_beneath = np.array([not (_is_skin(atlas[sid]) or atlas[sid].pathology) for sid in self.ids])

    def hits(self, origin: np.ndarray, direction: np.ndarray) -> list[tuple[np.ndarray, int]]:
        """Every point where the ray crosses a mesh, with the index of the structure it belongs to."""
        locations, _, triangles = self.mesh.ray.intersects_location([origin], [direction], multiple_hits=True)
        return list(zip(locations, self.owner[triangles].tolist()))

    def first_hit(self, origin: np.ndarray, direction: np.ndarray, allowed: np.ndarray) -> np.ndarray | None:
        """The nearest point ahead of ``origin`` where the ray meets a structure marked in ``allowed``."""
        ahead = [(float((location - origin) @ direction), location) for location, owner in self.hits(origin, direction)
                 if allowed[owner]]
        ahead = [item for item in ahead if item[0] > 0]
        return min(ahead, key=lambda item: item[0])[1] if ahead else None


def _trimesh(mesh) -> trimesh.Trimesh:
    import trimesh

    faces = np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]
    return trimesh.Trimesh(np.asarray(mesh.points, dtype=float), faces, process=False)


def prepare(atlas: Atlas, wait: bool = True) -> None:
    """Build the ray-casting index of the atlas's meshes now (about 2 s once per atlas), so that the first
    click does not wait for it; with ``wait=False`` in a background thread.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> prepare(load_atlas(geometry="mskt"))
    """
    if id(atlas) in _INDEXES:
        return
    if wait:
        _index(atlas)
    else:
        threading.Thread(target=_index, args=(atlas,), name="pain-map-index", daemon=True).start()


_INDEXES: dict[int, _Index] = {}
_LOCK = threading.Lock()


def _index(atlas: Atlas) -> _Index:
    key = id(atlas)
    with _LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = _Index(atlas)
            weakref.finalize(atlas, _INDEXES.pop, key, None)
        return _INDEXES[key]
