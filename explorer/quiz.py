"""Self-test rounds on the atlas: "find it" and "name it" questions, drawn from a seed so a class can share one.

A round asks up to :data:`ROUND_LENGTH` structures of a *question set*: ``"all"``, a group
(``"group:nerves"``) or a pain cause (``"cause:meniscus_tear"``). Only structures with a mesh are
asked, never a pathology variant. A "name it" question offers four names: the answer and three
*plausible* others, from the answer's group or its neighbours (structures whose surfaces come within
:data:`NEIGHBOUR_MM` of it). The same kind, set and seed always give the same questions and the same
choices in the same order, so a teacher can hand a class one test as a link.

Examples
--------
>>> from explorer import load_atlas
>>> atlas = load_atlas()
>>> quiz = make_round(atlas, "name", "group:bones", seed=7)
>>> len(quiz.questions), quiz.note
(4, 'The set has 4 structures, so the round has 4 questions.')
>>> right = [quiz.answer(quiz.question.structure) for _ in range(3)] + [quiz.answer("femoral_cartilage")]
>>> quiz.done, quiz.score, [answered for _question, answered in quiz.misses]
(True, (3, 4), ['femoral_cartilage'])
"""

from __future__ import annotations

import random
import secrets
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from explorer.atlas import Atlas

if TYPE_CHECKING:
    import pyvista as pv

#: Questions in a round (fewer when the set has fewer structures).
ROUND_LENGTH = 10
#: Choices offered by a "name it" question.
CHOICES = 4
#: Two structures are neighbours when their surfaces come closer than this (mm).
NEIGHBOUR_MM = 10.0
#: The kinds of question, as links name them, and their titles.
KINDS = {"find": "Find it", "name": "Name it"}
#: Seeds are whole numbers from 0 to this.
MAX_SEED = 999_999_999
#: Surfaces are sampled with triangles no longer than this (mm) to measure how close they come.
_SAMPLE_EDGE_MM = 3.0

_NEIGHBOURS: dict[int, tuple[weakref.ref, dict[str, tuple[str, ...]]]] = {}


def quiz_structures(atlas: Atlas) -> list[str]:
    """The structures a quiz may ask or offer, by id: those with a mesh, but neither pathology variants nor
    structures drawn faint unless asked for (a group whose default opacity is under one half, as the skin's
    round everything), which a click on the view passes through.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> ids = quiz_structures(load_atlas(meshes=False))
    >>> "tibia" in ids, "bakers_cyst" in ids
    (True, False)
    """
    return sorted(sid for sid, s in atlas.structures.items()
                  if s.mesh_file and not s.pathology and getattr(atlas.groups[s.group], "opacity", 1.0) >= 0.5)


def question_sets(atlas: Atlas) -> dict[str, str]:
    """Every question set with at least one structure to ask: id -> title, all first, then groups, then causes.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> sets = question_sets(load_atlas(meshes=False))
    >>> sets["all"], sets["group:nerves"], sets["cause:meniscus_tear"]
    ('All structures', 'Nerves', 'Pain cause: Meniscus tear')
    """
    sets = {"all": "All structures"}
    sets |= {f"group:{g.id}": g.name for g in atlas.groups.values()}
    sets |= {f"cause:{c.id}": f"Pain cause: {c.name}" for c in sorted(atlas.causes.values(), key=lambda c: c.name)}
    return {key: title for key, title in sets.items() if set_structures(atlas, key)}


def set_structures(atlas: Atlas, question_set: str) -> list[str]:
    """The structures a question set asks, by id.

    Raises
    ------
    ValueError
        For a set that is not ``all``, ``group:<id>`` or ``cause:<id>`` of this atlas.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> set_structures(load_atlas(meshes=False), "cause:meniscus_tear")
    ['lateral_meniscus', 'medial_meniscus', 'posterior_joint_capsule']
    """
    askable = quiz_structures(atlas)
    kind, _, name = question_set.partition(":")
    if question_set == "all":
        return askable
    if kind == "group" and name in atlas.groups:
        return [sid for sid in askable if atlas[sid].group == name]
    if kind == "cause" and name in atlas.causes:
        involved = set(atlas.causes[name].structures)
        return [sid for sid in askable if sid in involved]
    raise ValueError(f"unknown question set {question_set[:64]!r} (all, group:<id> or cause:<id>)")


