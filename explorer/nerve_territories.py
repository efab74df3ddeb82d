"""The skin each cutaneous nerve supplies, read from ``annotations/nerve_territories.yaml``.

A territory belongs to one nerve of the atlas. It is one or more patches, each a height band (z, mm)
and a sector of angle round the leg's long axis, the axis and angles of ``pain_regions.yaml``; a colour
to paint it in; the words for the skin it covers; what numbness there means; and the source it follows::

    sources: {grays1918: "Gray's Anatomy (1918), cutaneous nerves of the lower extremity"}
    territories:
      saphenous_nerve:
        colour: "#2aa84a"
        area: the inner side of the knee and of the leg
        patches: [{height_mm: [-260, 15], sector_deg: [240, 330]}]
        numbness: Numbness on the inner side of the knee and leg points to ...
        source: grays1918

Choosing a nerve shows its own territory and its branches' (the structures below it through ``parent``);
choosing the skin shows every territory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.annotations import check_prose
from explorer.pain_regions import PainRegions, band_covers, check_band, read_sources
from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, read_yaml

FILE_NAME = "nerve_territories.yaml"
TERRITORY_KEYS = ("colour", "area", "patches", "numbness", "source")
MIN_NUMBNESS_WORDS = 15
#: The group whose structures the territories are painted on, and whose choice shows them all.
SKIN_GROUP = "integument"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Patch:
    """A height band (mm) and a sector of angle (degrees) round the leg's axis."""

    height_mm: tuple[float, float]
    sector_deg: tuple[float, float]


@dataclass(frozen=True)
class SkinPaint:
    """Patches of skin painted in one colour: a territory, or a pain region marked by the pain map.

    Examples
    --------
    >>> SkinPaint("#d0312d", (Patch((-60.0, 70.0), (205.0, 250.0)),)).covers(0.0, 220.0)
    True
    """

    colour: str
    patches: tuple[Patch, ...]

    def covers(self, height_mm: float, angle_deg: float) -> bool:
        """Whether a point at this height and angle round the leg's axis lies in a patch."""
        return any(band_covers(p.height_mm, p.sector_deg, height_mm, angle_deg) for p in self.patches)


@dataclass(frozen=True)
class Territory:
    """The skin one nerve supplies: where it lies, the colour it is painted in and what numbness there means.

    Examples
    --------
    >>> saphenous = Territory("saphenous_nerve", "#2aa84a", "the inner side of the leg",
    ...                       (Patch((-260.0, 15.0), (240.0, 330.0)),), "", "grays1918")
    >>> saphenous.covers(-100.0, 270.0), saphenous.covers(-100.0, 90.0)
    (True, False)
    """

    nerve: str
    colour: str
    area: str
    patches: tuple[Patch, ...]
    numbness: str
    source: str

    def covers(self, height_mm: float, angle_deg: float) -> bool:
        """Whether a point at this height and angle round the leg's axis lies in the territory."""
        return any(band_covers(p.height_mm, p.sector_deg, height_mm, angle_deg) for p in self.patches)


@dataclass(frozen=True)
class NerveTerritories:
    """Everything in ``nerve_territories.yaml``: the territories by nerve id and the sources they cite."""

    territories: dict[str, Territory] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def territories_for(atlas, structure_id: str) -> list[Territory]:
    """The territories painted when ``structure_id`` is chosen: its own and its branches', or all for the skin.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas(meshes=False)
    >>> [t.nerve for t in territories_for(atlas, "common_fibular_nerve")]
    ['lateral_sural_cutaneous_nerve', 'superficial_fibular_nerve']
    >>> territories_for(atlas, "femur")
    []
    """
    territories = atlas.nerve_territories.territories
    if structure_id not in atlas.structures:
        return []
    if atlas[structure_id].group == SKIN_GROUP:
        return list(territories.values())
    return [t for nerve, t in territories.items() if _within(atlas, nerve, structure_id)]


