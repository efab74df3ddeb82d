"""The knee-explorer command line, run the way a user runs it."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from explorer.cli import main

SUBCOMMANDS = ["validate", "list", "credits", "build-meshes", "render", "serve"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: knee-explorer {command}"), result.stderr


def test_list_json_gives_the_documented_fields(capsys, atlas):
    assert main(["--geometry", "mskt", "list", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(atlas.structures)
    assert rows["tibia"] == {
        "id": "tibia", "name": "Tibia", "group": "bones", "mesh": "tibia.ply",
        "license": "MIT AND Apache-2.0", "schematic": False, "pain_causes": list(atlas["tibia"].causes),
        "geometry": "mskt",
    }
    assert rows["tibia"]["pain_causes"], "the tibia is linked to at least one cause"
    assert rows["tibial_nerve"]["schematic"] is True and rows["tibial_nerve"]["group"] == "nerves"
    assert rows["popliteal_fossa"]["mesh"] is None and rows["popliteal_fossa"]["license"] is None


def test_list_shows_groups_and_causes(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "Menisci:" in out and "medial_meniscus" in out and "causes:" in out


def test_credits_print_every_attribution(capsys, atlas):
    assert main(["credits"]) == 0
    out = capsys.readouterr().out
    assert "Anthony Gatti" in out and "MyoSim" in out and "Apache-2.0" in out
    for line in atlas.credits():
        assert line in out


def test_render_writes_a_png_of_the_requested_view(tmp_path):
    target = tmp_path / "knee.png"
    result = _run("render", str(target), "--view", "lateral", "--size", "320x240")
    assert result.returncode == 0, result.stderr
    with Image.open(target) as image:
        assert image.size == (320, 240)


@pytest.mark.parametrize("args, message", [
    (["render", "out.png", "--view", "behind"], "unknown view 'behind'"),
    (["render", "out.png", "--size", "big"], "--size 'big' is not WIDTHxHEIGHT"),
])
def test_bad_arguments_give_one_line_and_exit_2(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "explorer.cli", *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("given, cause", [
    ("dvt", "deep_vein_thrombosis"), ("DVT", "deep_vein_thrombosis"), ("Deep-Vein-Thrombosis", "deep_vein_thrombosis"),
    ("baker", "bakers_cyst"), ("bakers-cyst", "bakers_cyst"), ("Baker's cyst", "bakers_cyst"), ("pcl_tear", "pcl_tear"),
])
def test_export_cause_takes_ids_and_aliases_in_any_case(tmp_path, capsys, given, cause):
    out = tmp_path / "view.json"
    assert main(["export", str(out), "--cause", given]) == 0
    assert json.loads(out.read_text())["cause"] == cause


def test_unknown_cause_is_one_line_listing_valid_ids_closest_first(tmp_path, atlas):
    out = tmp_path / "view.json"
    result = _run("export", str(out), "--cause", "thrombosis_deep")
    assert result.returncode == 2 and not out.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown pain cause id 'thrombosis_deep'" in lines[0], result.stderr
    listed = lines[0].split("closest first: ", 1)[1].rstrip(")").split(", ")
    assert listed[0] == "deep_vein_thrombosis"
    assert sorted(listed) == sorted(atlas.causes)


def test_list_causes_prints_ids_titles_and_aliases(atlas):
    result = _run("list", "--causes")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == set(atlas.causes)
    for cause in atlas.causes.values():
        assert cause.name in lines[cause.id] and all(alias in lines[cause.id] for alias in cause.aliases)
    assert "DVT" in lines["deep_vein_thrombosis"] and "Baker" in lines["bakers_cyst"]


def test_list_causes_json(capsys, atlas):
    assert main(["list", "--causes", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(atlas.causes)
    assert rows["deep_vein_thrombosis"] == {"id": "deep_vein_thrombosis", "name": "Deep vein thrombosis",
                                            "aliases": list(atlas.causes["deep_vein_thrombosis"].aliases)}