def neighbours(atlas: Atlas) -> dict[str, tuple[str, ...]]:
    """Structure id -> the structures whose surfaces come within :data:`NEIGHBOUR_MM` of it, by id.

    Computed once per atlas (a few seconds) and kept while the atlas lives. Each surface is
    sampled at the corners of its triangles cut to sides of at most 3 mm (trimesh), and the samples of
    two structures compared with a k-d tree: every point of a surface lies within 1.8 mm of a sample,
    so two surfaces found closer than the limit are, and two found just beyond it may be up to 3.5 mm
    closer.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> near = neighbours(load_atlas())
    >>> "medial_meniscus" in near["medial_tibial_cartilage"], "patella" in near["sural_nerve"]
    (True, False)
    """
    cached = _NEIGHBOURS.get(id(atlas))
    if cached is not None and cached[0]() is atlas:
        return cached[1]
    ids = [sid for sid in quiz_structures(atlas) if atlas[sid].mesh is not None]
    meshes = {sid: _trimesh(atlas[sid].mesh) for sid in ids}
    samples = {sid: trimesh.remesh.subdivide_to_size(m.vertices, m.faces, max_edge=_SAMPLE_EDGE_MM)[0]
               for sid, m in meshes.items()}
    trees = {sid: cKDTree(points) for sid, points in samples.items()}
    near: dict[str, set[str]] = {sid: set() for sid in ids}
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if _surface_distance_below(meshes, samples, trees, a, b, NEIGHBOUR_MM):
                near[a].add(b)
                near[b].add(a)
    result = {sid: tuple(sorted(others)) for sid, others in near.items()}
    _NEIGHBOURS[id(atlas)] = (weakref.ref(atlas, lambda _ref, key=id(atlas): _NEIGHBOURS.pop(key, None)), result)
    return result


def _trimesh(mesh: pv.PolyData) -> trimesh.Trimesh:
    surface = mesh.triangulate()
    return trimesh.Trimesh(np.asarray(surface.points, dtype=float),
                           np.asarray(surface.faces).reshape(-1, 4)[:, 1:], process=False)


def _surface_distance_below(meshes: dict[str, trimesh.Trimesh], samples: dict[str, np.ndarray],
                            trees: dict[str, cKDTree], a: str, b: str, limit: float) -> bool:
    bounds = {sid: meshes[sid].bounds for sid in (a, b)}
    if np.any(np.maximum(bounds[a][0], bounds[b][0]) - np.minimum(bounds[a][1], bounds[b][1]) > limit):
        return False
    few, many = sorted((a, b), key=lambda sid: len(samples[sid]))
    points = samples[few]
    points = points[np.all((points > bounds[many][0] - limit) & (points < bounds[many][1] + limit), axis=1)]
    return bool(len(points)) and bool(np.isfinite(trees[many].query(points, distance_upper_bound=limit)[0]).any())


def distractors(atlas: Atlas, answer: str, rng: random.Random, count: int = CHOICES - 1) -> list[str]:
    """``count`` other structures to offer beside ``answer``: from its group or its neighbours, names all distinct.

    Where the group and the neighbours hold too few, the structures whose middles lie nearest the
    answer's make up the number.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> others = distractors(atlas, "tibial_nerve", random.Random(1))
    >>> len(set(others)), "tibial_nerve" in others
    (3, False)
    """
    askable = quiz_structures(atlas)
    near = set(neighbours(atlas).get(answer, ()))
    names = {atlas[answer].name.casefold()}
    plausible = []
    for sid in askable:
        if (atlas[sid].group == atlas[answer].group or sid in near) and atlas[sid].name.casefold() not in names:
            plausible.append(sid)
            names.add(atlas[sid].name.casefold())
    chosen = rng.sample(plausible, min(count, len(plausible)))
    if len(chosen) < count:
        middle = np.asarray(atlas[answer].mesh.points).mean(axis=0)
        rest = sorted((sid for sid in askable if atlas[sid].name.casefold() not in names),
                      key=lambda sid: float(np.linalg.norm(np.asarray(atlas[sid].mesh.points).mean(axis=0) - middle)))
        chosen += list(dict.fromkeys(rest))[:count - len(chosen)]
    return chosen


@dataclass(frozen=True)
class Question:
    """One question: the structure asked and, for "name it", the ids offered in the order shown."""

    structure: str
    choices: tuple[str, ...] = ()


