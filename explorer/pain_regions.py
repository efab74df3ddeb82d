"""Named regions of the skin where pain is felt, read from ``annotations/pain_regions.yaml``.

A region is a height band (z, mm) and a sector of angle round the leg's long axis, measured from the
front (0 deg) towards the outer side (90), the back (180) and the inner side (270) of the right knee.
The file also gives that axis (a centre and a cylinder radius at a few heights), the sources regions
and causes cite by id, and the note on scans and pain shown beside the map::

    sources: {grays: "Gray's Anatomy, surface anatomy (general reference)"}
    axis: [{z: 0, centre: [2, -5], radius: 56}]
    scans_and_pain: {text: ..., evidence: [{finding: ..., source: ...}]}
    regions:
      posterior_calf:
        name: Back of the calf
        height_mm: [-250, -60]
        sector_deg: [140, 220]
        bounds: The bulk of the calf behind the tibia and fibula ...
        source: grays
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.annotations import ID_PATTERN, check_prose
from explorer.causes import Evidence, read_evidence
from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, read_yaml

FILE_NAME = "pain_regions.yaml"
REGION_KEYS = ("name", "aliases", "height_mm", "sector_deg", "bounds", "source")
#: Heights beyond this (mm from the joint line) are outside any leg.
MAX_HEIGHT_MM = 1000.0
MIN_BOUNDS_WORDS = 8
MIN_NOTE_WORDS = 20


@dataclass(frozen=True)
class PainRegion:
    """A named patch of skin: a height band and a sector of angle round the leg's axis.

    Examples
    --------
    >>> calf = PainRegion("posterior_calf", "Back of the calf", (), (-250.0, -60.0), (140.0, 220.0), "", "grays")
    >>> calf.covers(-100.0, 180.0), calf.covers(-100.0, 90.0), calf.covers(0.0, 180.0)
    (True, False, False)
    >>> PainRegion("front", "Front", (), (-45.0, 60.0), (320.0, 40.0), "", "grays").covers(0.0, 10.0)
    True
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    height_mm: tuple[float, float]
    sector_deg: tuple[float, float]
    bounds: str
    source: str

    def covers(self, height_mm: float, angle_deg: float) -> bool:
        """Whether a point at this height and angle (degrees, any turn) lies in the region."""
        return band_covers(self.height_mm, self.sector_deg, height_mm, angle_deg)

    @property
    def middle(self) -> tuple[float, float]:
        """The region's middle as (height in mm, angle in degrees)."""
        start, end = self.sector_deg
        return (sum(self.height_mm) / 2.0, (start + ((end - start) % 360.0) / 2.0) % 360.0)


@dataclass(frozen=True)
class AxisPoint:
    """The leg's long axis at one height: its centre (x, y) and the radius of the cylinder round it (mm)."""

    z: float
    centre: tuple[float, float]
    radius: float


@dataclass(frozen=True)
class PainRegions:
    """Everything in ``pain_regions.yaml``: regions by id, the axis, the sources and the note on scans."""

    regions: dict[str, PainRegion] = field(default_factory=dict)
    axis: tuple[AxisPoint, ...] = (AxisPoint(0.0, (0.0, 0.0), 55.0),)
    sources: dict[str, str] = field(default_factory=dict)
    scans_note: str = ""
    scans_evidence: tuple[Evidence, ...] = ()
    path: Path | None = None
    #: Every region id the file names, with problems or not (a cause naming a broken region is not told it is unknown).
    declared: frozenset[str] = frozenset()

    def centre(self, z: float) -> tuple[np.ndarray, float]:
        """The axis centre (x, y) and the cylinder radius at height ``z``, interpolated (held beyond the ends).

        Examples
        --------
        >>> regions = PainRegions(axis=(AxisPoint(-100.0, (0.0, -20.0), 50.0), AxisPoint(100.0, (0.0, 0.0), 60.0)))
        >>> centre, radius = regions.centre(0.0)
        >>> centre.tolist(), radius
        ([0.0, -10.0], 55.0)
        """
        heights = [p.z for p in self.axis]
        x = float(np.interp(z, heights, [p.centre[0] for p in self.axis]))
        y = float(np.interp(z, heights, [p.centre[1] for p in self.axis]))
        return np.array([x, y]), float(np.interp(z, heights, [p.radius for p in self.axis]))

    def height_and_angle(self, point) -> tuple[float, float]:
        """A point's height (its z) and its angle round the axis (0 front, 90 outer side, 180 back, 270 inner).

        Examples
        --------
        >>> PainRegions().height_and_angle((0.0, -30.0, 5.0))
        (5.0, 180.0)
        """
        x, y, z = (float(v) for v in point)
        centre, _ = self.centre(z)
        return z, math.degrees(math.atan2(x - centre[0], y - centre[1])) % 360.0

    def at(self, point) -> list[PainRegion]:
        """The regions covering a point, in file order."""
        height, angle = self.height_and_angle(point)
        return [region for region in self.regions.values() if region.covers(height, angle)]

    def surface_point(self, height_mm: float, angle_deg: float) -> np.ndarray:
        """The point on the cylinder round the axis at this height and angle."""
        centre, radius = self.centre(height_mm)
        turn = math.radians(angle_deg)
        return np.array([centre[0] + radius * math.sin(turn), centre[1] + radius * math.cos(turn), height_mm])


