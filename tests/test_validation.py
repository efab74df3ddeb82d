"""Every way an atlas can be broken is reported by `knee-explorer validate`, naming file and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explorer.cli import main


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _femur(root: Path) -> Path:
    return root / "annotations" / "structures" / "femur.md"


def _provenance(root: Path) -> Path:
    return root / "meshes" / "PROVENANCE.toml"


def _add_cause(root: Path, structures: str) -> None:
    (root / "annotations" / "causes").mkdir(exist_ok=True)
    (root / "annotations" / "causes" / "pcl_tear.md").write_text(
        f"---\nname: PCL tear\nstructures: {structures}\n---\n" + "The ligament at the back of the joint tears. " * 3,
        encoding="utf-8",
    )


BREAKAGES = {
    "missing name": (lambda r: _edit(_femur(r), "name: Femur\n", ""), r"femur\.md: field 'name': missing"),
    "unknown group": (lambda r: _edit(_femur(r), "group: bones", "group: bone"), r"femur\.md: field 'group': unknown group 'bone'"),
    "bad colour": (lambda r: _edit(_femur(r), '"#e9e1cc"', '"beige"'), r"femur\.md: field 'colour': 'beige' is not a #rrggbb colour"),
    "aliases not a list": (lambda r: _edit(_femur(r), "aliases: [thigh bone, thighbone]", "aliases: 3"), r"femur\.md: field 'aliases': must be a list of strings"),
    "unknown field": (lambda r: _edit(_femur(r), "group: bones", "group: bones\ncolor: red"), r"femur\.md: field 'color': unknown field"),
    "broken yaml": (lambda r: _edit(_femur(r), "name: Femur", "name: [Femur"), r"femur\.md: front matter is not valid YAML"),
    "no front matter": (lambda r: _femur(r).write_text("Just text about the femur.\n" * 5), r"femur\.md: no front matter"),
    "short text": (lambda r: _femur(r).write_text("---\nname: Femur\ngroup: bones\ncolour: '#ffffff'\n---\nTODO\n"), r"femur\.md: field 'text': text is 4 characters"),
    "bad file name": (lambda r: _femur(r).rename(_femur(r).with_name("Femur Bone.md")), r"Femur Bone\.md: file name 'Femur Bone' is not a valid id"),
    "unknown parent": (lambda r: _edit(_femur(r), "group: bones", "group: bones\nparent: pelvis"), r"femur\.md: field 'parent': unknown parent 'pelvis'"),
    "parent loop": (
        lambda r: (_edit(_femur(r), "group: bones", "group: bones\nparent: tibia"),
                   _edit(r / "annotations/structures/tibia.md", "group: bones", "group: bones\nparent: femur")),
        r"field 'parent': parent chain loops back",
    ),
    "cause with unknown structure": (lambda r: _add_cause(r, "[posterior_cruciate]"), r"pcl_tear\.md: field 'structures': unknown structure 'posterior_cruciate'"),
    "cause with no structure": (lambda r: _add_cause(r, "[]"), r"pcl_tear\.md: field 'structures': lists no structure"),
    "mesh file missing": (lambda r: (r / "meshes" / "patella.ply").unlink(), r"PROVENANCE\.toml: field 'patella\.file': patella\.ply does not exist"),
    "mesh without entry": (lambda r: (r / "meshes" / "extra.ply").write_bytes((r / "meshes" / "patella.ply").read_bytes()), r"extra\.ply: mesh has no entry in PROVENANCE\.toml"),
    "wrong checksum": (lambda r: (r / "meshes" / "patella.ply").write_bytes((r / "meshes" / "patella.ply").read_bytes()[:-12]), r"patella\.ply: sha256 is [0-9a-f]{12}\.\.\., PROVENANCE\.toml says"),
    "annotation names a missing mesh": (lambda r: _edit(_femur(r), "mesh: femur.ply", "mesh: femur2.ply"), r"femur\.md: field 'mesh': femur2\.ply not found"),
    "licence not SPDX": (lambda r: _edit(_provenance(r), 'license = "MIT"', 'license = "the MIT one"'), r"field '[a-z_]+\.license': 'the MIT one' is not an SPDX licence expression"),
    "provenance level": (lambda r: _edit(_provenance(r), 'provenance = "inferred"', 'provenance = "probably"'), r"field '[a-z_]+\.provenance': 'probably' is not one of verified, inferred, unknown"),
    "provenance field missing": (lambda r: _edit(_provenance(r), "attribution = ", "credit = "), r"field '[a-z_]+\.attribution': missing"),
    "provenance not toml": (lambda r: _provenance(r).write_text("[femur\n"), r"PROVENANCE\.toml: not valid TOML"),
    "group list broken": (lambda r: _edit(r / "annotations/atlas.yaml", "- {id: bones, name: Bones}", "- {id: bones}"), r"atlas\.yaml: field 'groups\[0\]': must have an id and a name"),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_validate_reports_each_problem(breakage, atlas_copy, capsys):
    breaks, expected = BREAKAGES[breakage]
    breaks(atlas_copy)
    assert main(["--root", str(atlas_copy), "validate"]) == 1
    err = capsys.readouterr().err
    assert re.search(expected, err), err
    assert "Traceback" not in err


def test_validate_passes_on_the_project_atlas(capsys):
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: 44 structures")


def test_every_problem_is_listed_not_just_the_first(atlas_copy, capsys):
    _edit(_femur(atlas_copy), "group: bones", "group: bone")
    _edit(atlas_copy / "annotations/structures/tibia.md", '"#e6dcc4"', '"grey"')
    assert main(["--root", str(atlas_copy), "validate"]) == 1
    err = capsys.readouterr().err
    assert "femur.md: field 'group'" in err and "tibia.md: field 'colour'" in err
    assert "2 problem(s) found" in err
