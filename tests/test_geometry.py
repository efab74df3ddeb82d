"""Choosing a geometry set: by name, by environment, or the best present; clear errors otherwise."""

from __future__ import annotations

import json

import pytest

from explorer.atlas import load_atlas
from explorer.cli import main
from explorer.geometry import (MANIFEST, SPL_BUILD_VERSION, build_fingerprint, choose_geometry, expected_spl_sources,
                               geometry_set)


def test_the_committed_set_is_chosen_when_nothing_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("KNEE_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.delenv("KNEE_EXPLORER_GEOMETRY", raising=False)
    assert choose_geometry().name == "mskt"
    assert load_atlas(meshes=False).geometry.name == "mskt"


def test_an_unknown_or_unbuilt_set_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KNEE_EXPLORER_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="unknown geometry 'bone' \\(known: mskt, spl\\)"):
        choose_geometry("bone")
    assert main(["--geometry", "spl", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"knee-explorer list: geometry 'spl' is not built in {tmp_path / 'geometry' / 'spl' / 'v1'} "
                   "(build it with: knee-explorer build-meshes --geometry spl)")


def test_an_incomplete_or_stale_build_is_not_present(monkeypatch, tmp_path):
    monkeypatch.setenv("KNEE_EXPLORER_CACHE", str(tmp_path))
    spl = geometry_set("spl")
    spl.folder.mkdir(parents=True)
    assert not spl.present(), "no manifest: an interrupted build"
    (spl.folder / MANIFEST).write_text(json.dumps({"version": "0", "sources": expected_spl_sources()}))
    assert not spl.present(), "an older build version"
    (spl.folder / MANIFEST).write_text(json.dumps({"version": SPL_BUILD_VERSION, "sources": {}}))
    assert not spl.present(), "other sources"
    current = {"version": SPL_BUILD_VERSION, "sources": expected_spl_sources(), "build": build_fingerprint()}
    (spl.folder / MANIFEST).write_text(json.dumps({**current, "build": "0" * 64}))
    assert not spl.present(), "built by other build code"
    (spl.folder / MANIFEST).write_text(json.dumps(current))
    assert spl.present()


def test_the_environment_names_the_set(monkeypatch, tmp_path):
    monkeypatch.setenv("KNEE_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.setenv("KNEE_EXPLORER_GEOMETRY", "spl")
    with pytest.raises(ValueError, match="not built"):
        load_atlas(meshes=False)
