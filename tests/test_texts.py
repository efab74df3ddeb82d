"""The atlas texts: complete, in the project's own words, and safe to render."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from explorer.annotations import plain_text, word_count
from explorer.atlas import load_atlas
from explorer.text import markdown_to_html

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KNEE_EXPLORER_SHARED") or ROOT.parent / "shared")
ARTICLE = SHARED / "seed" / "posterior-knee-pain-article.txt"
SHINGLE = 10  # words; no run this long may match the source article

STRUCTURE_IDS = {
    "bones": "femur tibia fibula patella",
    "cartilage": "femoral_cartilage medial_tibial_cartilage lateral_tibial_cartilage patellar_cartilage",
    "menisci": "medial_meniscus lateral_meniscus",
    "ligaments": "anterior_cruciate_ligament posterior_cruciate_ligament medial_collateral_ligament "
                 "lateral_collateral_ligament posterior_oblique_ligament patellar_ligament oblique_popliteal_ligament iliotibial_band "
                 "posterior_joint_capsule",
    "nerves": "sciatic_nerve tibial_nerve common_fibular_nerve medial_sural_cutaneous_nerve lateral_sural_cutaneous_nerve "
              "sural_nerve superficial_fibular_nerve deep_fibular_nerve tibial_nerve_muscular_branches "
              "posterior_femoral_cutaneous_nerve saphenous_nerve lateral_femoral_cutaneous_nerve "
              "anterior_femoral_cutaneous_nerves",
    "vessels": "popliteal_artery popliteal_vein small_saphenous_vein superior_medial_genicular_artery "
               "superior_lateral_genicular_artery middle_genicular_artery great_saphenous_vein anterior_tibial_artery "
               "posterior_tibial_artery posterior_tibial_veins fibular_veins gastrocnemius_veins soleal_veins",
    "muscles": "biceps_femoris semimembranosus semitendinosus gastrocnemius_medial_head gastrocnemius_lateral_head "
               "popliteus plantaris soleus vastus_lateralis vastus_medialis gracilis sartorius tibialis_anterior "
               "extensor_digitorum_longus fibularis_longus biceps_femoris_tendon semitendinosus_tendon gracilis_tendon "
               "popliteus_tendon soleus_tendon adductor_magnus_tendon",
    "bursae": "semimembranosus_gastrocnemius_bursa bakers_cyst popliteal_vein_thrombus",
    "fat_pads": "infrapatellar_fat_pad",
    "regions": "popliteal_fossa posterolateral_corner posteromedial_corner popliteal_fascia",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", plain_text(text).lower().replace("\u2019", "'"))


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def test_every_structure_has_a_text_of_80_to_200_words(atlas):
    for group, ids in STRUCTURE_IDS.items():
        for structure_id in ids.split():
            structure = atlas[structure_id]
            assert structure.group == group, structure_id
            assert 80 <= word_count(structure.text) <= 200, (structure_id, word_count(structure.text))


def test_nerves_say_where_they_come_from(atlas):
    for nerve in atlas.in_group("nerves"):
        assert re.search(r"sciatic nerve|femoral nerve|(sacral|lumbar) plexus", nerve.text), nerve.id
    assert "supplies" in atlas["tibial_nerve"].text and "supplies" in atlas["common_fibular_nerve"].text
    assert "outer side of the foot" in atlas["sural_nerve"].text


def test_every_cause_cites_its_figures_and_links_back(atlas):
    assert len(atlas.causes) >= 10
    for cause in atlas.causes.values():
        assert cause.structures and all(cause.id in atlas[s].causes for s in cause.structures), cause.id
        assert all(item.source.strip() for item in cause.evidence), cause.id
    assert atlas.causes["deep_vein_thrombosis"].urgent


FIGURES = {
    "osteoarthritis": ["2018 systematic review of 63 studies", "5,400 knees", "4,700 adults", "4% to 14%", "19% to 43%",
                       "Cochrane Review of 44", "thirteen trials"],
    "hamstring_strain": ["2016 study of 506 hamstrings", "253 patients", "15%", "2%", "University of São Paulo"],
    "pcl_tear": ["2 cases per 100,000 people", "Mayo Clinic study"],
    "meniscus_tear": ["2014 review", "230 sedentary adults", "30%"],
    "calf_strain": ["2017 systematic review of 10 studies", "5,300 athletes"],
    "deep_vein_thrombosis": ["1 out of 1,000 adults", "5.5%", "2017 retrospective study"],
}


def test_each_cause_gives_the_figures_with_their_study(atlas):
    for cause_id, figures in FIGURES.items():
        cited = " ".join(f"{item.finding} {item.source}" for item in atlas.causes[cause_id].evidence)
        for figure in figures:
            assert figure.lower() in cited.lower(), (cause_id, figure)
            assert figure.lower() in " ".join(plain_text(atlas.causes[cause_id].text).split()).lower(), (cause_id, figure)


@pytest.mark.skipif(not ARTICLE.is_file(), reason=f"source article not found at {ARTICLE} (set KNEE_EXPLORER_SHARED)")
def test_every_number_cited_as_evidence_is_in_the_article(atlas):
    article = ARTICLE.read_text(encoding="utf-8")
    for cause in atlas.causes.values():
        for item in cause.evidence:
            for number in re.findall(r"\d[\d,.]*\d%?|\d%?", f"{item.finding} {item.source}"):
                assert number in article, (cause.id, number)


@pytest.mark.skipif(not ARTICLE.is_file(), reason=f"source article not found at {ARTICLE} (set KNEE_EXPLORER_SHARED)")
def test_no_run_of_ten_words_is_copied_from_the_article():
    article = _shingles(_words(ARTICLE.read_text(encoding="utf-8")))
    copied = {}
    for path in sorted((ROOT / "annotations").rglob("*")):
        if path.suffix in {".md", ".yaml"}:
            found = _shingles(_words(path.read_text(encoding="utf-8"))) & article
            if found:
                copied[path.relative_to(ROOT).as_posix()] = " ".join(sorted(found)[0])
    assert not copied, copied


HOSTILE = (
    "The femur is the thigh bone. <script>alert('x')</script> and "
    '<img src=x onerror="alert(1)"> and <iframe src="https://example.org"></iframe> '
    "and [a link](javascript:alert(1)) in a text long enough to pass the length check, "
    "with more words about the bone so that the loader accepts it as a real structure text "
    "and renders it for a student who opens the explorer in a browser.\n"
)


def test_hostile_markup_in_an_annotation_is_escaped_not_executed(atlas_copy):
    femur = atlas_copy / "annotations" / "structures" / "femur.md"
    front, _ = femur.read_text(encoding="utf-8").rsplit("\n---\n", 1)
    femur.write_text(front + "\n---\n" + HOSTILE, encoding="utf-8")
    html = markdown_to_html(load_atlas(atlas_copy, meshes=False)["femur"].text)
    assert not re.search(r"<\s*(script|img|iframe)", html, re.IGNORECASE), html
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert 'href="javascript:' not in html


def test_hostile_markup_in_a_cause_is_escaped_not_executed(atlas_copy):
    cause = atlas_copy / "annotations" / "causes" / "calf_strain.md"
    text = cause.read_text(encoding="utf-8").replace(
        "## Red flags\n", "## Red flags\n<script>document.cookie</script> <svg onload=alert(1)></svg>\n", 1)
    cause.write_text(text, encoding="utf-8")
    loaded = load_atlas(atlas_copy, meshes=False).causes["calf_strain"]
    for html in (markdown_to_html(loaded.text), markdown_to_html(loaded.sections["Red flags"])):
        assert not re.search(r"<\s*(script|svg)", html, re.IGNORECASE), html
        assert "&lt;script&gt;" in html


def test_project_texts_render_without_raw_html(atlas):
    texts = [s.text for s in atlas.structures.values()] + [c.text for c in atlas.causes.values()]
    for text in texts:
        assert "<" not in text and ">" not in text
        assert not re.search(r"<\s*[a-z]+[^>]*\son\w+=", markdown_to_html(text))


def test_glossary_links_render_as_safe_anchors_with_the_definition(atlas):
    from explorer.glossary import anchor_links

    html = markdown_to_html(anchor_links(atlas.causes["bakers_cyst"].text, atlas.glossary))
    assert 'href="#glossary-effusion" title="Extra fluid inside a joint' in html
    assert "glossary:" not in html
