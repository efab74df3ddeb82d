"""GLB colours as a glTF viewer shows them: three.js loads the exported model in headless Chromium.

glTF's ``baseColorFactor`` is linear light; a viewer turns it back into sRGB on screen. The model is
served with three.js (``.node/``, installed by ``make test``) from a temporary folder over local HTTP,
drawn with its own PBR material under a uniform ambient light, and the colour read back both from
the loaded material and from the rendered pixels must be the atlas's sRGB colour, not the lighter,
greyer one that sRGB numbers written straight into the factor give.
"""

from __future__ import annotations

import colorsys
import functools
import http.server
import json
import statistics
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from explorer import export

ROOT = Path(__file__).resolve().parents[1]
THREE = ROOT / ".node" / "node_modules" / "three"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader"]
ARTERY, ARTERY_COLOUR = "popliteal_artery", "#c8283c"
SIDE = 160  # pixels of the square view

if not CHROMIUM.exists():
    pytest.skip("the glTF viewer test needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
if not (THREE / "build" / "three.module.js").exists():
    pytest.skip(f"three.js is not installed in {THREE.parent}: run `make node-tools` (npm install)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the glTF viewer test needs Playwright")

VIEWER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glTF viewer</title>
<script type="importmap">
{"imports": {"three": "./three/build/three.module.js", "three/addons/": "./three/examples/jsm/"}}
</script></head>
<body style="margin:0;background:#000">
<canvas id="view" width="__SIDE__" height="__SIDE__"></canvas>
<script type="module">
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

// Loads a GLB, draws it from `eye` towards `target` with a white ambient light of intensity pi (a
// Lambertian surface then shows its albedo, less a grey share of Fresnel) and returns the named
// node's material as loaded and the rendered pixels (sRGB bytes, bottom row first).
window.drawModel = async (file, node, eye, target, fov) => {
  const gltf = await new GLTFLoader().loadAsync(file);
  const canvas = document.getElementById('view');
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.toneMapping = THREE.NoToneMapping;
  renderer.setClearColor(0x000000, 1);
  const scene = new THREE.Scene();
  scene.add(gltf.scene);
  scene.add(new THREE.AmbientLight(0xffffff, Math.PI));
  const camera = new THREE.PerspectiveCamera(fov, 1, 0.001, 10);
  camera.position.set(...eye);
  camera.lookAt(new THREE.Vector3(...target));
  renderer.render(scene, camera);
  const gl = renderer.getContext();
  const pixels = new Uint8Array(canvas.width * canvas.height * 4);
  gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  const material = gltf.scene.getObjectByName(node).material;
  return { type: material.type, linear: material.color.toArray(), hex: material.color.getHexString(),
           pixels: Array.from(pixels) };
};
document.body.dataset.ready = 'true';
</script></body></html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A temporary folder served over local HTTP holding the viewer page and three.js; yields (folder, url)."""
    folder = tmp_path_factory.mktemp("viewer")
    (folder / "three").symlink_to(THREE, target_is_directory=True)
    (folder / "index.html").write_text(VIEWER.replace("__SIDE__", str(SIDE)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def viewer(site):
    """The viewer page in headless Chromium with WebGL."""
    _, url = site
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "index.html")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
        yield page
        browser.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def artery_glb(site, atlas) -> Path:
    folder, _ = site
    assert atlas[ARTERY].colour.lower() == ARTERY_COLOUR
    return export.glb({"show": [ARTERY]}, folder / "artery.glb", atlas=atlas)


def _draw(viewer, glb: Path, node: str) -> dict:
    """The node's loaded material and the pixels of the model drawn close up on a stretch of the node."""
    eye, target, fov = _close_up(glb, node)
    return viewer.evaluate("([file, node, eye, target, fov]) => drawModel(file, node, eye, target, fov)",
                           [glb.name, node, eye, target, fov])


def _close_up(glb: Path, node: str) -> tuple[list[float], list[float], float]:
    """A camera 10 cm behind the middle of the node's mesh (glTF +Z is posterior), seeing about 2 cm across."""
    points = np.asarray(trimesh.load(glb, force="scene").geometry[node].vertices)
    middle = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    target = points[np.linalg.norm(points - middle, axis=1) < 0.004].mean(axis=0)
    eye = target + np.array([0.0, 0.0, 0.10])
    return eye.tolist(), target.tolist(), 12.0


def _drawn_colour(pixels: list[int]) -> tuple[int, int, int]:
    """The median sRGB colour of the pixels the model covers (the background is black)."""
    rgba = np.asarray(pixels, dtype=np.uint8).reshape(-1, 4)[:, :3]
    covered = rgba[rgba.max(axis=1) > 24]
    assert len(covered) > SIDE * SIDE // 20, "the model covers almost nothing of the view"
    return tuple(int(statistics.median(covered[:, i])) for i in range(3))


def _to_linear(value: int) -> float:
    value /= 255
    return value / 12.92 if value < 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _shows_the_atlas_colour(rgb: tuple[int, int, int], colour: str) -> list[str]:
    """What is wrong with a drawn colour against the atlas's sRGB colour; empty when it is that colour.

    Under a uniform white light a dielectric reflects its albedo times one grey factor, so in linear
    light the drawn channels stand in the ratios of the source's linear channels, and its saturation
    is the source's.
    """
    source = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    problems = []
    drawn_ratios = [_to_linear(v) / _to_linear(rgb[0]) for v in rgb[1:]]
    source_ratios = [_to_linear(v) / _to_linear(source[0]) for v in source[1:]]
    if not np.allclose(drawn_ratios, source_ratios, atol=0.015):
        problems.append(f"green and blue over red in linear light {np.round(drawn_ratios, 3).tolist()}, "
                        f"expected {np.round(source_ratios, 3).tolist()}")
    hue, saturation, value = colorsys.rgb_to_hsv(*(v / 255 for v in rgb))
    source_hue, source_saturation, _ = colorsys.rgb_to_hsv(*(v / 255 for v in source))
    if abs(saturation - source_saturation) > 0.05:
        problems.append(f"saturation {saturation:.2f}, expected {source_saturation:.2f}")
    if min(abs(hue - source_hue), 1 - abs(hue - source_hue)) > 4 / 360:
        problems.append(f"hue {hue * 360:.0f} deg, expected {source_hue * 360:.0f} deg")
    if not 0.85 * source[0] <= rgb[0] <= source[0] + 4:
        problems.append(f"red {rgb[0]}, expected a little under {source[0]} (the Fresnel share)")
    return problems


def _with_srgb_numbers_in_the_factor(glb: Path, out: Path) -> Path:
    """A copy of ``glb`` whose colours hold the sRGB numbers as if they were linear (the old export)."""
    data = glb.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    tree = json.loads(data[20:20 + length])
    for material in tree["materials"]:
        factor = material["pbrMetallicRoughness"]["baseColorFactor"]
        encoded = [12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in factor[:3]]
        material["pbrMetallicRoughness"]["baseColorFactor"] = [*encoded, factor[3]]
    text = json.dumps(tree, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    rest = data[20 + length:]
    out.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(text) + len(rest))
                    + struct.pack("<I4s", len(text), b"JSON") + text + rest)
    return out


def test_three_loads_the_atlas_colour(viewer, artery_glb):
    drawn = _draw(viewer, artery_glb, ARTERY)
    assert drawn["type"] == "MeshStandardMaterial"  # the GLB's own PBR material
    assert drawn["hex"] == ARTERY_COLOUR[1:]  # three's colour, back in sRGB
    assert drawn["linear"] == pytest.approx([0.5776, 0.0212, 0.0452], abs=5e-4)


def test_three_draws_the_atlas_colour_red_not_pink(viewer, artery_glb):
    rgb = _drawn_colour(_draw(viewer, artery_glb, ARTERY)["pixels"])
    assert _shows_the_atlas_colour(rgb, ARTERY_COLOUR) == [], rgb


def test_srgb_numbers_in_the_factor_would_be_seen(viewer, artery_glb, site):
    folder, _ = site
    old = _with_srgb_numbers_in_the_factor(artery_glb, folder / "artery-old.glb")
    drawn = _draw(viewer, old, ARTERY)
    rgb = _drawn_colour(drawn["pixels"])
    assert drawn["hex"] != ARTERY_COLOUR[1:]
    assert any("saturation" in problem for problem in _shows_the_atlas_colour(rgb, ARTERY_COLOUR)), rgb
