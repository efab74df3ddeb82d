"""Nerve territories in the exports: the offline page paints them in the browser, the GLB carries them as nodes.

Each export is made as a user makes it (``knee-explorer export --select ...``); the page is opened from disk
in headless Chromium and read back in pixels, the model with trimesh.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

from explorer.appearance import HIGHLIGHT_COLOUR, PAINT_OPACITY
from explorer.cli import main
from explorer.export.model import TO_GLTF, srgb_to_linear
from explorer.nerve_territories import inside_mm, leg_axis, paint_lists, territories_for, territory_at

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / ".node" / "node_modules" / "gltf-validator"
VIEWPORT = {"width": 1200, "height": 800}
#: Where the lateral sural cutaneous nerve's territory lies: the outer side of the upper calf.
LATERAL_CALF = (-80.0, 110.0)
#: Where the saphenous nerve's lies: the inner side of the upper leg.
INNER_LEG = (-80.0, 285.0)
#: How far (mm) the skin's cut may stray from a territory's border.
BORDER_MM = 3.0
#: How much more (0-255 a channel) a painted pixel's tint must lean towards its territory's colour than bare skin's
#: does (measured here: 36 to 39 for the orange and green territories, painted at 0.55 over what lies beneath).
PAINTED_TINT = 20.0


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _tint_towards(colour: np.ndarray, target: np.ndarray) -> float:
    """How far a colour's tint (the colour less its grey) reaches in the direction of the target colour's tint.

    Examples
    --------
    >>> orange = _rgb("#e0761c")
    >>> round(_tint_towards(orange, orange)), round(_tint_towards(np.array([128.0, 128.0, 128.0]), orange))
    (139, 0)
    """
    tint, towards = colour - colour.mean(), target - target.mean()
    return float(tint @ towards / np.linalg.norm(towards))


def _export(tmp_path: Path, name: str, *options: str) -> Path:
    """Export through the command line, as a user does; the suffix of ``name`` picks the format."""
    out = tmp_path / name
    assert main(["export", *options, str(out)]) == 0
    return out


# ---- the offline page ----------------------------------------------------------------------------------------


def _page_data(path: Path) -> dict:
    match = re.search(r'<script id="knee-data" type="application/json">(.*?)</script>', path.read_text(), re.S)
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def browser():
    import browser_support  # skips these tests, with the reason, without Chromium or Playwright

    with browser_support.sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(browser_support.CHROMIUM), args=browser_support.ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class OpenedPage:
    """An exported page opened from disk in headless Chromium, with the errors it raised."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.kneeExplorer !== undefined", timeout=60_000)
        self.canvas = self.page.locator("#canvas").bounding_box()

    def project(self, point) -> tuple[float, float]:
        """Where a point (mm) is drawn on the canvas."""
        return tuple(self.page.evaluate("(p) => kneeExplorer.project(p)", [float(v) for v in point]))

    def colour_at(self, point, size: int = 5) -> np.ndarray:
        """The mean colour of a size x size patch of the screen round where ``point`` (mm) is drawn."""
        from PIL import Image

        self.page.wait_for_timeout(300)  # the next animation frame has drawn the change
        x, y = self.project(point)
        picture = np.asarray(Image.open(io.BytesIO(self.page.screenshot())).convert("RGB"), dtype=float)
        left, top = round(self.canvas["x"] + x) - size // 2, round(self.canvas["y"] + y) - size // 2
        return picture[top:top + size, left:left + size].reshape(-1, 3).mean(axis=0)

    def pixel_picking(self, structure_id: str) -> tuple[float, float]:
        """A pixel of the canvas where a click picks ``structure_id``, searched round its label's point."""
        found = self.page.evaluate("""(id) => {
          const [cx, cy] = kneeExplorer.screenPoint(id);
          for (let r = 0; r <= 60; r += 3) for (let a = 0; a < 360; a += 30) {
            const x = cx + r * Math.cos(a * Math.PI / 180), y = cy + r * Math.sin(a * Math.PI / 180);
            if (kneeExplorer.pickAt(x, y) === id) return [x, y];
          }
          return null; }""", structure_id)
        assert found is not None, f"no pixel near {structure_id}'s label point picks it"
        return found

    def click(self, structure_id: str) -> None:
        """Click the structure on the canvas with the mouse, and wait until the page has selected it."""
        x, y = self.pixel_picking(structure_id)
        self.page.mouse.click(self.canvas["x"] + x, self.canvas["y"] + y)
        self.page.wait_for_function(f"kneeExplorer.selected === '{structure_id}'", timeout=30_000)

    def close(self) -> list[str]:
        self.page.close()
        return self.errors