@dataclass
class Round:
    """A round of questions and the answers given so far; build it with :func:`make_round`.

    ``answers[i]`` is the id answered to question ``i`` (``""`` for a click on nothing), ``None``
    while it is unanswered; ``position`` is the question being asked (``len(questions)`` at the end).
    A round opened from a link may start later than the first question.
    """

    kind: str
    question_set: str
    seed: int
    questions: tuple[Question, ...]
    set_size: int
    position: int = 0
    start: int = 0
    answers: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.answers:
            self.answers = [None] * len(self.questions)

    @property
    def question(self) -> Question | None:
        """The question being asked (``None`` once the round is over)."""
        return self.questions[self.position] if not self.done else None

    @property
    def answered(self) -> bool:
        """Whether the question being asked has its answer."""
        return not self.done and self.answers[self.position] is not None

    @property
    def done(self) -> bool:
        """Whether every question has been asked."""
        return self.position >= len(self.questions)

    @property
    def note(self) -> str:
        """Why the round is shorter than :data:`ROUND_LENGTH`, or ``""``."""
        if len(self.questions) >= ROUND_LENGTH:
            return ""
        plural = "s" if self.set_size != 1 else ""
        return (f"The set has {self.set_size} structure{plural}, so the round has {len(self.questions)} "
                f"question{plural}.")

    def answer(self, structure_id: str) -> bool:
        """Answer the question being asked with a structure id and go on to the next one; returns whether it was right.

        Use :meth:`give` to answer and stay on the question (as the app does, to show the answer).
        """
        right = self.give(structure_id)
        self.next()
        return right

    def give(self, structure_id: str) -> bool:
        """Answer the question being asked, once (a second answer is ignored); returns whether the answer is right."""
        if self.done:
            raise ValueError("the round is over")
        if self.answers[self.position] is None:
            self.answers[self.position] = structure_id if isinstance(structure_id, str) else ""
        return self.answers[self.position] == self.questions[self.position].structure

    def next(self) -> None:
        """Go on to the next question."""
        self.position = min(self.position + 1, len(self.questions))

    @property
    def score(self) -> tuple[int, int]:
        """(right answers, questions answered)."""
        given = [(q, a) for q, a in zip(self.questions, self.answers) if a is not None]
        return sum(q.structure == a for q, a in given), len(given)

    @property
    def misses(self) -> list[tuple[Question, str]]:
        """The questions answered wrongly, in order, each with the answer given."""
        return [(q, a) for q, a in zip(self.questions, self.answers) if a is not None and a != q.structure]


def make_round(atlas: Atlas, kind: str, question_set: str = "all", seed: int | None = None,
               length: int = ROUND_LENGTH) -> Round:
    """A round of ``kind`` ("find" or "name") questions on a question set, drawn from ``seed`` (a new one if ``None``).

    The questions depend only on the set and the seed, so the same seed asks the same structures
    both ways; "name it" choices are drawn after them.

    Raises
    ------
    ValueError
        For an unknown kind or set, or a seed outside 0 to :data:`MAX_SEED`.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> make_round(atlas, "name", "group:nerves", seed=1234) == make_round(atlas, "name", "group:nerves", seed=1234)
    True
    >>> [len(q.choices) for q in make_round(atlas, "name", "all", seed=5).questions]
    [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of question {kind[:32]!r} (find or name)")
    seed = new_seed() if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"a seed is a whole number from 0 to {MAX_SEED}")
    pool = set_structures(atlas, question_set)
    rng = random.Random(f"{question_set}/{seed}")
    asked = rng.sample(pool, min(length, len(pool)))
    questions = []
    for sid in asked:
        choices: tuple[str, ...] = ()
        if kind == "name":
            offered = [sid, *distractors(atlas, sid, rng)]
            rng.shuffle(offered)
            choices = tuple(offered)
        questions.append(Question(sid, choices))
    return Round(kind, question_set, seed, tuple(questions), len(pool))


def new_seed() -> int:
    """A fresh four-digit seed, short enough to read out to a class."""
    return 1000 + secrets.randbelow(9000)


def reading_order(anchors: dict[str, list[float]], camera: dict, rows: int = 6) -> list[str]:
    """Structure ids in the order a reader meets their label anchors in the view: rows from the top, each left to right.

    The view's height is cut into ``rows`` bands (anchors above or below the view fall into the
    first or last); the width does not matter, so no window size is needed.

    Examples
    --------
    >>> front = {"position": [0, 500, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
    >>> reading_order({"low": [0, 0, -100], "high right": [-50, 0, 100], "high left": [50, 0, 100]}, front)
    ['high left', 'high right', 'low']
    """
    position, focal, up = (np.asarray(camera[key], dtype=float) for key in ("position", "focalPoint", "viewUp"))
    forward = (focal - position) / np.linalg.norm(focal - position)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    half_height = np.tan(np.radians(15.0))  # the views' 30 degree angle

    def place(sid: str) -> tuple[int, float]:
        relative = np.asarray(anchors[sid], dtype=float) - position
        depth = max(float(relative @ forward), 1e-6)
        height = float(relative @ true_up) / depth / half_height  # -1 at the bottom of the view, 1 at the top
        band = int(np.clip((1 - height) / 2 * rows, 0, rows - 1))
        return band, float(relative @ right) / depth

    return sorted(anchors, key=lambda sid: (*place(sid), sid))
