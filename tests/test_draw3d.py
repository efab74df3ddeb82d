"""The drawing helpers the browser explorer and the offline page share, run in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from explorer.draw3d import drawing_helpers

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu"]


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (`make test` installs the Debian chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.set_content(f"<script>{drawing_helpers()}</script>")
            yield page
        finally:
            browser.close()


def _creased(page, mesh: trimesh.Trimesh) -> dict:
    return page.evaluate("""([positions, indices]) => {
        const out = creasedNormals(new Float32Array(positions), new Uint32Array(indices));
        return {positions: Array.from(out.positions), indices: Array.from(out.indices), normals: Array.from(out.normals)};
    }""", [mesh.vertices.ravel().tolist(), mesh.faces.ravel().tolist()])


def test_a_box_is_shaded_flat_on_each_side(page):
    box = trimesh.creation.box(extents=(2.0, 3.0, 4.0))
    out = _creased(page, box)
    positions = np.reshape(np.asarray(out["positions"], dtype=float), (-1, 3))
    normals = np.reshape(np.asarray(out["normals"], dtype=float), (-1, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    faces = np.reshape(out["indices"], (-1, 3))
    assert len(positions) == 24  # each corner once per side that meets there
    shaded = trimesh.Trimesh(positions, faces, process=False)
    for face, normal in zip(faces, shaded.face_normals):
        assert (normals[face] @ normal).min() > 0.999


def test_a_smooth_surface_keeps_its_vertices(page):
    ball = trimesh.creation.icosphere(subdivisions=3, radius=10.0)
    out = _creased(page, ball)
    normals = np.reshape(np.asarray(out["normals"], dtype=float), (-1, 3))
    assert len(normals) == len(ball.vertices)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    assert (np.einsum("ij,ij->i", normals, ball.vertex_normals)).min() > 0.99
