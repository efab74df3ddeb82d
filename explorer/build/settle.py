"""Last step of the soft-tissue build: what still runs into a neighbour without a reason is moved out of it.

Structures built apart (a model beside a segmented structure, or two models swept along their own
paths) may still pass through each other by a few millimetres. Each such overlap is undone by moving
one of the two. A nerve, vessel or ligament is moved out of what it runs into, locally as a whole, so
that its cross-section keeps its shape, and a muscle in its way gives way to it; a muscle that
something fixed runs into is dented round it, as a nerve or vessel lies in a groove of the muscle
beside it. What the rules of
:mod:`explorer.build.contacts` allow is left as it is. A structure's share of each move is its weight:
0 for what is segmented (it never moves), 1 for what is modelled; a segmented structure continued by
its model moves fully at the join, so that the join stays closed, less and less up to 8 mm inside the
segmented part and not beyond (see :func:`explorer.build.continuation.continue_structure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from explorer.build.contacts import MERGE_BELOW, bodies, depth_inside, overlaps
from explorer.build.continuation import push_out

#: Overlaps deeper than this (mm) are undone.
TARGET_MM = 0.7
#: How far (mm) outside the other structure a moved surface ends.
MARGIN_MM = 0.3
#: Radius (mm) round each point that needs a move over which the move fades out, plus twice the move.
REACH_MM = 6.0
#: Groups moved out of a neighbour as a whole locally (tubes, cords and sheets) rather than dented.
MOVED_WHOLE = frozenset({"nerves", "vessels", "ligaments"})
#: Which of two movable structures moves: the one first in this order (by id, else by group); a muscle is
#: dented last. The posterior capsule, a thin sheet on the bones, gives way first and a nerve before a
#: vessel, so that the fossa keeps its layers: the artery deepest on the capsule, the vein behind it and
#: the tibial nerve behind both.
YIELD_ORDER = {"posterior_joint_capsule": -1, "nerves": 0, "vessels": 1, "bursae": 2, "ligaments": 2, "fat_pads": 3,
               "muscles": 3}
#: Rounds of finding overlaps and moving, and moves per pair in a round.
ROUNDS, STEPS = 8, 6


@dataclass(frozen=True)
class Move:
    """One structure moved out of (or dented round) another, by at most ``largest_mm``."""

    moved: str
    other: str
    dented: bool
    largest_mm: float


def settle(meshes: dict[str, trimesh.Trimesh], weights: dict[str, np.ndarray], groups: dict[str, str],
           may_overlap: Callable[[str, str], bool]) -> list[Move]:
    """Move the vertices of ``meshes`` (in place) until no two of them lie more than :data:`TARGET_MM` inside
    each other without ``may_overlap``, as far as the ``weights`` (per vertex, 0 to 1) let them move.

    ``groups`` gives each structure's group (``nerves``, ``muscles``...), which decides who moves. A move
    is kept only where it leaves the moved structure less deep in its neighbours than before (see :func:`_try`).
    Returns the moves kept, in order.

    Examples
    --------
    >>> big, small = trimesh.creation.icosphere(radius=10.0), trimesh.creation.icosphere(radius=2.0)
    >>> _ = small.apply_translation([9.0, 0.0, 0.0])
    >>> meshes = {"muscle": big, "nerve": small}
    >>> weights = {"muscle": np.zeros(len(big.vertices)), "nerve": np.ones(len(small.vertices))}
    >>> moves = settle(meshes, weights, {"muscle": "muscles", "nerve": "nerves"}, lambda a, b: False)
    >>> [(m.moved, m.dented) for m in moves], bool(small.vertices[:, 0].min() > 10.0)
    ([('nerve', False)], True)
    """
    moves: list[Move] = []
    for _ in range(ROUNDS):
        tried: set[frozenset[str]] = set()
        kept = 0
        for overlap in overlaps(meshes, may_overlap, tolerance=TARGET_MM):
            pair = frozenset((overlap.inner, overlap.outer))
            if pair in tried:
                continue
            tried.add(pair)
            for plan in _plans(overlap, meshes, weights, groups):
                kept_moves = _try(*plan, meshes, weights, groups, may_overlap)
                if kept_moves:
                    moves.extend(kept_moves)
                    kept += 1
                    break
        if not kept:
            break
    return moves


def _plans(overlap, meshes, weights, groups) -> list[tuple[str, str, bool]]:
    """Ways to undo ``overlap``, best first: (structure to move, the other, whether it is dented rather than
    moved out). The one inside moves out of the other; the other, if it is moved whole, moves out of it;
    the other is dented round it; each where the weights let them, and the other's ways first where it
    comes first in :data:`YIELD_ORDER`."""
    inner, outer = overlap.inner, overlap.outer
    mine = [(inner, outer, False)] if _weight_near(meshes[inner], weights[inner], overlap.point) > 0.0 else []
    theirs = []
    if _weight_near(meshes[outer], weights[outer], overlap.point) > 0.0:
        theirs = ([(outer, inner, False)] if groups[outer] in MOVED_WHOLE else []) + [(outer, inner, True)]
    return theirs + mine if _rank(outer, groups) < _rank(inner, groups) else mine + theirs


def _rank(structure_id: str, groups: dict[str, str]) -> int:
    return YIELD_ORDER.get(structure_id, YIELD_ORDER.get(groups[structure_id], 2))


def _try(moved: str, other: str, dented: bool, meshes, weights, groups, may_overlap) -> list[Move]:
    """Move ``moved`` out of ``other`` (or dent it round ``other``), then dent it round what of ``other`` is
    still inside it (or move it out of ``other``); a nerve, vessel or ligament so moved then dents the
    muscles it now runs into, where they may give way. Undo it all unless it leaves ``moved`` less deep in
    the structures round what moved: the sum of the squares of how far each pair's deepest point lies
    beyond :data:`TARGET_MM` must fall. Returns the moves kept (none if undone)."""
    mesh = meshes[moved]
    kept = mesh.vertices.copy()
    above = MERGE_BELOW.get(frozenset((moved, other)), -np.inf)
    move_out = lambda: _move_out(mesh, weights[moved], meshes[other], above, groups[moved] in MOVED_WHOLE)  # noqa: E731
    dent = lambda: _dent(mesh, weights[moved], meshes[other], above)  # noqa: E731
    largest = max(step() for step in ((dent, move_out) if dented else (move_out, dent)))
    shifted = np.linalg.norm(mesh.vertices - kept, axis=1) > 1e-6
    if largest == 0.0 or not shifted.any():
        mesh.vertices = kept
        return []
    region = np.vstack([kept[shifted], mesh.vertices[shifted]])
    low, high = region.min(axis=0) - 1.0, region.max(axis=0) + 1.0
    near = {name: m for name, m in meshes.items()
            if name != moved and np.all(m.bounds[1] >= low) and np.all(m.bounds[0] <= high)}
    # What moves never ends inside a bone it may not enter (a nerve or vessel).
    bones = [m for name, m in near.items() if groups[name] == "bones" and not may_overlap(moved, name)]
    if bones:
        vertices = np.array(mesh.vertices)
        vertices[shifted] = push_out(vertices[shifted], bones, MARGIN_MM)
        mesh.vertices = vertices

    def excess() -> float:
        found = overlaps({moved: mesh, **near}, lambda a, b: moved not in (a, b) or may_overlap(a, b), TARGET_MM,
                         within=(low, high))
        return sum((o.depth_mm - TARGET_MM) ** 2 for o in found)

    moves = [Move(moved, other, dented, largest)]
    given_way = {}
    for name, muscle in near.items() if groups[moved] in MOVED_WHOLE else ():
        if groups[name] == "muscles" and not may_overlap(moved, name) and weights[name].any():
            given_way[name] = muscle.vertices.copy()
            depth = _dent(muscle, weights[name], mesh, MERGE_BELOW.get(frozenset((moved, name)), -np.inf))
            if depth > 0.0:
                moves.append(Move(name, moved, True, depth))
    after = excess()
    states = [(mesh, kept, mesh.vertices.copy())] + [(near[name], before, near[name].vertices.copy())
                                                     for name, before in given_way.items()]
    for changed, before, _ in states:
        changed.vertices = before
    if after > excess() - 0.01:
        return []
    for changed, _, now in states:
        changed.vertices = now
    return moves


def follow(points: np.ndarray, before: np.ndarray, after: np.ndarray, count: int = 8) -> np.ndarray:
    """``points`` (a centre line) moved as the mesh round them moved from ``before`` to ``after`` (vertices):
    each by the mean move of the ``count`` vertices nearest to it.

    Examples
    --------
    >>> ring = np.array([[np.cos(a), np.sin(a), 0.0] for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)])
    >>> follow(np.zeros((1, 3)), ring, ring + [0.0, 0.0, 2.0]).tolist()
    [[0.0, 0.0, 2.0]]
    """
    _, nearest = cKDTree(before).query(points, k=min(count, len(before)))
    return points + (after - before)[nearest.reshape(len(points), -1)].mean(axis=1)


def _weight_near(mesh: trimesh.Trimesh, weights: np.ndarray, point, radius: float = 5.0) -> float:
    """The largest weight of ``mesh``'s vertices within ``radius`` of ``point`` (of the nearest one if none is)."""
    distance = np.linalg.norm(mesh.vertices - np.asarray(point), axis=1)
    near = distance <= radius
    return float(weights[near].max() if near.any() else weights[np.argmin(distance)])


