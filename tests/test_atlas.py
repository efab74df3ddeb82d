import shutil
from pathlib import Path

import pytest

from explorer.annotations import GLOSSARY_LINK
from explorer.atlas import Evidence, load_atlas
from explorer.causes import REQUIRED_SECTIONS

MRI_STRUCTURES = {
    "femur": "bones", "tibia": "bones", "fibula": "bones", "patella": "bones",
    "femoral_cartilage": "cartilage", "medial_tibial_cartilage": "cartilage",
    "lateral_tibial_cartilage": "cartilage", "patellar_cartilage": "cartilage",
    "medial_meniscus": "menisci", "lateral_meniscus": "menisci",
}


def test_every_mri_structure_is_annotated_with_a_mesh(atlas):
    for structure_id, group in MRI_STRUCTURES.items():
        structure = atlas[structure_id]
        assert structure.group == group, structure_id
        assert structure.mesh is not None and structure.mesh.n_cells > 0, structure_id
        assert len(structure.summary.split()) >= 40, f"{structure_id}: first paragraph too short"
        assert structure.provenance.license in {"MIT", "MIT AND Apache-2.0"}
        assert not structure.schematic


def test_frame_is_stated_in_the_atlas_metadata(atlas):
    assert atlas.frame["units"] == "mm"
    assert atlas.frame["axes"] == {"x": "lateral", "y": "anterior", "z": "superior"}
    assert "joint line" in atlas.frame["origin"]


def test_search_matches_names_and_aliases(atlas):
    assert [s.id for s in atlas.search("thigh bone")] == ["femur"]
    assert {s.id for s in atlas.search("kneecap")} == {"patella", "patellar_cartilage"}
    assert {s.id for s in atlas.search("MENISCUS")} == {"medial_meniscus", "lateral_meniscus"}
    assert atlas.search("   ") == []


def test_unknown_structure_is_a_clear_key_error(atlas):
    with pytest.raises(KeyError, match="unknown structure id 'femurr'"):
        atlas["femurr"]


def test_causes_link_both_ways(atlas_copy: Path):
    causes = atlas_copy / "annotations" / "causes"
    shutil.rmtree(causes, ignore_errors=True)
    shutil.rmtree(atlas_copy / "annotations" / "tours", ignore_errors=True)  # each tour follows one of the causes
    causes.mkdir()
    sections = "".join(f"\n\n## {s}\nThe back of the medial meniscus tears, often without any pain at all." for s in REQUIRED_SECTIONS)
    (causes / "meniscus_tear.md").write_text(
        "---\nname: Meniscus tear\nstructures: [medial_meniscus, lateral_meniscus]\n"
        "evidence:\n  - {finding: about 30% had a meniscus tear, source: a 2020 study on 230 sedentary adults}\n---\n"
        "A tear in one of the two cartilage pads of the knee, often at the back of the medial meniscus, "
        "and often found on scans of knees that do not hurt." + sections + "\n",
        encoding="utf-8",
    )
    atlas = load_atlas(atlas_copy, meshes=False)
    cause = atlas.causes["meniscus_tear"]
    assert cause.structures == ("medial_meniscus", "lateral_meniscus")
    assert cause.evidence == (Evidence("about 30% had a meniscus tear", "a 2020 study on 230 sedentary adults"),)
    assert cause.urgent is False and set(cause.sections) == set(REQUIRED_SECTIONS)
    assert cause.text.startswith("A tear in one") and "## Red flags" in cause.text
    assert atlas["medial_meniscus"].causes == ("meniscus_tear",)
    assert atlas["femur"].causes == ()


def test_glossary_and_disclaimer_are_loaded(atlas):
    assert atlas.glossary["effusion"].term == "Effusion"
    assert {"eccentric", "effusion", "bursa", "central_sensitisation", "fibrocartilage", "hyaline_cartilage",
            "condyle"} <= set(atlas.glossary)
    assert "not a diagnosis" in atlas.disclaimer


def test_every_glossary_link_resolves_and_every_term_is_used(atlas):
    texts = [s.text for s in atlas.structures.values()] + [c.text for c in atlas.causes.values()]
    texts += [t.definition for t in atlas.glossary.values()]
    linked = {match.group(2) for text in texts for match in GLOSSARY_LINK.finditer(text)}
    assert linked <= set(atlas.glossary)
    assert linked == set(atlas.glossary), f"terms no text links to: {sorted(set(atlas.glossary) - linked)}"


def test_hierarchy_reaches_a_group_from_every_structure(atlas):
    for structure in atlas.structures.values():
        node = structure.parent
        while node in atlas.structures:
            node = atlas.structures[node].parent
        assert node in atlas.groups, structure.id


def test_the_cruciates_are_told_apart_by_colour(atlas):
    """The ACL and PCL cross each other in the notch: side by side, each must be seen as itself."""
    def rgb(colour: str) -> list[int]:
        return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]

    acl, pcl = (rgb(atlas[f"{side}_cruciate_ligament"].colour) for side in ("anterior", "posterior"))
    assert sum((a - b) ** 2 for a, b in zip(acl, pcl)) ** 0.5 > 60
