"""Causes of pain behind the knee: front matter with evidence, then a Markdown body in fixed sections.

A cause file::

    ---
    name: Deep vein thrombosis
    structures: [popliteal_vein, popliteal_vein_thrombus]
    aliases: [DVT]
    urgent: true
    evidence:
      - finding: About 1 out of 1,000 adults in the U.S. have DVT.
        source: a 2017 retrospective study
    pain_regions:                 # regions of annotations/pain_regions.yaml where it is felt
      - {region: posterior_calf, typical: 3, source: article}
    ---
    One-paragraph summary.

    ## How it presents
    ...
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.annotations import AnnotationFile, check_prose, split_sections
from explorer.problems import Problem

if TYPE_CHECKING:
    from explorer.pain_regions import PainRegions

CAUSE_FIELDS = {
    "name": (str, True), "structures": (list, True), "aliases": (list, False),
    "urgent": (bool, False), "evidence": (object, False), "pain_regions": (object, False),
}
#: How typical pain in a region is for a cause, by the number a cause file gives.
TYPICALITY = {1: "possible", 2: "common", 3: "typical"}
#: Sections every cause must have, in the order they are written.
REQUIRED_SECTIONS = ("How it presents", "Why it hurts behind the knee", "Red flags", "What helps")
#: Sections a cause may add where there is something to say.
OPTIONAL_SECTIONS = ("What the studies show", "How often it causes no pain")
MIN_SECTION_WORDS = 8


@dataclass(frozen=True)
class Evidence:
    """A figure and the study it comes from, named as the source names it.

    Examples
    --------
    >>> Evidence("2% had complete tears on both sides", "a 2016 study of 506 hamstrings").source
    'a 2016 study of 506 hamstrings'
    """

    finding: str
    source: str


@dataclass(frozen=True)
class RegionLink:
    """Where a cause is felt: a pain region's id, how typical pain there is (:data:`TYPICALITY`) and the
    id of the source that says so (both ids from ``annotations/pain_regions.yaml``).

    Examples
    --------
    >>> RegionLink("posterior_calf", 3, "article").word
    'typical'
    """

    region: str
    typical: int
    source: str

    @property
    def word(self) -> str:
        """How typical, in a word."""
        return TYPICALITY[self.typical]


@dataclass(frozen=True)
class PainCause:
    """A cause of pain behind the knee: its structures, evidence and sectioned text.

    ``text`` is the whole Markdown body; ``sections`` maps each ``## `` heading to its body.
    """

    id: str
    name: str
    structures: tuple[str, ...]
    aliases: tuple[str, ...]
    text: str
    source: Path
    evidence: tuple[Evidence, ...] = ()
    urgent: bool = False
    sections: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    pain_regions: tuple[RegionLink, ...] = ()

    @property
    def summary(self) -> str:
        """The first paragraph of the text."""
        return self.text.split("\n\n", 1)[0].strip()


def read_evidence(path: Path, value: object) -> tuple[tuple[Evidence, ...], list[Problem]]:
    """Parse the ``evidence`` field: a list of ``{finding, source}``, each naming its source.

    Examples
    --------
    >>> items, problems = read_evidence(Path("c.md"), [{"finding": "30% had a tear"}])
    >>> str(problems[0])
    "c.md: field 'evidence[0].source': missing: every figure needs the study it comes from"
    """
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), [Problem(path, "evidence", "must be a list of {finding, source}")]
    items, problems = [], []
    for index, item in enumerate(value):
        where = f"evidence[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(path, where, "must be a mapping with 'finding' and 'source'"))
            continue
        for unknown in sorted(set(item) - {"finding", "source"}, key=str):
            problems.append(Problem(path, f"{where}.{unknown}", "unknown key (known: finding, source)"))
        found = []
        for key, why in (("finding", "the figure itself"), ("source", "every figure needs the study it comes from")):
            text = item.get(key)
            if not isinstance(text, str) or not text.strip():
                found.append(Problem(path, f"{where}.{key}", f"missing: {why}"))
            else:
                found += check_prose(path, f"{where}.{key}", text, 1)
        problems += found
        if not found:
            items.append(Evidence(" ".join(item["finding"].split()), " ".join(item["source"].split())))
    return tuple(items), problems


def read_region_links(path: Path, value: object, regions: "PainRegions | None") -> tuple[tuple[RegionLink, ...], list[Problem]]:
    """Parse the ``pain_regions`` field: a list of ``{region, typical, source}`` naming known regions and sources.

    Examples
    --------
    >>> from explorer.pain_regions import PainRegions
    >>> links, problems = read_region_links(Path("c.md"), [{"region": "calf", "typical": 3, "source": "x"}], PainRegions())
    >>> str(problems[0])
    "c.md: field 'pain_regions[0].region': unknown region 'calf' (known: )"
    """
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), [Problem(path, "pain_regions", "must be a list of {region, typical, source}")]
    known_regions = regions.declared if regions else frozenset()
    known_sources = regions.sources if regions else {}
    links, problems, seen = [], [], set()
    for index, item in enumerate(value):
        where = f"pain_regions[{index}]"
        if not isinstance(item, dict) or set(item) != {"region", "typical", "source"}:
            problems.append(Problem(path, where, "must have exactly the keys region, typical and source"))
            continue
        found = []
        if item["region"] not in known_regions:
            known = ", ".join(sorted(known_regions))
            found.append(Problem(path, f"{where}.region", f"unknown region {item['region']!r} (known: {known})"))
        elif item["region"] in seen:
            found.append(Problem(path, f"{where}.region", f"region {item['region']!r} is listed twice"))
        if item["typical"] not in TYPICALITY or isinstance(item["typical"], bool):
            words = ", ".join(f"{n} = {w}" for n, w in TYPICALITY.items())
            found.append(Problem(path, f"{where}.typical", f"must be 1, 2 or 3 ({words}), got {item['typical']!r}"))
        if item["source"] not in known_sources:
            found.append(Problem(path, f"{where}.source", f"unknown source {item['source']!r} (known: {', '.join(known_sources)})"))
        problems += found
        if not found:
            seen.add(item["region"])
            links.append(RegionLink(item["region"], item["typical"], item["source"]))
    return tuple(links), problems


def check_sections(path: Path, sections: dict[str, str]) -> list[Problem]:
    """Required sections present and long enough; no heading outside the known ones.

    Examples
    --------
    >>> [p.message for p in check_sections(Path("c.md"), {"How it presents": "Aching at the back of the knee when walking."})][:1]
    ["required section '## Why it hurts behind the knee' missing"]
    """
    problems = [Problem(path, "text", f"required section '## {name}' missing") for name in REQUIRED_SECTIONS if name not in sections]
    known = REQUIRED_SECTIONS + OPTIONAL_SECTIONS
    for heading, body in sections.items():
        if heading not in known:
            problems.append(Problem(path, "text", f"unknown section '## {heading}' (known: {', '.join(known)})"))
        else:
            problems += check_prose(path, f"text: {heading}", body, MIN_SECTION_WORDS)
    return problems


def read_cause(annotation: AnnotationFile, structures: set[str],
               regions: "PainRegions | None" = None) -> tuple[PainCause, list[Problem]]:
    """Build a :class:`PainCause` from an annotation whose fields passed :data:`CAUSE_FIELDS`.

    ``regions`` holds the pain regions and sources its ``pain_regions`` field may name.

    Examples
    --------
    >>> from explorer.annotations import AnnotationFile
    >>> body = "Summary." + "".join(f"\\n\\n## {s}\\nEight words of text about this section here." for s in REQUIRED_SECTIONS)
    >>> note = AnnotationFile(Path("x.md"), "x", {"name": "X", "structures": ["femur"]}, body)
    >>> cause, problems = read_cause(note, {"femur"})
    >>> cause.structures, problems
    (('femur',), [])
    """
    fields, path = annotation.fields, annotation.path
    problems: list[Problem] = []
    linked = tuple(fields["structures"])
    if not linked:
        problems.append(Problem(path, "structures", "lists no structure"))
    for unknown in [s for s in linked if s not in structures]:
        problems.append(Problem(path, "structures", f"unknown structure {unknown!r}"))
    evidence, found = read_evidence(path, fields.get("evidence"))
    problems += found
    region_links, found = read_region_links(path, fields.get("pain_regions"), regions)
    problems += found
    _, sections = split_sections(annotation.text)
    problems += check_sections(path, sections)
    cause = PainCause(annotation.id, fields["name"].strip(), linked, tuple(fields.get("aliases") or ()),
                      annotation.text, path, evidence, bool(fields.get("urgent", False)), sections, region_links)
    return cause, problems


def cause_key(text: str) -> str:
    """The form a cause id or alias is matched in: lower case, apostrophes dropped, other gaps as ``_``.

    Examples
    --------
    >>> cause_key("Baker's cyst"), cause_key("bakers-cyst"), cause_key(" DVT ")
    ('bakers_cyst', 'bakers_cyst', 'dvt')
    """
    text = re.sub(r"['\u2019]", "", text.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def cause_names(causes: Mapping[str, PainCause]) -> dict[str, str]:
    """Every matching key of every cause (its id, name and aliases, as :func:`cause_key` writes them) -> its id.

    An id wins over another cause's name or alias written the same way.
    """
    names: dict[str, str] = {}
    for cause in causes.values():
        for text in (cause.name, *cause.aliases):
            names.setdefault(cause_key(text), cause.id)
    names.update({cause_key(cause_id): cause_id for cause_id in causes})
    return names


def find_cause(value: str, causes: Mapping[str, PainCause]) -> str:
    """The id of the cause ``value`` names, by id, name or alias, in any case.

    Parameters
    ----------
    value : str
        What the user typed, e.g. ``"dvt"``, ``"bakers-cyst"`` or ``"pcl_tear"``.
    causes : Mapping[str, PainCause]
        The atlas's causes by id.

    Returns
    -------
    str
        The cause's id.

    Raises
    ------
    ValueError
        If no cause has that id, name or alias; the message lists the valid ids, closest first.

    Examples
    --------
    >>> cause = PainCause("deep_vein_thrombosis", "Deep vein thrombosis", (), ("DVT",), "", Path("d.md"))
    >>> find_cause("dvt", {cause.id: cause})
    'deep_vein_thrombosis'
    >>> find_cause("dvd", {cause.id: cause})
    Traceback (most recent call last):
    ...
    ValueError: unknown pain cause id 'dvd' (valid ids, closest first: deep_vein_thrombosis)
    """
    names = cause_names(causes)
    key = cause_key(value) if isinstance(value, str) else ""
    if key in names:
        return names[key]
    ordered = closest_causes(key, names) + sorted(causes)
    listed = ", ".join(dict.fromkeys(ordered))
    raise ValueError(f"unknown pain cause id {value!r} (valid ids, closest first: {listed})")


def closest_causes(key: str, names: Mapping[str, str]) -> list[str]:
    """Cause ids whose id, name or alias is close to ``key``, closest first, each once.

    Examples
    --------
    >>> closest_causes("menicus", {"meniscus_tear": "meniscus_tear", "torn_meniscus": "meniscus_tear", "oa": "osteoarthritis"})
    ['meniscus_tear']
    """
    close = difflib.get_close_matches(key, list(names), n=len(names), cutoff=0.5)
    prefixed = [name for name in names if key and name.startswith(key)]
    return list(dict.fromkeys(names[name] for name in prefixed + close))
