"""Which structures may run into each other, and how far each pair of meshes does.

Two structures' surfaces should touch, not pass through each other, except where anatomy has one
inside or into the other: a nerve branching from another, a vein draining into another, veins inside
the muscle they drain, a tendon inside its own belly, a muscle arising from the capsule or a ligament
that is a tendon's expansion, a ligament, tendon or muscle attached to a bone or the cartilage over
it, and a pathology variant, which is shown in place of (or inside) the normal structure it grows from.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import trimesh

#: Nerves and vessels that meet where one branches from, or drains into, the other.
JUNCTIONS = frozenset(frozenset(pair) for pair in (
    ("sciatic_nerve", "tibial_nerve"), ("sciatic_nerve", "common_fibular_nerve"), ("tibial_nerve", "common_fibular_nerve"),
    ("tibial_nerve", "medial_sural_cutaneous_nerve"), ("tibial_nerve", "tibial_nerve_muscular_branches"),
    ("common_fibular_nerve", "lateral_sural_cutaneous_nerve"), ("medial_sural_cutaneous_nerve", "sural_nerve"),
    ("lateral_sural_cutaneous_nerve", "sural_nerve"), ("medial_sural_cutaneous_nerve", "lateral_sural_cutaneous_nerve"),
    ("common_fibular_nerve", "superficial_fibular_nerve"), ("common_fibular_nerve", "deep_fibular_nerve"),
    ("superficial_fibular_nerve", "deep_fibular_nerve"),
    ("popliteal_artery", "anterior_tibial_artery"), ("popliteal_artery", "posterior_tibial_artery"),
    ("anterior_tibial_artery", "posterior_tibial_artery"), ("popliteal_artery", "superior_medial_genicular_artery"),
    ("popliteal_artery", "superior_lateral_genicular_artery"), ("popliteal_artery", "middle_genicular_artery"),
    ("popliteal_vein", "small_saphenous_vein"), ("popliteal_vein", "gastrocnemius_veins"),
    ("popliteal_vein", "posterior_tibial_veins"), ("posterior_tibial_veins", "fibular_veins"),
    ("posterior_tibial_veins", "soleal_veins")))

#: Veins that run inside muscles, and the muscles they run in.
INTRAMUSCULAR = {"gastrocnemius_veins": frozenset({"gastrocnemius_medial_head", "gastrocnemius_lateral_head"}),
                 "soleal_veins": frozenset({"soleus"})}

#: Structures that blend into each other where one arises from or is an expansion of the other: the
#: gastrocnemius heads, the plantaris and the popliteus arise in part from the posterior capsule, which
#: lies against the posterior cruciate ligament where this attaches to the back of the tibia; the
#: oblique popliteal ligament is an expansion of the semimembranosus tendon that thickens the capsule
#: (so it meets the posterior cruciate ligament where the capsule does), and the plantaris and the
#: lateral gastrocnemius head arise in part from it; the posterior oblique ligament thickens the
#: capsule at the back of the medial side, where the posterior fibres of the superficial medial collateral
#: ligament blend into it (the second and third layers of the medial side merge there). The plantaris
#: belly lies against the deep surface of the lateral gastrocnemius head, arising with it; a segmentation
#: at 1 mm slices does not separate the two (the SPL atlas's lateral head label holds the plantaris), so
#: neither is pushed out of the other.
BLENDS = frozenset(frozenset(pair) for pair in (
    ("posterior_joint_capsule", "gastrocnemius_medial_head"), ("posterior_joint_capsule", "gastrocnemius_lateral_head"),
    ("posterior_joint_capsule", "plantaris"), ("posterior_joint_capsule", "popliteus"),
    ("posterior_joint_capsule", "popliteus_tendon"), ("posterior_joint_capsule", "posterior_cruciate_ligament"),
    ("oblique_popliteal_ligament", "semimembranosus"), ("oblique_popliteal_ligament", "plantaris"),
    ("oblique_popliteal_ligament", "posterior_cruciate_ligament"),
    ("posterior_joint_capsule", "oblique_popliteal_ligament"), ("posterior_joint_capsule", "posterior_oblique_ligament"),
    ("oblique_popliteal_ligament", "gastrocnemius_lateral_head"), ("plantaris", "gastrocnemius_lateral_head"),
    ("posterior_oblique_ligament", "medial_collateral_ligament")))

#: Height (mm, 0 at the joint line) below which the two gastrocnemius heads form one belly. Their medial
#: borders meet at the lower angle of the popliteal fossa, below the popliteus (whose lower border, where
#: the popliteal artery ends, is modelled about 6 cm below the joint line), and from there down they run
#: on side by side into one belly and the common aponeurosis. Above this level each head is kept clear
#: of the other; below it they may merge.
GASTROCNEMIUS_JOIN_Z = -90.0

#: Pairs that form one structure below a height (mm).
MERGE_BELOW = {frozenset({"gastrocnemius_medial_head", "gastrocnemius_lateral_head"}): GASTROCNEMIUS_JOIN_Z}

#: Groups of the structures that attach to bone, and of what they attach to.
ATTACHING, ATTACHED_TO = frozenset({"ligaments", "muscles"}), frozenset({"bones", "cartilage", "menisci"})

#: How far (mm) one structure may reach into another without a reason.
TOLERANCE_MM = 1.0


#: The group whose structure (the skin, open where it is cut) has every other one inside it.
COVER = "integument"


@dataclass(frozen=True)
class Part:
    """What the rules need to know of a structure: its id, group, parent and whether it is a pathology variant."""

    id: str
    group: str
    parent: str = ""
    pathology: bool = False


def annotated_parts() -> dict[str, Part]:
    """Every structure, as its annotation file describes it.

    Examples
    --------
    >>> annotated_parts()["soleus_tendon"].parent
    'soleus'
    """
    from explorer.atlas import load_atlas

    atlas = load_atlas(meshes=False, geometry="mskt")
    return {s.id: Part(s.id, s.group, s.parent, s.pathology) for s in atlas.structures.values()}


def reason_to_overlap(a: Part, b: Part) -> str | None:
    """Why ``a`` may reach into ``b`` (or ``b`` into ``a``), or None where it may not.

    Examples
    --------
    >>> reason_to_overlap(Part("soleal_veins", "vessels"), Part("soleus", "muscles"))
    'veins inside the muscle they drain'
    >>> reason_to_overlap(Part("tibial_nerve", "nerves"), Part("soleus", "muscles")) is None
    True
    >>> reason_to_overlap(Part("soleus", "muscles"), Part("skin", "integument"))
    'the skin covers everything under it'
    """
    pair = frozenset((a.id, b.id))
    if COVER in (a.group, b.group):
        return "the skin covers everything under it"
    if a.pathology or b.pathology:
        return "a pathology variant, shown in place of or inside what it grows from"
    if pair in JUNCTIONS:
        return "one branches from or drains into the other"
    if pair in BLENDS:
        return "one arises from or is an expansion of the other"
    if b.id in INTRAMUSCULAR.get(a.id, ()) or a.id in INTRAMUSCULAR.get(b.id, ()):
        return "veins inside the muscle they drain"
    if a.parent == b.id or b.parent == a.id:
        return "a part inside the structure it belongs to"
    if {a.group, b.group} & ATTACHING and {a.group, b.group} & ATTACHED_TO and a.group != b.group:
        return "attached to the bone or the cartilage over it"
    return None


@dataclass(frozen=True)
class Overlap:
    """How far (mm) the deepest vertex of ``inner`` lies inside ``outer``, where, and how many lie over the tolerance."""

    inner: str
    outer: str
    depth_mm: float
    point: tuple[float, float, float]
    vertices_over: int

    def line(self) -> str:
        x, y, z = self.point
        return (f"{self.inner} runs {self.depth_mm:.1f} mm into {self.outer} at ({x:.0f}, {y:.0f}, {z:.0f}) mm "
                f"({self.vertices_over} vertices over {TOLERANCE_MM:g} mm)")


def overlaps(meshes: dict[str, trimesh.Trimesh], may_overlap=lambda a, b: False,
             tolerance: float = TOLERANCE_MM, within: tuple[np.ndarray, np.ndarray] | None = None) -> list[Overlap]:
    """Every ordered pair of closed ``meshes`` where a vertex of one lies more than ``tolerance`` inside the
    other, deepest first; pairs ``may_overlap(a_id, b_id)`` allows are skipped, and pairs in
    :data:`MERGE_BELOW` are measured above their height only; with ``within`` (lowest and highest corner of
    a box), only the vertices inside that box are measured.

    Examples
    --------
    >>> big, small = trimesh.creation.icosphere(radius=10.0), trimesh.creation.icosphere(radius=2.0)
    >>> _ = small.apply_translation([9.0, 0.0, 0.0])
    >>> [(o.inner, o.outer, round(o.depth_mm)) for o in overlaps({"big": big, "small": small})]
    [('small', 'big', 3)]
    """
    found = []
    for inner, outer in itertools.permutations(meshes, 2):
        if may_overlap(inner, outer):
            continue
        low, high = meshes[outer].bounds
        if within is not None:
            low, high = np.maximum(low, within[0]), np.minimum(high, within[1])
        points = meshes[inner].vertices
        points = points[np.all((points >= low) & (points <= high), axis=1)
                        & (points[:, 2] > MERGE_BELOW.get(frozenset((inner, outer)), -np.inf))]
        if len(points) == 0:
            continue
        depth = np.max([depth_inside(points, body, tolerance) for body in bodies(meshes[outer])], axis=0)
        if depth.max() > tolerance:
            deepest = int(np.argmax(depth))
            found.append(Overlap(inner, outer, float(depth[deepest]), tuple(float(v) for v in points[deepest]),
                                 int((depth > tolerance).sum())))
    return sorted(found, key=lambda overlap: -overlap.depth_mm)


@functools.lru_cache(maxsize=256)
def _bodies(key: tuple[int, int], mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    return mesh.split(only_watertight=False) or [mesh]


def bodies(mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """The closed bodies ``mesh`` is made of, kept while its vertices and faces stay as they are (so that
    each body's search structures are built once)."""
    return _bodies((id(mesh), hash(mesh)), mesh)


@functools.lru_cache(maxsize=1024)
def _distance_function(body: trimesh.Trimesh):
    import pyvista as pv
    from vtkmodules.vtkFiltersCore import vtkImplicitPolyDataDistance

    function = vtkImplicitPolyDataDistance()
    function.SetInput(pv.PolyData(body.vertices, np.hstack([np.full((len(body.faces), 1), 3), body.faces]).ravel()))
    return function


def depth_inside(points: np.ndarray, body: trimesh.Trimesh, deeper_than: float = 0.0) -> np.ndarray:
    """How deep (mm) each point lies inside one closed body, where deeper than ``deeper_than``; zero elsewhere.
    (A mesh of several overlapping bodies, such as paired veins, is measured body by body: inside two at
    once is still inside.)"""
    from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkDoubleArray

    depth = np.zeros(len(points))
    near = np.flatnonzero(np.all((points >= body.bounds[0]) & (points <= body.bounds[1]), axis=1))
    if len(near) == 0:
        return depth
    distance = vtkDoubleArray()
    _distance_function(body).FunctionValue(numpy_to_vtk(np.ascontiguousarray(points[near], dtype=float), deep=True),
                                           distance)
    signed = vtk_to_numpy(distance)
    # The sign comes from the nearest face's normal, which may mislead beside a sharp edge: the exact test confirms.
    maybe = np.flatnonzero(signed < -deeper_than)
    if len(maybe):
        inside = maybe[body.contains(points[near[maybe]])]
        depth[near[inside]] = -signed[inside]
    return depth
