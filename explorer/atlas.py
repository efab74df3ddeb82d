"""The atlas: structures, pain causes and groups, read from ``annotations/`` and ``meshes/``.

Layout of an atlas folder::

    annotations/atlas.yaml            title, disclaimer and the ordered list of groups
    annotations/glossary.yaml         term id -> {term, definition}
    annotations/pain_regions.yaml     named regions of the skin and their sources (see explorer.pain_regions)
    annotations/nerve_territories.yaml the skin each cutaneous nerve supplies (see explorer.nerve_territories)
    annotations/structures/<id>.md    one file per structure
    annotations/causes/<id>.md        one file per cause of pain
    annotations/tours/<cause id>.yaml a guided tour of one cause (see explorer.tours)
    meshes/<id>.ply                   the committed geometry set (see explorer.geometry): one mesh
                                      per structure that has geometry, named by its id
    meshes/PROVENANCE.toml            source, licence, sha256 and history per mesh
    meshes/frame.toml                 the shared anatomical frame
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from explorer.annotations import HEX_COLOUR, ID_PATTERN, AnnotationFile, check_fields, check_prose, read_annotation
from explorer.causes import CAUSE_FIELDS, Evidence, PainCause, read_cause
from explorer.geometry import GeometrySet, choose_geometry
from explorer.glossary import GlossaryTerm, check_links, read_glossary
from explorer.meshio import MeshFileError, parse_ply
from explorer.nerve_territories import NerveTerritories, read_nerve_territories
from explorer.pain_regions import PainRegions, read_pain_regions
from explorer.problems import AtlasError, Problem
from explorer.provenance import MeshProvenance, read_provenance
from explorer.safe_read import MAX_MESH_BYTES, UnreadableFile, read_bytes, read_toml, read_yaml
from explorer.tours import read_tours

STRUCTURE_FIELDS = {
    "name": (str, True), "group": (str, True), "parent": (str, False), "aliases": (list, False),
    "colour": (str, True), "pathology": (bool, False), "encloses": (list, False),
}
MIN_TEXT_WORDS = 40
MIN_DISCLAIMER_WORDS = 10

__all__ = ["Atlas", "Evidence", "GlossaryTerm", "Group", "PainCause", "Structure", "load_atlas"]


@dataclass(frozen=True)
class Group:
    """A top-level family of structures (bones, cartilage, ...), with how opaque it is drawn by default."""

    id: str
    name: str
    opacity: float = 1.0


@dataclass
class Structure:
    """One anatomical structure, its text, its mesh and where the mesh comes from."""

    id: str
    name: str
    group: str
    parent: str
    aliases: tuple[str, ...]
    colour: str
    text: str
    source: Path
    mesh_file: str | None = None
    pathology: bool = False  # a pathology variant, shown only when asked for
    encloses: tuple[str, ...] = ()  # structures inside it, kept in sight when both are shown in a cause
    mesh: "object | None" = None  # pyvista.PolyData once loaded
    provenance: MeshProvenance | None = None
    causes: tuple[str, ...] = ()

    @property
    def schematic(self) -> bool:
        """True where the geometry is modelled rather than measured."""
        return bool(self.provenance and self.provenance.schematic)

    @property
    def summary(self) -> str:
        """The first paragraph of the text."""
        return self.text.split("\n\n", 1)[0].strip()


@dataclass
class Atlas:
    """Everything the explorer shows, validated. Build it with :func:`load_atlas`."""

    root: Path
    title: str
    groups: dict[str, Group]
    structures: dict[str, Structure]
    causes: dict[str, PainCause]
    frame: dict = field(default_factory=dict)
    glossary: dict[str, GlossaryTerm] = field(default_factory=dict)
    disclaimer: str = ""
    geometry: GeometrySet | None = None
    tours: dict = field(default_factory=dict)  # cause id -> explorer.tours.Tour
    pain_regions: PainRegions = field(default_factory=PainRegions)  # where each cause is felt on the skin
    nerve_territories: NerveTerritories = field(default_factory=NerveTerritories)  # the skin each nerve supplies

    def __getitem__(self, structure_id: str) -> Structure:
        try:
            return self.structures[structure_id]
        except KeyError:
            raise KeyError(f"unknown structure id {structure_id!r}") from None

    def in_group(self, group_id: str) -> list[Structure]:
        """Structures of one group, in file order."""
        return [s for s in self.structures.values() if s.group == group_id]

    def search(self, query: str) -> list[Structure]:
        """Structures whose id, name or an alias contains ``query`` (case-insensitive)."""
        needle = query.strip().lower()
        return [
            s for s in self.structures.values()
            if needle and any(needle in term.lower() for term in (s.id.replace("_", " "), s.name, *s.aliases))
        ]

    def credits(self) -> list[str]:
        """The attribution lines every export must carry: one per source, in order of first use."""
        return list(dict.fromkeys(source["attribution"] for source in self._sources()))

    def notices(self) -> list[str]:
        """The licence notices some sources require to be kept with every copy of their meshes (the SPL
        Knee Atlas's, with its opening words and that it is not for clinical use)."""
        return list(dict.fromkeys(source["notice"] for source in self._sources() if source.get("notice")))

    def _sources(self) -> list[dict]:
        return [source for s in self.structures.values() if s.provenance for source in s.provenance.sources]

    @property
    def geometry_title(self) -> str:
        """What the meshes shown are, in words: the chosen geometry set's title."""
        return self.geometry.title if self.geometry else "meshes under " + str(self.root / "meshes")

    @property
    def triangle_count(self) -> int:
        return sum(s.mesh.n_cells for s in self.structures.values() if s.mesh is not None)


def default_root() -> Path:
    """The atlas folder: ``$KNEE_EXPLORER_ROOT`` if set, else the project checkout holding this package."""
    return Path(os.environ.get("KNEE_EXPLORER_ROOT") or Path(__file__).resolve().parents[1])


def load_atlas(root: Path | str | None = None, meshes: bool = True, geometry: str | None = None) -> Atlas:
    """Read and validate the atlas under ``root``, drawn with one geometry set.

    Parameters
    ----------
    root
        Folder holding ``annotations/`` and ``meshes/``; see :func:`default_root`.
    meshes
        Also read every mesh (checking its sha256 against the provenance file).
    geometry
        ``"mskt"`` (the committed MRI knee), ``"spl"`` (the SPL Knee Atlas, once built) or None
        for ``$KNEE_EXPLORER_GEOMETRY``, else the best set present; see
        :func:`explorer.geometry.choose_geometry`. ``atlas.geometry`` says which was used.

    Raises
    ------
    AtlasError
        Listing every problem, each naming its file and field.

    Examples
    --------
    >>> atlas = load_atlas(geometry="mskt")
    >>> atlas["femur"].group, atlas.geometry.name
    ('bones', 'mskt')
    """
    root = Path(root) if root is not None else default_root()
    chosen = choose_geometry(geometry, root)
    problems: list[Problem] = []
    title, disclaimer, groups = _read_atlas_file(root / "annotations" / "atlas.yaml", problems)
    glossary = read_glossary(root / "annotations" / "glossary.yaml", problems)
    if problems and not (groups and glossary):
        raise AtlasError(problems)  # every later check would only repeat that the groups or terms are missing
    _check_glossary_links(root / "annotations" / "glossary.yaml", glossary, problems)
    structures = _read_structures(root / "annotations" / "structures", groups, glossary, problems)
    pain_regions = read_pain_regions(root / "annotations", problems)
    causes = _read_causes(root / "annotations" / "causes", structures, glossary, problems, pain_regions)
    _check_hierarchy(structures, groups, problems)
    tours = read_tours(root / "annotations" / "tours", structures, groups, causes, problems)
    territories = read_nerve_territories(root / "annotations", structures, problems)
    frame = _read_frame(chosen.folder / "frame.toml", problems)
    _attach_meshes(chosen.folder, structures, meshes, problems)
    if problems:
        raise AtlasError(problems)
    for structure in structures.values():
        structure.causes = tuple(c.id for c in causes.values() if structure.id in c.structures)
    return Atlas(root, title, groups, structures, causes, frame, glossary, disclaimer, chosen, tours, pain_regions=pain_regions,
                 nerve_territories=territories)


def _read_atlas_file(path: Path, problems: list[Problem]) -> tuple[str, str, dict[str, Group]]:
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        problems.append(Problem(path, None, "atlas file missing"))
        return "", "", {}
    except UnreadableFile as error:
        problems.append(error.problem)
        return "", "", {}
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        problems.append(Problem(path, "title", "missing or not a string"))
        return "", "", {}
    disclaimer = data.get("disclaimer") or ""
    if not isinstance(disclaimer, str):
        problems.append(Problem(path, "disclaimer", "must be a string"))
        disclaimer = ""
    elif disclaimer:
        problems += check_prose(path, "disclaimer", disclaimer, MIN_DISCLAIMER_WORDS)
    disclaimer = " ".join(disclaimer.split())
    groups: dict[str, Group] = {}
    entries = data.get("groups")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(path, "groups", "must be a non-empty list of {id, name}"))
        return data["title"], disclaimer, {}
    for index, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("name"), str)):
            problems.append(Problem(path, f"groups[{index}]", "must have an id and a name"))
        elif not ID_PATTERN.match(entry["id"]) or entry["id"] in groups:
            problems.append(Problem(path, f"groups[{index}].id", f"{entry['id']!r} is not a valid, unique id"))
        elif not _is_opacity(entry.get("opacity", 1.0)):
            problems.append(Problem(path, f"groups[{index}].opacity", f"{entry['opacity']!r} is not a number from 0 to 1"))
        else:
            groups[entry["id"]] = Group(entry["id"], entry["name"], float(entry.get("opacity", 1.0)))
    return data["title"], disclaimer, groups