def territory_at(atlas, structure_id: str, point) -> Territory | None:
    """Of the territories ``structure_id`` shows, the one covering ``point`` (the last listed where they overlap)."""
    height, angle = atlas.pain_regions.height_and_angle(point)
    covering = [t for t in territories_for(atlas, structure_id) if t.covers(height, angle)]
    return covering[-1] if covering else None


def leg_axis(atlas) -> list[list[float]]:
    """The leg's axis as the browser's shaders take it: ``[[z, x, y], ...]`` with ``z`` rising.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> leg_axis(load_atlas(meshes=False))[0]
    [-250.0, 3.0, -18.0]
    """
    return [[p.z, *p.centre] for p in atlas.pain_regions.axis]


def paint_lists(territories) -> list[list]:
    """Territories as the browser's shaders take them: ``[[low, high, from, to, '#rrggbb'], ...]``, one per patch.

    Examples
    --------
    >>> paint_lists([SkinPaint("#d0312d", (Patch((-60.0, 70.0), (205.0, 250.0)),))])
    [[-60.0, 70.0, 205.0, 250.0, '#d0312d']]
    """
    return [[*p.height_mm, *p.sector_deg, t.colour] for t in territories for p in t.patches]


def painted_points(atlas, structure_id: str) -> np.ndarray:
    """The skin's vertices inside the territories ``structure_id`` shows (an empty array when none).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas()
    >>> points = painted_points(atlas, "saphenous_nerve")
    >>> bool(len(points)), painted_points(atlas, "femur").shape
    (True, (0, 3))
    """
    shown = territories_for(atlas, structure_id)
    skins = [np.asarray(s.mesh.points) for s in atlas.structures.values() if s.group == SKIN_GROUP and s.mesh is not None]
    if not shown or not skins:
        return np.empty((0, 3))
    points = np.concatenate(skins)
    inside = np.max([inside_mm(atlas.pain_regions, t, points) for t in shown], axis=0)
    return points[inside >= 0]


def inside_mm(regions: PainRegions, territory: Territory | SkinPaint, points: np.ndarray) -> np.ndarray:
    """How far (mm) each point lies inside the territory (or any patches painted): positive inside, negative outside, zero on its border.

    Distances round the leg are arcs on the axis's cylinder. Painting splits a surface where this is zero.

    Examples
    --------
    >>> regions = PainRegions()
    >>> front = Territory("n", "#000000", "", (Patch((-10.0, 10.0), (350.0, 10.0)),), "", "s")
    >>> inside_mm(regions, front, np.array([[0.0, 60.0, 0.0], [0.0, 60.0, 30.0]])).round(1).tolist()
    [9.6, -20.0]
    """
    points = np.asarray(points, dtype=float)
    heights = points[:, 2]
    axis = regions.axis
    zs = [p.z for p in axis]
    centre_x = np.interp(heights, zs, [p.centre[0] for p in axis])
    centre_y = np.interp(heights, zs, [p.centre[1] for p in axis])
    radius = np.interp(heights, zs, [p.radius for p in axis])
    angles = np.degrees(np.arctan2(points[:, 0] - centre_x, points[:, 1] - centre_y)) % 360.0
    best = np.full(len(points), -np.inf)
    for patch in territory.patches:
        low, high = patch.height_mm
        start, end = patch.sector_deg
        width = (end - start) % 360.0
        past_start = (angles - start) % 360.0
        inside_arc = np.where(past_start <= width, np.minimum(past_start, width - past_start),
                              -np.minimum(past_start - width, 360.0 - past_start))
        arc_mm = np.radians(inside_arc) * radius
        best = np.maximum(best, np.minimum(np.minimum(heights - low, high - heights), arc_mm))
    return best


