"""The mesh build: checked sources, reproducible output identical to the committed meshes, fidelity."""

import shutil

import pytest

from explorer.atlas import default_root
from explorer.build import meshes as build
from explorer.build.sources import SOURCES, default_data_dir
from explorer.cli import main

DATA = default_data_dir()
needs_sources = pytest.mark.skipif(
    not all(source.path(DATA).is_file() for source in SOURCES.values()),
    reason=f"source data not found under {DATA} (set KNEE_EXPLORER_SHARED or KNEE_EXPLORER_DATA)",
)


@needs_sources
def test_build_reproduces_the_committed_meshes_within_fidelity(tmp_path):
    out = tmp_path / "meshes"
    lines = []
    reports = build.build_meshes(DATA, out, log=lines.append)
    committed = default_root() / "meshes"
    for path in sorted(out.iterdir()):
        assert path.read_bytes() == (committed / path.name).read_bytes(), f"{path.name} differs from the committed file"
    assert {p.name for p in out.iterdir()} == {p.name for p in committed.iterdir()}
    for report in reports:
        assert report.closed, report.line()
        assert report.fidelity.within(build.FIDELITY_P95_MM, build.FIDELITY_MAX_MM), report.line()
    assert len(reports) == 10, "ten MRI-derived structures"
    assert len(lines) == len(list(out.glob("*.ply"))), "the build prints one line per mesh"


@needs_sources
def test_a_source_with_a_wrong_checksum_stops_the_build(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    stl = SOURCES["fibula"].path(data)
    stl.chmod(0o644)
    stl.write_bytes(stl.read_bytes() + b"\0")
    out = tmp_path / "meshes"
    assert main(["build-meshes", "--data-dir", str(data), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "r_fibula.stl: sha256 is" in err
    assert not out.exists()


def test_a_missing_source_is_named(tmp_path, capsys):
    assert main(["build-meshes", "--data-dir", str(tmp_path), "--out", str(tmp_path / "m")]) == 1
    assert "SAG_3D_DESS_RIGHT_bones_cart_men_fib-label.nrrd: source file missing" in capsys.readouterr().err
