"""The notebooks run top to bottom in a fresh kernel, offline, writing only to a temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: What a notebook's outputs must not say: a warning or an error printed on the way.
WARNING_WORDS = ("Warning", "warning", "WARNING", "Traceback", "DeprecationWarning")


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_explore.ipynb", "02_pain_causes.ipynb", "03_slides.ipynb"]


def _run(notebook: Path, tmp_path: Path, monkeypatch) -> tuple[object, Path]:
    """Run a notebook in a fresh kernel; returns it with its outputs, and the folder it was told to write to."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("KNEE_EXPLORER_OUT", str(out))
    if not os.environ.get("DISPLAY"):
        monkeypatch.setenv("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    nb = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb, out


def _outputs(nb) -> list[dict]:
    return [o for cell in nb.cells for o in cell.get("outputs", [])]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(notebook, tmp_path, monkeypatch):
    nb, out = _run(notebook, tmp_path, monkeypatch)
    assert [o for o in _outputs(nb) if o.get("output_type") == "error"] == []
    assert any(out.iterdir())
    assert not any(p for p in tmp_path.iterdir() if p.name != "out")
    printed = "".join(o.get("text", "") for o in _outputs(nb) if o.get("output_type") == "stream")
    assert not [word for word in WARNING_WORDS if word in printed], printed


def test_the_explore_notebook_stays_small_and_speaks_in_names(tmp_path, monkeypatch, atlas):
    """Run, it is under 1 MB with its pictures and its inline view, and names causes and structures as people do."""
    nbformat = pytest.importorskip("nbformat")
    nb, _ = _run(NOTEBOOKS[0], tmp_path, monkeypatch)
    saved = tmp_path / "out" / "executed.ipynb"
    nbformat.write(nb, saved)
    assert saved.stat().st_size < 1_000_000
    printed = "".join(o.get("text", "") for o in _outputs(nb) if o.get("output_type") == "stream")
    nerve = atlas["tibial_nerve"]
    for cause_id in nerve.causes:
        cause = atlas.causes[cause_id]
        assert cause.name in printed
        assert all(atlas[sid].name in printed for sid in cause.structures)
        assert not [sid for sid in cause.structures if sid in printed and sid != atlas[sid].name], printed
    assert "iframe srcdoc=" in json.dumps([o.get("data", {}) for o in _outputs(nb)])
    assert "Superficial fibular nerve: the outer front of the lower two thirds of the leg" in printed