def test_the_page_carries_the_leg_axis_and_the_patches_of_structures_with_territories(tmp_path, atlas):
    out = _export(tmp_path, "nerve.html", "--select", "common_fibular_nerve")
    data = _page_data(out)
    assert data["legAxis"] == leg_axis(atlas) and data["skin"] == ["skin"]
    drawn = [s["id"] for s in data["structures"]]
    assert set(data["paint"]) == {sid for sid in drawn if territories_for(atlas, sid)}  # no empty entries
    assert data["paint"]["common_fibular_nerve"] == paint_lists(territories_for(atlas, "common_fibular_nerve"))
    assert "femur" not in data["paint"] and len(data["paint"]["skin"]) == sum(
        len(t.patches) for t in atlas.nerve_territories.territories.values())


def test_the_exported_nerve_is_painted_on_the_skin_and_keyed(tmp_path, atlas, browser):
    point = atlas.pain_regions.surface_point(*LATERAL_CALF)
    orange = _rgb(atlas.nerve_territories.territories["lateral_sural_cutaneous_nerve"].colour)
    seen = {}
    for chosen in ("common_fibular_nerve", "femur"):
        opened = OpenedPage(browser, _export(tmp_path, f"{chosen}.html", "--select", chosen, "--camera", "lateral"))
        seen[chosen] = opened.colour_at(point)
        if chosen == "common_fibular_nerve":
            key = opened.page.locator("#info .info-territories")
            text = key.inner_text()
            swatches = key.locator(".territory-swatch").evaluate_all(
                "(spans) => spans.map((s) => getComputedStyle(s).backgroundColor)")
        assert opened.close() == []
    tint = {chosen: _tint_towards(colour, orange) for chosen, colour in seen.items()}
    assert tint["common_fibular_nerve"] > tint["femur"] + PAINTED_TINT, (tint, seen)
    lateral_sural = atlas.nerve_territories.territories["lateral_sural_cutaneous_nerve"]
    assert "Lateral sural cutaneous nerve" in text and lateral_sural.area in text
    assert lateral_sural.numbness.split(".")[0] in text
    assert "Schematic" in text and "Gray's Anatomy" in text
    assert swatches[0] == "rgb({}, {}, {})".format(*orange.astype(int))


def test_a_nerve_clicked_in_the_page_is_painted_and_the_paint_goes_with_the_next_click(tmp_path, atlas, browser):
    point = atlas.pain_regions.surface_point(*LATERAL_CALF)
    orange = _rgb(atlas.nerve_territories.territories["lateral_sural_cutaneous_nerve"].colour)
    opened = OpenedPage(browser, _export(tmp_path, "bones.html", "--select", "femur", "--camera", "lateral"))
    bare = opened.colour_at(point)
    opened.click("common_fibular_nerve")
    painted = opened.colour_at(point)
    assert "Lateral sural cutaneous nerve" in opened.page.locator("#info .info-territories").inner_text()
    opened.click("tibia")
    again = opened.colour_at(point)
    assert opened.page.locator("#info .info-territories").count() == 0
    assert opened.close() == []
    assert _tint_towards(painted, orange) > _tint_towards(bare, orange) + PAINTED_TINT, (bare, painted)
    assert np.abs(again - bare).max() <= 3, (bare, again)


