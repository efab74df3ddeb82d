"""Shared fixtures: the project's atlas, and copies of it that tests may break."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from explorer.atlas import Atlas, default_root, load_atlas

ROOT = default_root()


def pytest_configure(config):
    """Tests that do not name a geometry set draw the committed one, whatever else is built here."""
    os.environ.setdefault("KNEE_EXPLORER_GEOMETRY", "mskt")


@pytest.fixture(autouse=True, scope="session")
def _off_screen_rendering():
    import pyvista as pv

    pv.OFF_SCREEN = True
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


@pytest.fixture(scope="session")
def atlas() -> Atlas:
    return load_atlas(ROOT)


@pytest.fixture
def atlas_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's annotations and meshes under ``tmp_path``."""
    for folder in ("annotations", "meshes"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture(scope="module")
def meshes(atlas):
    from explorer.app.meshdata import pack_meshes

    return pack_meshes(atlas)


@pytest.fixture(scope="module")
def sightlines(atlas):
    from explorer.sight import Sightlines

    return Sightlines(atlas)


@pytest.fixture
def app(atlas, meshes, sightlines):
    """The browser explorer for one session, built as the server builds it (without a page)."""
    from explorer.app import KneeExplorerApp

    return KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines)