def band_covers(height_band: tuple[float, float], sector_deg: tuple[float, float], height_mm: float,
                angle_deg: float) -> bool:
    """Whether a point at this height and angle lies in the band and sector (from its first angle to its second
    through increasing angles).

    Examples
    --------
    >>> band_covers((-45.0, 60.0), (320.0, 40.0), 0.0, 10.0), band_covers((-45.0, 60.0), (320.0, 40.0), 0.0, 90.0)
    (True, False)
    """
    low, high = height_band
    start, end = sector_deg
    return low <= height_mm <= high and (angle_deg - start) % 360.0 <= (end - start) % 360.0


def check_band(path: Path, where: str, height: object, sector: object) -> list[Problem]:
    """Problems with a ``height_mm`` band and a ``sector_deg`` sector given at ``where`` in the file ``path``.

    Examples
    --------
    >>> [p.message for p in check_band(Path("t.yaml"), "x", [0, 10], [90, 90])][0][:20]
    'must be [from, to], '
    """
    problems = []
    if not (isinstance(height, list) and len(height) == 2 and all(map(_number, height))
            and -MAX_HEIGHT_MM <= height[0] < height[1] <= MAX_HEIGHT_MM):
        problems.append(Problem(path, f"{where}.height_mm", f"must be [low, high] in mm, low below high, within "
                                                            f"{MAX_HEIGHT_MM:g} of the joint line; got {height!r}"))
    if not (isinstance(sector, list) and len(sector) == 2 and all(map(_number, sector))
            and all(0 <= angle < 360 for angle in sector) and sector[0] != sector[1]):
        problems.append(Problem(path, f"{where}.sector_deg", "must be [from, to], two different angles from 0 up to "
                                                             f"360 degrees (0 front, 90 outer side); got {sector!r}"))
    return problems


def read_pain_regions(annotations: Path, problems: list[Problem]) -> PainRegions:
    """Read and check ``pain_regions.yaml`` in the ``annotations`` folder; append every problem found.

    A missing file gives no regions (an atlas without the map); a broken one is reported per field.

    Examples
    --------
    >>> from explorer.atlas import default_root
    >>> problems = []
    >>> regions = read_pain_regions(default_root() / "annotations", problems)
    >>> problems, regions.regions["posterior_calf"].name
    ([], 'Back of the calf')
    """
    path = annotations / FILE_NAME
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        return PainRegions(path=path)
    except UnreadableFile as error:
        problems.append(error.problem)
        return PainRegions(path=path)
    if not isinstance(data, dict):
        problems.append(Problem(path, None, "must be a mapping with sources, axis, scans_and_pain and regions"))
        return PainRegions(path=path)
    for unknown in sorted(set(data) - {"sources", "axis", "scans_and_pain", "regions"}, key=str):
        problems.append(Problem(path, str(unknown), "unknown key (known: sources, axis, scans_and_pain, regions)"))
    sources = read_sources(path, data.get("sources"), problems)
    axis = _read_axis(path, data.get("axis"), problems)
    note, evidence = _read_note(path, data.get("scans_and_pain"), problems)
    regions = _read_regions(path, data.get("regions"), sources, problems)
    declared = frozenset(map(str, data["regions"])) if isinstance(data.get("regions"), dict) else frozenset()
    return PainRegions(regions, axis, sources, note, evidence, path, declared)