def test_a_skin_nerve_with_no_model_exported_selected_is_painted_and_described(tmp_path, atlas, browser):
    assert atlas["saphenous_nerve"].mesh is None
    point = atlas.pain_regions.surface_point(*INNER_LEG)
    green = _rgb(atlas.nerve_territories.territories["saphenous_nerve"].colour)
    seen = {}
    for chosen in ("saphenous_nerve", "femur"):
        opened = OpenedPage(browser, _export(tmp_path, f"{chosen}.html", "--select", chosen, "--camera", "medial"))
        seen[chosen] = opened.colour_at(point)
        if chosen == "saphenous_nerve":
            assert opened.page.evaluate("kneeExplorer.selected") == "saphenous_nerve"
            assert opened.page.locator("#info h2.info-name").inner_text() == "Saphenous nerve"
            assert "Saphenous nerve" in opened.page.locator("#info .info-territories").inner_text()
        assert opened.close() == []
    assert _tint_towards(seen["saphenous_nerve"], green) > _tint_towards(seen["femur"], green) + PAINTED_TINT, seen


def test_the_selected_skin_shows_every_territory_in_its_own_colour_not_the_highlight(tmp_path, atlas, browser):
    out = _export(tmp_path, "skin.html", "--select", "skin", "--camera", "lateral")
    skin = next(s for s in _page_data(out)["structures"] if s["id"] == "skin")
    assert skin["colour"] == atlas["skin"].colour and not skin["highlight"]
    point = atlas.pain_regions.surface_point(*LATERAL_CALF)
    expected = _rgb(territory_at(atlas, "skin", point).colour)
    opened = OpenedPage(browser, out)
    painted = opened.colour_at(point)
    thigh = opened.colour_at(atlas.pain_regions.surface_point(60.0, 90.0))  # the outer thigh's nerve, in blue
    assert opened.close() == []
    assert _tint_towards(painted, expected) > _tint_towards(painted, _rgb(HIGHLIGHT_COLOUR)) + PAINTED_TINT, painted
    assert thigh[2] - thigh[0] > 15, thigh


# ---- the GLB model --------------------------------------------------------------------------------------------


def _gltf_json(path: Path) -> dict:
    data = path.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    return json.loads(data[20:20 + length])


def _skin_nodes(path: Path) -> tuple[dict[str, trimesh.Trimesh], dict[str, dict], dict[str, dict]]:
    """The skin's meshes (in metres), nodes and materials by node name."""
    scene = trimesh.load(path, force="scene")
    tree = _gltf_json(path)
    nodes = {n["name"]: n for n in tree["nodes"] if n["name"].startswith("skin")}
    materials = {name: tree["materials"][tree["meshes"][n["mesh"]]["primitives"][0]["material"]]
                 for name, n in nodes.items()}
    return {name: scene.geometry[name] for name in nodes}, nodes, materials


def _millimetres(mesh: trimesh.Trimesh) -> np.ndarray:
    """A model's vertices back in the atlas frame (mm)."""
    return np.asarray(mesh.vertices) @ np.linalg.inv(TO_GLTF).T


