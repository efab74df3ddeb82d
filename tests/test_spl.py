"""The spl geometry set: its sources checked and fetched, its build, and the real knee's anatomy.

Tests that need the SPL Knee Atlas files skip without them; those on the built set skip when it is not
built here (``make test`` builds it into the cache first).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from explorer.atlas import load_atlas
from explorer.build import spl_provenance, spl_sources
from explorer.build.sources import SourceError, default_data_dir
from explorer.cli import main
from explorer.geometry import geometry_set
from explorer.meshio import parse_ply

DATA = default_data_dir()
SPL = DATA / "spl-knee-atlas"
needs_atlas_files = pytest.mark.skipif(not SPL.is_dir(), reason=f"SPL Knee Atlas not found under {SPL}")
BUILT = geometry_set("spl")
needs_built_set = pytest.mark.skipif(not BUILT.present(), reason=f"spl geometry not built in {BUILT.folder}")


@pytest.fixture
def mirror(tmp_path):
    """A copy of the atlas's files served on localhost, as its public home serves them."""
    folder = tmp_path / "mirror"
    shutil.copytree(SPL, folder)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@needs_atlas_files
def test_fetch_downloads_every_pinned_file_and_checks_it(mirror, tmp_path):
    _, url = mirror
    lines = []
    fetched = spl_sources.fetch(tmp_path / "got", base_url=url, log=lines.append)
    assert set(fetched) == set(spl_sources.PINNED_SUMS)
    assert len(lines) == len(spl_sources.PINNED_SUMS), "one line per downloaded file"
    assert spl_sources.fetch(tmp_path / "got", base_url=url, log=lines.append) == fetched
    assert len(lines) == len(spl_sources.PINNED_SUMS), "files already there and right are not downloaded again"


@needs_atlas_files
def test_fetch_refuses_a_file_whose_sum_differs_and_leaves_nothing(mirror, tmp_path):
    folder, url = mirror
    (folder / "Model_97_fibula.vtk").write_bytes(b"not the atlas's fibula")
    target = tmp_path / "got"
    with pytest.raises(SourceError, match=r"Model_97_fibula.vtk: sha256 is [0-9a-f]{64}, expected 5ad31185"):
        spl_sources.fetch(target, base_url=url, log=lambda line: None)
    assert not (target / "Model_97_fibula.vtk").exists()
    assert not [p for p in target.iterdir() if p.name.startswith(".")], "a partial download was left behind"