def read_sources(path: Path, value: object, problems: list[Problem]) -> dict[str, str]:
    """Read a file's ``sources`` (source id -> the work it names); append every problem found."""
    if not isinstance(value, dict) or not value:
        problems.append(Problem(path, "sources", "must map each source id to the work it names"))
        return {}
    sources = {}
    for key, text in value.items():
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(path, f"sources.{key}", "must name the work"))
        else:
            problems += check_prose(path, f"sources.{key}", text, 2)
            sources[str(key)] = " ".join(text.split())
    return sources


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _read_axis(path: Path, value: object, problems: list[Problem]) -> tuple[AxisPoint, ...]:
    fallback = PainRegions.axis
    if not isinstance(value, list) or not value:
        problems.append(Problem(path, "axis", "must be a list of {z, centre: [x, y], radius}"))
        return fallback
    points = []
    for index, item in enumerate(value):
        where = f"axis[{index}]"
        if not isinstance(item, dict) or set(item) != {"z", "centre", "radius"}:
            problems.append(Problem(path, where, "must have exactly the keys z, centre and radius"))
        elif not _number(item["z"]) or abs(item["z"]) > MAX_HEIGHT_MM:
            problems.append(Problem(path, f"{where}.z", f"must be a height in mm within {MAX_HEIGHT_MM:g} of the joint line"))
        elif not (isinstance(item["centre"], list) and len(item["centre"]) == 2 and all(map(_number, item["centre"]))):
            problems.append(Problem(path, f"{where}.centre", f"must be [x, y] in mm, got {item['centre']!r}"))
        elif not _number(item["radius"]) or item["radius"] <= 0:
            problems.append(Problem(path, f"{where}.radius", f"must be a positive number of mm, got {item['radius']!r}"))
        elif any(p.z == item["z"] for p in points):
            problems.append(Problem(path, f"{where}.z", f"height {item['z']} is given twice"))
        else:
            points.append(AxisPoint(float(item["z"]), (float(item["centre"][0]), float(item["centre"][1])),
                                    float(item["radius"])))
    return tuple(sorted(points, key=lambda p: p.z)) or fallback


def _read_note(path: Path, value: object, problems: list[Problem]) -> tuple[str, tuple[Evidence, ...]]:
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        problems.append(Problem(path, "scans_and_pain", "must have a text and its evidence"))
        return "", ()
    for unknown in sorted(set(value) - {"text", "evidence"}, key=str):
        problems.append(Problem(path, f"scans_and_pain.{unknown}", "unknown key (known: text, evidence)"))
    problems += check_prose(path, "scans_and_pain.text", value["text"], MIN_NOTE_WORDS)
    evidence, found = read_evidence(path, value.get("evidence"))
    problems += [Problem(p.path, f"scans_and_pain.{p.field}", p.message) for p in found]
    return " ".join(value["text"].split()), evidence


def _read_regions(path: Path, value: object, sources: dict[str, str], problems: list[Problem]) -> dict[str, PainRegion]:
    if not isinstance(value, dict) or not value:
        problems.append(Problem(path, "regions", "must map each region id to its name, height_mm, sector_deg, bounds and source"))
        return {}
    regions = {}
    for region_id, entry in value.items():
        found = _check_region(path, str(region_id), entry, sources)
        problems += found
        if not found:
            regions[region_id] = PainRegion(
                region_id, " ".join(entry["name"].split()), tuple(entry.get("aliases") or ()),
                (float(entry["height_mm"][0]), float(entry["height_mm"][1])),
                (float(entry["sector_deg"][0]), float(entry["sector_deg"][1])),
                " ".join(entry["bounds"].split()), entry["source"])
    return regions


def _check_region(path: Path, region_id: str, entry: object, sources: dict[str, str]) -> list[Problem]:
    where = f"regions.{region_id}"
    if not ID_PATTERN.match(region_id):
        return [Problem(path, where, f"{region_id!r} is not a valid id (lower case, digits and _)")]
    if not isinstance(entry, dict):
        return [Problem(path, where, f"must be a mapping with {', '.join(REGION_KEYS)}")]
    problems = [Problem(path, f"{where}.{key}", f"unknown key (known: {', '.join(REGION_KEYS)})")
                for key in sorted(set(entry) - set(REGION_KEYS), key=str)]
    problems += [Problem(path, f"{where}.{key}", "missing") for key in REGION_KEYS if key != "aliases" and key not in entry]
    if problems:
        return problems
    for key, words in (("name", 1), ("bounds", MIN_BOUNDS_WORDS)):
        if not isinstance(entry[key], str):
            problems.append(Problem(path, f"{where}.{key}", "must be text"))
        else:
            problems += check_prose(path, f"{where}.{key}", entry[key], words)
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.append(Problem(path, f"{where}.aliases", "must be a list of strings"))
    problems += check_band(path, where, entry["height_mm"], entry["sector_deg"])
    if entry["source"] not in sources:
        problems.append(Problem(path, f"{where}.source", f"unknown source {entry['source']!r} (known: {', '.join(sources)})"))
    return problems