def test_the_glb_of_a_nerve_view_has_the_skin_cut_into_its_territories(tmp_path, atlas):
    out = _export(tmp_path, "nerve.glb", "--select", "common_fibular_nerve")
    meshes, nodes, materials = _skin_nodes(out)
    territories = territories_for(atlas, "common_fibular_nerve")
    assert sorted(meshes) == ["skin"] + sorted(f"skin_paint_{t.nerve}" for t in territories)
    whole = atlas["skin"].mesh.area * 1e-6  # m²
    assert sum(mesh.area for mesh in meshes.values()) == pytest.approx(whole, rel=1e-6)
    assert meshes["skin"].area < 0.95 * whole
    skin_opacity = atlas.groups["integument"].opacity
    assert materials["skin"]["pbrMetallicRoughness"]["baseColorFactor"] == pytest.approx(
        [*srgb_to_linear(atlas["skin"].colour), skin_opacity])
    for territory in territories:
        name = f"skin_paint_{territory.nerve}"
        assert meshes[name].area > 1e-4, name  # at least a square centimetre
        assert materials[name]["pbrMetallicRoughness"]["baseColorFactor"] == pytest.approx(
            [*srgb_to_linear(territory.colour), max(skin_opacity, PAINT_OPACITY)])
        assert materials[name]["alphaMode"] == "BLEND"
        extras = nodes[name]["extras"]
        assert extras["nerve"] == territory.nerve and extras["nerve_name"] == atlas[territory.nerve].name
        assert extras["schematic"] is True and extras["territory"].startswith("Schematic skin territory")
        assert extras["source"] == atlas.nerve_territories.sources[territory.source]
        # The piece lies in its territory, the rest in none, to within half the skin's usual edge (6 mm): the cut
        # crosses each edge where the border would if it ran straight along it, off by up to 2 mm at a corner.
        assert inside_mm(atlas.pain_regions, territory, _millimetres(meshes[name])).min() > -BORDER_MM, name
        assert inside_mm(atlas.pain_regions, territory, _millimetres(meshes["skin"])).max() < BORDER_MM, name
    assert nodes["skin"]["extras"]["painted"] == [t.nerve for t in territories]


def test_the_glb_of_a_view_painting_nothing_has_the_skin_whole(tmp_path, atlas):
    meshes, nodes, _ = _skin_nodes(_export(tmp_path, "femur.glb", "--select", "femur"))
    assert list(meshes) == ["skin"] and "painted" not in nodes["skin"]["extras"]
    assert meshes["skin"].area == pytest.approx(atlas["skin"].mesh.area * 1e-6, rel=1e-6)


def test_the_glb_of_the_selected_skin_paints_every_territory_at_the_skins_opacity(tmp_path, atlas):
    view = tmp_path / "skin.json"
    view.write_text(json.dumps({"selected": "skin", "opacity": {"integument": 0.8}}))
    meshes, _, materials = _skin_nodes(_export(tmp_path, "skin.glb", "--view", str(view)))
    painted = sorted(name for name in meshes if name != "skin")
    assert len(painted) == len(atlas.nerve_territories.territories), painted
    assert materials["skin"]["pbrMetallicRoughness"]["baseColorFactor"][:3] == pytest.approx(
        list(srgb_to_linear(atlas["skin"].colour)))  # its own colour, not the highlight
    assert {materials[name]["pbrMetallicRoughness"]["baseColorFactor"][3] for name in painted} == {0.8}
    assert sum(mesh.area for mesh in meshes.values()) == pytest.approx(atlas["skin"].mesh.area * 1e-6, rel=1e-6)


def _geometry_sets() -> list[str]:
    from explorer.geometry import geometry_set

    return ["mskt"] + (["spl"] if geometry_set("spl").present() else [])


@pytest.mark.parametrize("geometry", _geometry_sets())
def test_the_painted_glb_is_valid_gltf(tmp_path, geometry):
    """Every normal is a unit vector (a NaN from a zero-area triangle made the spl set's model invalid), and the
    Khronos validator finds no error."""
    out = _export(tmp_path, "nerve.glb", "--geometry", geometry, "--select", "common_fibular_nerve")
    scene = trimesh.load(out, force="scene")
    for name, mesh in scene.geometry.items():
        normals = np.asarray(mesh.vertex_normals)
        assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-4), name
    node = shutil.which("node")
    if node is None or not VALIDATOR.exists():
        pytest.skip("the glTF validator needs Node.js and gltf-validator in .node/ (`make test` installs them)")
    script = ("const v = require(process.argv[1]); v.validateBytes(new Uint8Array(require('fs').readFileSync("
              "process.argv[2]))).then((r) => console.log(JSON.stringify(r.issues)));")
    result = subprocess.run([node, "-e", script, str(VALIDATOR), str(out)], capture_output=True, text=True,
                            timeout=120, check=True)
    issues = json.loads(result.stdout)
    assert issues["numErrors"] == 0, [m for m in issues["messages"] if m["severity"] == 0][:5]