def _is_opacity(value: object) -> bool:
    """True for a number from 0 to 1 (not a truth value).

    Examples
    --------
    >>> _is_opacity(0.2), _is_opacity(True), _is_opacity("0.2"), _is_opacity(1.5)
    (True, False, False, False)
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def _check_glossary_links(path: Path, glossary: dict[str, GlossaryTerm], problems: list[Problem]) -> None:
    for term in glossary.values():
        problems += check_links(path, f"{term.id}.definition", term.definition, glossary)


def _read_folder(folder: Path, schema: dict, glossary: dict[str, GlossaryTerm], problems: list[Problem]) -> list[AnnotationFile]:
    if not folder.is_dir():
        problems.append(Problem(folder, None, "folder missing"))
        return []
    annotations = []
    for path in sorted(folder.glob("*.md")):
        annotation, found = read_annotation(path)
        problems += found
        if annotation is None:
            continue
        found = check_fields(annotation, schema) + _check_text(annotation, glossary)
        problems += found
        if not found:
            annotations.append(annotation)
    return annotations


def _check_text(annotation: AnnotationFile, glossary: dict[str, GlossaryTerm]) -> list[Problem]:
    problems = check_prose(annotation.path, "text", annotation.text, MIN_TEXT_WORDS)
    if isinstance(annotation.fields.get("name"), str):
        problems += check_prose(annotation.path, "name", annotation.fields["name"], 1)
    return problems + check_links(annotation.path, "text", annotation.text, glossary)


def _read_structures(folder: Path, groups: dict[str, Group], glossary: dict[str, GlossaryTerm],
                     problems: list[Problem]) -> dict[str, Structure]:
    structures: dict[str, Structure] = {}
    for annotation in _read_folder(folder, STRUCTURE_FIELDS, glossary, problems):
        fields, path = annotation.fields, annotation.path
        if fields["group"] not in groups:
            problems.append(Problem(path, "group", f"unknown group {fields['group']!r} (known: {', '.join(groups)})"))
        if not HEX_COLOUR.match(fields["colour"]):
            problems.append(Problem(path, "colour", f"{fields['colour']!r} is not a #rrggbb colour"))
        structures[annotation.id] = Structure(
            id=annotation.id, name=fields["name"].strip(), group=fields["group"],
            parent=fields.get("parent") or fields["group"], aliases=tuple(fields.get("aliases") or ()),
            colour=fields["colour"], text=annotation.text, source=path,
            pathology=bool(fields.get("pathology", False)), encloses=tuple(fields.get("encloses") or ()),
        )
    return structures


def _read_causes(folder: Path, structures: dict[str, Structure], glossary: dict[str, GlossaryTerm],
                 problems: list[Problem], regions: PainRegions | None = None) -> dict[str, PainCause]:
    causes: dict[str, PainCause] = {}
    if not folder.exists():
        return causes
    for annotation in _read_folder(folder, CAUSE_FIELDS, glossary, problems):
        cause, found = read_cause(annotation, set(structures), regions)
        problems += found
        causes[annotation.id] = cause
    return causes


def _check_hierarchy(structures: dict[str, Structure], groups: dict[str, Group], problems: list[Problem]) -> None:
    for structure in structures.values():
        if structure.id in groups:
            problems.append(Problem(structure.source, None, f"id {structure.id!r} is also a group id"))
        for inner in structure.encloses:
            if inner not in structures or inner == structure.id:
                problems.append(Problem(structure.source, "encloses", f"unknown structure {inner!r}"))
        if structure.parent == structure.group and structure.group not in groups:
            continue  # the unknown group is already reported
        if structure.parent not in structures and structure.parent not in groups:
            problems.append(Problem(structure.source, "parent", f"unknown parent {structure.parent!r}"))
            continue
        seen, node = {structure.id}, structure.parent
        while node in structures:
            if node in seen:
                problems.append(Problem(structure.source, "parent", f"parent chain loops back through {node!r}"))
                break
            seen.add(node)
            node = structures[node].parent


def _read_frame(path: Path, problems: list[Problem]) -> dict:
    try:
        return read_toml(path)
    except FileNotFoundError:
        problems.append(Problem(path, None, "frame file missing"))
    except UnreadableFile as error:
        problems.append(error.problem)
    return {}


def _attach_meshes(folder: Path, structures: dict[str, Structure], read: bool, problems: list[Problem]) -> None:
    entries, found = read_provenance(folder)
    problems += found
    present = {p.name for p in folder.glob("*.ply")}
    for name in sorted(set(entries) - present):
        key = entries[name].key if entries[name] else name
        problems.append(Problem(folder / "PROVENANCE.toml", f"{key}.file", f"{name} does not exist"))
    if not any(problem.field is None for problem in found):
        for orphan in sorted(present - set(entries)):
            problems.append(Problem(folder / orphan, None, "mesh has no entry in PROVENANCE.toml"))
    by_structure = {entry.key: entry for entry in entries.values() if entry is not None}
    for key in sorted(set(by_structure) - set(structures)):
        problems.append(Problem(folder / "PROVENANCE.toml", key, f"no structure {key!r} in annotations/structures"))
    for structure in structures.values():
        structure.provenance = by_structure.get(structure.id)
        if structure.provenance is None:
            continue  # not drawn in this geometry set (or its entry has problems, reported above)
        structure.mesh_file = structure.provenance.file
        if read and structure.mesh_file in present:
            structure.mesh = _read_mesh(folder / structure.mesh_file, structure.provenance, problems)


def _read_mesh(path: Path, provenance: MeshProvenance, problems: list[Problem]):
    import pyvista as pv

    try:
        data = read_bytes(path, MAX_MESH_BYTES)
    except UnreadableFile as error:
        problems.append(error.problem)
        return None
    actual = hashlib.sha256(data).hexdigest()
    if actual != provenance.sha256:
        problems.append(Problem(path, None, f"sha256 is {actual[:12]}..., PROVENANCE.toml says {provenance.sha256[:12]}..."))
        return None
    try:
        vertices, faces = parse_ply(data, str(path))
    except MeshFileError as error:
        problems.append(Problem(path, None, str(error).split(": ", 1)[-1]))
        return None
    return pv.PolyData.from_regular_faces(vertices, faces)
