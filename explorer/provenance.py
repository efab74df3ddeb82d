"""The provenance file of the meshes: source, licence, checksum and history of each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, read_toml

PROVENANCE_FILE = "PROVENANCE.toml"
SOURCES_TABLE = "sources"
PROVENANCE_LEVELS = ("verified", "inferred", "unknown")
_SPDX = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: A mesh is a plain file name in the set's folder: no folder part, so never ``..`` or an absolute path.
MESH_FILE = re.compile(r"[\w.-]+\.ply", re.ASCII)
SOURCE_FIELDS = ("package", "file", "sha256", "license", "attribution")
_REQUIRED = {"file": str, "sha256": str, "license": str, "provenance": str, "schematic": bool,
             "modifications": str, "attribution": str, "sources": list}


@dataclass(frozen=True)
class MeshProvenance:
    """Where one mesh comes from, under which licence, and what was done to it."""

    key: str
    file: str
    sha256: str
    license: str
    provenance: str
    schematic: bool
    modifications: str
    attribution: str
    sources: tuple[dict, ...]


def read_provenance(mesh_dir: Path) -> tuple[dict[str, MeshProvenance | None], list[Problem]]:
    """Read ``mesh_dir/PROVENANCE.toml``; return entries by mesh file name, and problems.

    A file named by an entry that has problems maps to None (its problems are listed).

    Examples
    --------
    >>> from explorer.atlas import default_root
    >>> entries, problems = read_provenance(default_root() / "meshes")
    >>> entries["femur.ply"].license, problems
    ('MIT AND Apache-2.0', [])
    """
    path = mesh_dir / PROVENANCE_FILE
    try:
        data = read_toml(path)
    except FileNotFoundError:
        return {}, [Problem(path, None, "provenance file missing")]
    except UnreadableFile as error:
        return {}, [error.problem]
    shared = data.pop(SOURCES_TABLE, {})
    problems = _check_sources(path, shared)
    entries: dict[str, MeshProvenance] = {}
    for key, entry in data.items():
        entry_problems = _check_entry(path, key, entry, shared)
        problems += entry_problems
        if entry_problems and isinstance(entry, dict) and isinstance(entry.get("file"), str) and MESH_FILE.fullmatch(entry["file"]):
            entries[entry["file"]] = None
        elif not entry_problems:
            fields = {name: entry[name] for name in _REQUIRED}
            fields["sources"] = tuple(shared[name] for name in entry["sources"])
            entries[entry["file"]] = MeshProvenance(key=key, **fields)
    return entries, problems


def _check_sources(path: Path, shared: object) -> list[Problem]:
    if not isinstance(shared, dict):
        return [Problem(path, SOURCES_TABLE, "must be a table of sources")]
    problems = []
    for key, source in shared.items():
        missing = [name for name in SOURCE_FIELDS if not (isinstance(source, dict) and isinstance(source.get(name), str))]
        if missing:
            problems.append(Problem(path, f"{SOURCES_TABLE}.{key}", f"missing {', '.join(missing)}"))
    return problems


def _check_entry(path: Path, key: str, entry: object, shared: dict) -> list[Problem]:
    if not isinstance(entry, dict):
        return [Problem(path, key, "must be a table")]
    problems = [
        Problem(path, f"{key}.{name}", f"missing or not a {kind.__name__}")
        for name, kind in _REQUIRED.items()
        if not isinstance(entry.get(name), kind)
    ]
    if problems:
        return problems
    if not _SPDX.match(entry["license"]):
        problems.append(Problem(path, f"{key}.license", f"{entry['license']!r} is not an SPDX licence expression"))
    if entry["provenance"] not in PROVENANCE_LEVELS:
        problems.append(Problem(path, f"{key}.provenance", f"{entry['provenance']!r} is not one of {', '.join(PROVENANCE_LEVELS)}"))
    if not MESH_FILE.fullmatch(entry["file"]):
        problems.append(Problem(path, f"{key}.file", f"{entry['file']!r} is not a plain file name ending .ply"))
    if not _SHA256.match(entry["sha256"]):
        problems.append(Problem(path, f"{key}.sha256", "must be 64 lowercase hex digits"))
    if not entry["sources"]:
        problems.append(Problem(path, f"{key}.sources", "lists no source"))
    for name in entry["sources"]:
        if not isinstance(name, str):
            problems.append(Problem(path, f"{key}.sources", f"must list source keys defined under [{SOURCES_TABLE}]"))
            break
        if not isinstance(shared, dict) or name not in shared:
            problems.append(Problem(path, f"{key}.sources", f"unknown source {name!r} (not under [{SOURCES_TABLE}])"))
    if not entry["attribution"].strip() or not entry["modifications"].strip():
        problems.append(Problem(path, key, "attribution and modifications must not be empty"))
    return problems