@needs_atlas_files
def test_a_wrong_checksum_stops_the_spl_build_with_one_line_and_no_output(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SPL, data / "spl-knee-atlas")
    shutil.copytree(DATA / "myo-sim-leg", data / "myo-sim-leg")
    (data / "spl-knee-atlas" / "seg.nrrd").write_bytes(b"broken")
    out = tmp_path / "spl"
    assert main(["build-meshes", "--geometry", "spl", "--data-dir", str(data), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "seg.nrrd: sha256 is" in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == [data]


def test_if_needed_says_why_it_does_not_build_without_the_atlas(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KNEE_EXPLORER_CACHE", str(tmp_path / "cache"))
    assert main(["build-meshes", "--geometry", "spl", "--if-needed", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "spl geometry not built: no SPL Knee Atlas under" in out and "--fetch" in out
    assert not (tmp_path / "cache").exists()


def spl_mesh(structure_id: str) -> trimesh.Trimesh:
    vertices, faces = parse_ply((BUILT.folder / f"{structure_id}.ply").read_bytes(), structure_id)
    return trimesh.Trimesh(np.asarray(vertices, dtype=float), faces, process=False)


@needs_built_set
def test_the_built_set_validates_and_says_what_is_real():
    atlas = load_atlas(geometry="spl")
    assert atlas.geometry.name == "spl"
    from explorer.build.spl import STRUCTURES

    for structure_id, _kind in STRUCTURES.values():
        entry = atlas[structure_id].provenance
        assert entry is not None, f"{structure_id}: no provenance entry"
        assert not entry.schematic, f"{structure_id}: segmented, but marked schematic"
        assert "LicenseRef-3D-Slicer" in entry.license and "mirrored" in entry.modifications
    for structure_id in ("sciatic_nerve", "sural_nerve", "plantaris", "semimembranosus_gastrocnemius_bursa"):
        assert atlas[structure_id].schematic, f"{structure_id}: modelled, but not marked schematic"
    licence = (BUILT.folder / spl_provenance.LICENCE_COPY).read_text(encoding="utf-8")
    assert " ".join(licence.split()).startswith(spl_provenance.REQUIRED_OPENING), "the licence text is not the atlas's"


@needs_built_set
def test_credits_carry_the_atlas_notice_and_say_it_is_not_for_clinical_use(capsys):
    assert main(["--geometry", "spl", "credits"]) == 0
    out = capsys.readouterr().out
    assert "Geometry: SPL Knee Atlas" in out
    assert spl_provenance.REQUIRED_OPENING in out
    assert "clinical use is neither recommended nor advised" in out


@needs_built_set
def test_lcl_is_a_cord_from_the_lateral_epicondyle_to_the_fibular_head():
    lcl = spl_mesh("lateral_collateral_ligament").vertices
    top, bottom = lcl[lcl[:, 2] > lcl[:, 2].max() - 3.0], lcl[lcl[:, 2] < lcl[:, 2].min() + 3.0]
    to_femur = trimesh.proximity.closest_point(spl_mesh("femur"), top)[1].min()
    to_fibula = trimesh.proximity.closest_point(spl_mesh("fibula"), bottom)[1].min()
    assert to_femur <= 2.0, f"spl: lateral_collateral_ligament: upper end {to_femur:.1f} mm from the femur (limit 2)"
    assert to_fibula <= 2.0, f"spl: lateral_collateral_ligament: lower end {to_fibula:.1f} mm from the fibula (limit 2)"
    assert top[:, 0].mean() > 20.0, "spl: lateral_collateral_ligament: upper end is not on the lateral side"


@needs_built_set
def test_common_fibular_nerve_runs_behind_the_biceps_tendon_onto_the_fibular_neck():
    nerve, tendon = spl_mesh("common_fibular_nerve"), spl_mesh("biceps_femoris_tendon")
    for z in (10.0, 20.0, 30.0):
        at = [np.asarray(m.section(plane_origin=[0, 0, z], plane_normal=[0, 0, 1]).vertices).mean(axis=0)
              for m in (nerve, tendon)]
        assert at[0][1] < at[1][1] or at[0][0] < at[1][0], (
            f"spl: common_fibular_nerve: at z={z:.0f} mm neither behind nor medial of the biceps tendon "
            f"(nerve {np.round(at[0][:2], 1)}, tendon {np.round(at[1][:2], 1)})")
    low = nerve.vertices[nerve.vertices[:, 2] < -25.0]
    gap = trimesh.proximity.closest_point(spl_mesh("fibula"), low)[1].min()
    assert gap <= 5.0, f"spl: common_fibular_nerve: {gap:.1f} mm from the fibular neck (limit 5)"


@needs_built_set
def test_the_credits_page_names_the_geometry_and_carries_the_notice():
    from html import escape

    from explorer.app.server import credits_page

    html = credits_page(load_atlas(geometry="spl")).object
    assert "Geometry shown: SPL Knee Atlas" in html
    assert escape(spl_provenance.REQUIRED_OPENING) in html
    assert "clinical use is neither recommended nor advised" in html


@needs_built_set
def test_nothing_the_slab_cuts_ends_flat_at_its_edge():
    """Every segmented soft tissue reaching the edge of the atlas's slab goes on beyond it."""
    import tomllib

    from explorer.build.spl import STRUCTURES

    slab = tomllib.loads((BUILT.folder / "frame.toml").read_text(encoding="utf-8"))["slab"]
    bottom, top = slab["bottom_mm"], slab["top_mm"]
    for structure_id, kind in STRUCTURES.values():
        if kind in ("bone", "cartilage", "meniscus"):
            continue
        low, high = spl_mesh(structure_id).bounds[:, 2]
        if high > top - 2.0:
            assert high > top + 10.0, f"spl: {structure_id}: ends at z={high:.0f} mm, at the slab's top edge ({top:.0f})"
        if low < bottom + 2.0:
            assert low < bottom - 10.0, f"spl: {structure_id}: ends at z={low:.0f} mm, at the slab's bottom edge ({bottom:.0f})"


@needs_built_set
def test_each_join_beyond_the_slab_meets_the_segmented_end_edge_to_edge():
    """Where a model continues a segmented structure, the outlines 0.05 mm either side of the join are one
    outline: no step, no rim. On average they lie within 0.5 mm of each other (the area between them over
    their length), and nowhere more than 5 mm apart (the model's 14 to 18 sides cannot follow every notch
    of the segmented outline)."""
    import tomllib

    import shapely

    from explorer.build.continuation import section_shape

    modelled = tomllib.loads((BUILT.folder / "modelled.toml").read_text(encoding="utf-8"))
    joins = [(structure_id, join) for structure_id, entry in modelled.items() for join in entry.get("joins", [])]
    assert len(joins) >= 20, f"spl: only {len(joins)} joins recorded"
    for structure_id, join in joins:
        mesh, height = spl_mesh(structure_id), join["height_mm"]
        inward = -1.0 if height > 0 else 1.0
        inside, beyond = section_shape(mesh, height + inward * 0.05), section_shape(mesh, height - inward * 0.05)
        mean_gap = inside.symmetric_difference(beyond).area / ((inside.length + beyond.length) / 2)
        largest = shapely.hausdorff_distance(inside, beyond)
        where = f"spl: {structure_id}: across the join at z={height:.0f} mm"
        assert mean_gap <= 0.5, f"{where} the outlines lie {mean_gap:.2f} mm apart on average"
        assert largest <= 5.0, f"{where} the outlines lie up to {largest:.1f} mm apart"
