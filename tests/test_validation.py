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


SECTION_TEXT = "The ligament at the back of the joint tears and the back of the knee aches. "
CAUSE_BODY = "A summary of the cause. " * 6 + "".join(
    f"\n\n## {heading}\n{SECTION_TEXT}" for heading in ("How it presents", "Why it hurts behind the knee", "Red flags", "What helps")
)


def _add_cause(root: Path, structures: str, extra: str = "", body: str = CAUSE_BODY) -> None:
    (root / "annotations" / "causes").mkdir(exist_ok=True)
    (root / "annotations" / "causes" / "pcl_tear.md").write_text(
        f"---\nname: PCL tear\nstructures: {structures}\n{extra}---\n{body}\n", encoding="utf-8",
    )


def _glossary(root: Path) -> Path:
    return root / "annotations" / "glossary.yaml"


BREAKAGES = {
    "missing name": (lambda r: _edit(_femur(r), "name: Femur\n", ""), r"femur\.md: field 'name': missing"),
    "unknown group": (lambda r: _edit(_femur(r), "group: bones", "group: bone"), r"femur\.md: field 'group': unknown group 'bone'"),
    "bad colour": (lambda r: _edit(_femur(r), '"#e9e1cc"', '"beige"'), r"femur\.md: field 'colour': 'beige' is not a #rrggbb colour"),
    "aliases not a list": (lambda r: _edit(_femur(r), "aliases: [thigh bone, thighbone]", "aliases: 3"), r"femur\.md: field 'aliases': must be a list of strings"),
    "unknown field": (lambda r: _edit(_femur(r), "group: bones", "group: bones\ncolor: red"), r"femur\.md: field 'color': unknown field"),
    "broken yaml": (lambda r: _edit(_femur(r), "name: Femur", "name: [Femur"), r"femur\.md: front matter is not valid YAML"),
    "no front matter": (lambda r: _femur(r).write_text("Just text about the femur.\n" * 5), r"femur\.md: no front matter"),
    "short text": (lambda r: _femur(r).write_text("---\nname: Femur\ngroup: bones\ncolour: '#ffffff'\n---\nThe thigh bone.\n"), r"femur\.md: field 'text': text is 3 words; at least 40 are needed"),
    "placeholder TODO": (lambda r: _edit(_femur(r), "The femur is", "TODO: the femur is"), r"femur\.md: field 'text': placeholder text 'TODO'"),
    "placeholder lorem": (lambda r: _edit(_femur(r), "The femur is", "Lorem ipsum. The femur is"), r"femur\.md: field 'text': placeholder text 'Lorem'"),
    "placeholder tbd in name": (lambda r: _edit(_femur(r), "name: Femur", "name: Femur (tbd)"), r"femur\.md: field 'name': placeholder text 'tbd'"),
    "placeholder fixme in cause": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", body=CAUSE_BODY.replace("A summary", "FIXME a summary", 1)), r"pcl_tear\.md: field 'text': placeholder text 'FIXME'"),
    "unknown glossary link": (lambda r: _edit(_femur(r), "is the thigh bone", "is the thigh [bone](glossary:bon)"), r"femur\.md: field 'text': link to unknown glossary term 'bon'"),
    "glossary entry incomplete": (lambda r: _glossary(r).write_text("bursa: {term: Bursa}\n"), r"glossary\.yaml: field 'bursa': must have exactly the keys 'term' and 'definition'"),
    "glossary definition links unknown term": (lambda r: _glossary(r).write_text("bursa: {term: Bursa, definition: 'A sac of fluid that lets a [tendon](glossary:tendom) glide.'}\n"), r"glossary\.yaml: field 'bursa\.definition': link to unknown glossary term 'tendom'"),
    "disclaimer placeholder": (lambda r: _edit(r / "annotations/atlas.yaml", "disclaimer: ", "disclaimer: TBD "), r"atlas\.yaml: field 'disclaimer': placeholder text 'TBD'"),
    "bad file name": (lambda r: _femur(r).rename(_femur(r).with_name("Femur Bone.md")), r"Femur Bone\.md: file name 'Femur Bone' is not a valid id"),
    "unknown parent": (lambda r: _edit(_femur(r), "group: bones", "group: bones\nparent: pelvis"), r"femur\.md: field 'parent': unknown parent 'pelvis'"),
    "parent loop": (
        lambda r: (_edit(_femur(r), "group: bones", "group: bones\nparent: tibia"),
                   _edit(r / "annotations/structures/tibia.md", "group: bones", "group: bones\nparent: femur")),
        r"field 'parent': parent chain loops back",
    ),
    "cause with unknown structure": (lambda r: _add_cause(r, "[posterior_cruciate]"), r"pcl_tear\.md: field 'structures': unknown structure 'posterior_cruciate'"),
    "cause with no structure": (lambda r: _add_cause(r, "[]"), r"pcl_tear\.md: field 'structures': lists no structure"),
    "evidence without source": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", "evidence:\n  - {finding: 2 cases per 100,000 people}\n"), r"pcl_tear\.md: field 'evidence\[0\]\.source': missing: every figure needs the study it comes from"),
    "evidence with empty source": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", "evidence:\n  - {finding: 2 cases per 100,000 people, source: ' '}\n"), r"pcl_tear\.md: field 'evidence\[0\]\.source': missing"),
    "evidence not a list": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", "evidence: 2 per 100,000\n"), r"pcl_tear\.md: field 'evidence': must be a list of \{finding, source\}"),
    "urgent not a bool": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", "urgent: maybe\n"), r"pcl_tear\.md: field 'urgent': must be a bool"),
    "required section missing": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", body=CAUSE_BODY.replace("## Red flags", "## Warning signs")), r"pcl_tear\.md: field 'text': required section '## Red flags' missing"),
    "unknown section": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", body=CAUSE_BODY + "\n\n## Misc\n" + SECTION_TEXT), r"pcl_tear\.md: field 'text': unknown section '## Misc'"),
    "empty section": (lambda r: _add_cause(r, "[posterior_cruciate_ligament]", body=CAUSE_BODY.replace("## What helps\n" + SECTION_TEXT, "## What helps\n")), r"pcl_tear\.md: field 'text: What helps': text is 0 words"),
    "mesh file missing": (lambda r: (r / "meshes" / "patella.ply").unlink(), r"PROVENANCE\.toml: field 'patella\.file': patella\.ply does not exist"),
    "mesh without entry": (lambda r: (r / "meshes" / "extra.ply").write_bytes((r / "meshes" / "patella.ply").read_bytes()), r"extra\.ply: mesh has no entry in PROVENANCE\.toml"),
    "wrong checksum": (lambda r: (r / "meshes" / "patella.ply").write_bytes((r / "meshes" / "patella.ply").read_bytes()[:-12]), r"patella\.ply: sha256 is [0-9a-f]{12}\.\.\., PROVENANCE\.toml says"),
    "mesh entry for no structure": (lambda r: _edit(r / "meshes" / "PROVENANCE.toml", "[femur]", "[femur2]"), r"PROVENANCE\.toml: field 'femur2': no structure 'femur2'"),
    "licence not SPDX": (lambda r: _edit(_provenance(r), 'license = "MIT"', 'license = "the MIT one"'), r"field '[a-z_]+\.license': 'the MIT one' is not an SPDX licence expression"),
    "provenance level": (lambda r: _edit(_provenance(r), 'provenance = "inferred"', 'provenance = "probably"'), r"field '[a-z_]+\.provenance': 'probably' is not one of verified, inferred, unknown"),
    "provenance field missing": (lambda r: _edit(_provenance(r), "attribution = ", "credit = "), r"field '[a-z_]+\.attribution': missing"),
    "unknown provenance source": (lambda r: _edit(_provenance(r), 'sources = [\n    "mri-labels",', 'sources = [\n    "mri-labelz",'), r"field '[a-z_]+\.sources': unknown source 'mri-labelz'"),
    "source without attribution": (lambda r: _edit(_provenance(r), 'attribution = "Whole leg bones', 'credit = "Whole leg bones'), r"field 'sources\.leg-model-[a-z]+': missing attribution"),
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
    assert main(["--geometry", "mskt", "validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: 75 structures") and "(geometry mskt:" in out


def test_every_problem_is_listed_not_just_the_first(atlas_copy, capsys):
    _edit(_femur(atlas_copy), "group: bones", "group: bone")
    _edit(atlas_copy / "annotations/structures/tibia.md", '"#e6dcc4"', '"grey"')
    assert main(["--root", str(atlas_copy), "validate"]) == 1
    err = capsys.readouterr().err
    assert "femur.md: field 'group'" in err and "tibia.md: field 'colour'" in err
    assert "2 problem(s) found" in err