def read_nerve_territories(annotations: Path, structures: dict, problems: list[Problem]) -> NerveTerritories:
    """Read and check ``nerve_territories.yaml`` in ``annotations``; append every problem found.

    Each territory must belong to a known structure of the nerves group. A missing file gives no territories.

    Examples
    --------
    >>> from explorer.atlas import default_root
    >>> from explorer import load_atlas
    >>> problems = []
    >>> found = read_nerve_territories(default_root() / "annotations", load_atlas(meshes=False).structures, problems)
    >>> problems, found.territories["sural_nerve"].area.split(",")[0]
    ([], 'the back and outer side of the lower calf')
    """
    path = annotations / FILE_NAME
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        return NerveTerritories(path=path)
    except UnreadableFile as error:
        problems.append(error.problem)
        return NerveTerritories(path=path)
    if not isinstance(data, dict):
        problems.append(Problem(path, None, "must be a mapping with sources and territories"))
        return NerveTerritories(path=path)
    for unknown in sorted(set(data) - {"sources", "territories"}, key=str):
        problems.append(Problem(path, str(unknown), "unknown key (known: sources, territories)"))
    sources = read_sources(path, data.get("sources"), problems)
    entries = data.get("territories")
    if not isinstance(entries, dict) or not entries:
        problems.append(Problem(path, "territories", "must map each nerve id to its " + ", ".join(TERRITORY_KEYS)))
        return NerveTerritories({}, sources, path)
    territories = {}
    for nerve, entry in entries.items():
        found = _check_territory(path, str(nerve), entry, sources, structures)
        problems += found
        if not found:
            patches = tuple(Patch((float(p["height_mm"][0]), float(p["height_mm"][1])),
                                  (float(p["sector_deg"][0]), float(p["sector_deg"][1]))) for p in entry["patches"])
            territories[nerve] = Territory(nerve, entry["colour"].lower(), " ".join(entry["area"].split()), patches,
                                           " ".join(entry["numbness"].split()), entry["source"])
    return NerveTerritories(territories, sources, path)


def _check_territory(path: Path, nerve: str, entry: object, sources: dict[str, str], structures: dict) -> list[Problem]:
    where = f"territories.{nerve}"
    if nerve not in structures or structures[nerve].group != "nerves":
        return [Problem(path, where, f"{nerve!r} is not a structure of the nerves group")]
    if not isinstance(entry, dict):
        return [Problem(path, where, f"must be a mapping with {', '.join(TERRITORY_KEYS)}")]
    problems = [Problem(path, f"{where}.{key}", f"unknown key (known: {', '.join(TERRITORY_KEYS)})")
                for key in sorted(set(entry) - set(TERRITORY_KEYS), key=str)]
    problems += [Problem(path, f"{where}.{key}", "missing") for key in TERRITORY_KEYS if key not in entry]
    if problems:
        return problems
    if not isinstance(entry["colour"], str) or not _COLOUR.fullmatch(entry["colour"]):
        problems.append(Problem(path, f"{where}.colour", f"must be a colour like '#2aa84a', got {entry['colour']!r}"))
    for key, words in (("area", 3), ("numbness", MIN_NUMBNESS_WORDS)):
        if not isinstance(entry[key], str):
            problems.append(Problem(path, f"{where}.{key}", "must be text"))
        else:
            problems += check_prose(path, f"{where}.{key}", entry[key], words)
    patches = entry["patches"]
    if not isinstance(patches, list) or not patches:
        problems.append(Problem(path, f"{where}.patches", "must be a list of {height_mm, sector_deg}"))
    else:
        for index, patch in enumerate(patches):
            at = f"{where}.patches[{index}]"
            if not isinstance(patch, dict) or set(patch) != {"height_mm", "sector_deg"}:
                problems.append(Problem(path, at, "must have exactly the keys height_mm and sector_deg"))
            else:
                problems += check_band(path, at, patch["height_mm"], patch["sector_deg"])
    if entry["source"] not in sources:
        problems.append(Problem(path, f"{where}.source", f"unknown source {entry['source']!r} (known: {', '.join(sources)})"))
    return problems


def _within(atlas, structure_id: str, ancestor: str) -> bool:
    node, seen = structure_id, set()
    while node in atlas.structures and node not in seen:
        if node == ancestor:
            return True
        seen.add(node)
        node = atlas[node].parent
    return False
