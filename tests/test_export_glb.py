"""GLB export: one named node per structure with extras, atlas colours, units stated, valid glTF, reloads in trimesh."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import trimesh

from explorer import export
from explorer.cli import main

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / ".node" / "node_modules" / "gltf-validator"
VALIDATE_JS = """
const fs = require('fs');
const validator = require(process.argv[1]);
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])))
  .then((report) => { console.log(JSON.stringify(report.issues)); })
  .catch((error) => { console.error(error); process.exit(3); });
"""


def _gltf_json(path: Path) -> dict:
    data = path.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    return json.loads(data[20:20 + length])


def _srgb_channel_to_linear(value: float) -> float:
    return value / 12.92 if value < 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _linear_to_srgb_hex(rgb: list[float]) -> str:
    encoded = [12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in rgb]
    return "#" + "".join(f"{round(c * 255):02x}" for c in encoded)


def _materials_by_node(tree: dict) -> dict[str, dict]:
    return {n["name"]: tree["materials"][tree["meshes"][n["mesh"]]["primitives"][0]["material"]]
            for n in tree["nodes"] if "mesh" in n}


@pytest.fixture(scope="module")
def default_glb(tmp_path_factory) -> Path:
    return export.glb(None, tmp_path_factory.mktemp("glb") / "knee.glb")


def test_every_structure_a_named_node_with_extras(default_glb, atlas):
    shown = [s.id for s in atlas.structures.values() if s.mesh is not None and not s.pathology]
    scene = trimesh.load(default_glb, force="scene")
    assert sorted(scene.graph.nodes_geometry) == sorted(shown)
    tree = _gltf_json(default_glb)
    nodes = {node["name"]: node for node in tree["nodes"]}
    assert nodes["femur"]["extras"]["name"] == "Femur" and nodes["femur"]["extras"]["group"] == "bones"
    material = tree["materials"][tree["meshes"][nodes["femur"]["mesh"]]["primitives"][0]["material"]]
    expected = [_srgb_channel_to_linear(int(atlas["femur"].colour[i:i + 2], 16) / 255) for i in (1, 3, 5)]
    assert material["pbrMetallicRoughness"]["baseColorFactor"] == pytest.approx([*expected, 1.0])
    assert tree["asset"]["extras"]["units"] == "metres"
    assert all(line in tree["asset"]["copyright"] for line in atlas.credits())
    assert default_glb.stat().st_size < 10_000_000


def test_metres_and_y_up(default_glb):
    scene = trimesh.load(default_glb, force="scene")
    low, high = scene.bounds
    assert 0.4 < high[1] - low[1] < 0.6  # the leg, 25 cm above and below the joint line, in metres
    femur = scene.geometry["femur"].bounds
    assert femur[1][1] > 0.2  # the femur goes up


def test_cause_view_ghosts_the_rest(tmp_path, atlas):
    out = export.glb({"cause": "bakers_cyst"}, tmp_path / "cyst.glb")
    tree = _gltf_json(out)
    by_node = {n["name"]: tree["materials"][tree["meshes"][n["mesh"]]["primitives"][0]["material"]] for n in tree["nodes"]
               if "mesh" in n}
    bursa = "semimembranosus_gastrocnemius_bursa"  # inside the cyst, which is see-through round it
    assert by_node[bursa]["alphaMode"] == "OPAQUE" and by_node["bakers_cyst"]["alphaMode"] == "BLEND"
    assert by_node["femur"]["alphaMode"] == "BLEND" and by_node["femur"]["pbrMetallicRoughness"]["baseColorFactor"][3] < 0.5


def test_khronos_validator_finds_no_errors(default_glb):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: `make test` installs it with the gltf-validator npm package")
    if not VALIDATOR.exists():
        pytest.skip(f"gltf-validator is not installed in {VALIDATOR.parent}: run `make test` (npm install)")
    result = subprocess.run([node, "-e", VALIDATE_JS, str(VALIDATOR), str(default_glb)], capture_output=True,
                            text=True, timeout=120, check=True)
    issues = json.loads(result.stdout)
    errors = [m for m in issues["messages"] if m["severity"] == 0]
    assert issues["numErrors"] == 0, errors[:5]


def test_cli_glb(tmp_path, capsys):
    out = tmp_path / "bones.glb"
    assert main(["export", str(out), "--show", "bones"]) == 0
    assert sorted(trimesh.load(out, force="scene").graph.nodes_geometry) == ["femur", "fibula", "patella", "tibia"]


def test_cli_glb_colours_are_linear(tmp_path, capsys, atlas):
    out = tmp_path / "vessels.glb"
    assert main(["export", str(out), "--show", "popliteal_artery,femur"]) == 0
    factor = _materials_by_node(_gltf_json(out))["popliteal_artery"]["pbrMetallicRoughness"]["baseColorFactor"]
    assert atlas["popliteal_artery"].colour.lower() == "#c8283c"
    assert factor[:3] == pytest.approx([0.5776, 0.0212, 0.0452], abs=5e-4)
    assert factor[:3] == pytest.approx([_srgb_channel_to_linear(v / 255) for v in (0xC8, 0x28, 0x3C)])
    assert _linear_to_srgb_hex(factor[:3]) == "#c8283c"