def _inside_points(points: np.ndarray, solid: trimesh.Trimesh, above: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of ``points`` higher than ``above`` and deeper than :data:`TARGET_MM` in ``solid`` (body by
    body), the nearest point of that body's surface to each and the body's outward normal there."""
    indices, closest, normals = [], [], []
    for body in bodies(solid):
        inside = np.flatnonzero((depth_inside(points, body, TARGET_MM) > 0.0) & (points[:, 2] > above))
        if len(inside):
            near, _, triangle = trimesh.proximity.closest_point(body, points[inside])
            indices.append(inside), closest.append(near), normals.append(body.face_normals[triangle])
    if not indices:
        return np.empty(0, dtype=int), np.empty((0, 3)), np.empty((0, 3))
    return np.concatenate(indices), np.vstack(closest), np.vstack(normals)


def _move_out(mesh: trimesh.Trimesh, weights: np.ndarray, solid: trimesh.Trimesh, above: float,
              translate: bool) -> float:
    """Move ``mesh`` out of ``solid`` where its vertices above ``above`` lie inside it (``translate``: its whole
    cross-section there with them); the largest move (mm)."""
    largest = 0.0
    for _ in range(STEPS):
        inside, closest, normals = _inside_points(mesh.vertices, solid, above)
        if not len(inside):
            break
        pushes = closest + MARGIN_MM * normals - mesh.vertices[inside]
        largest = max(largest, _spread(mesh, weights, mesh.vertices[inside], pushes, translate))
    return largest


def _dent(mesh: trimesh.Trimesh, weights: np.ndarray, solid: trimesh.Trimesh, above: float) -> float:
    """Dent ``mesh`` round the vertices of ``solid`` above ``above`` that lie inside it; the largest move (mm)."""
    largest = 0.0
    for _ in range(STEPS):
        inside, closest, normals = _inside_points(solid.vertices, mesh, above)
        if not len(inside):
            break
        depth = np.linalg.norm(solid.vertices[inside] - closest, axis=1) + MARGIN_MM
        largest = max(largest, _spread(mesh, weights, closest, -depth[:, None] * normals, False))
    return largest


def _spread(mesh: trimesh.Trimesh, weights: np.ndarray, sources: np.ndarray, pushes: np.ndarray,
            translate: bool) -> float:
    """Move ``mesh``'s vertices by the pushes needed at ``sources``, each fading out over its reach (longer
    by twice the push where the structure is moved as a whole); where several reach a vertex the largest
    wins. Returns the largest push (mm)."""
    vertices = np.array(mesh.vertices)
    lengths = np.linalg.norm(pushes, axis=1)
    reach = REACH_MM + (2.0 if translate else 0.0) * lengths
    best = np.zeros(len(vertices))
    moves = np.zeros_like(vertices)
    tree = cKDTree(vertices)
    for source, push, length, radius in zip(sources, pushes, lengths, reach):
        near = np.asarray(tree.query_ball_point(source, radius), dtype=int)
        if not len(near):
            continue
        fade = _fade(np.linalg.norm(vertices[near] - source, axis=1) / radius)
        stronger = fade * length > best[near]
        best[near[stronger]] = fade[stronger] * length
        moves[near[stronger]] = fade[stronger, None] * push
    mesh.vertices = vertices + moves * weights[:, None]
    return float(lengths.max())


def _fade(distance: np.ndarray) -> np.ndarray:
    """1 up to a quarter of the reach, then smoothly down to 0 at the reach (``distance`` as its fraction).

    Examples
    --------
    >>> np.round(_fade(np.array([0.0, 0.25, 0.625, 1.0])), 2).tolist()
    [1.0, 1.0, 0.5, 0.0]
    """
    s = np.clip((distance - 0.25) / 0.75, 0.0, 1.0)
    return 1.0 - s * s * (3.0 - 2.0 * s)
