"""Hostile atlas files and saved views are refused by the command line: one line per problem naming the file
(and the field or value), a non-zero exit, never a traceback, a hang or a blow-up."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from explorer.annotations import read_annotation
from explorer.cli import main
from explorer.meshio import MeshFileError, parse_ply, ply_bytes


class Hung(Exception):
    """Raised by :func:`deadline` when a read waits for ever."""


@contextmanager
def deadline(seconds: int = 20):
    """Turn a hang (say, opening a FIFO) into an exception instead of a test run that never ends."""
    def stop(signum, frame):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refused(capsys, argv: list[str], expected: str, exit_code: int = 1) -> str:
    """Run the command line; check it exits with ``exit_code`` and that every line of its stderr names a file,
    one of them matching ``expected``. Returns stderr."""
    with deadline():
        code = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert code == exit_code, err
    assert "Traceback" not in err and re.search(expected, err), err
    problems = [line for line in err.splitlines() if not re.fullmatch(r"\d+ problem\(s\) found", line)]
    assert problems and all(re.search(r"/[^ ]+\.\w+: ", line) for line in problems), err
    return err


def validate_refuses(capsys, root: Path, expected: str) -> str:
    return refused(capsys, ["--root", str(root), "validate"], expected)


def export_refuses(capsys, root: Path, expected: str) -> None:
    out = root / "k.html"
    refused(capsys, ["--root", str(root), "export", str(out)], expected)
    assert not out.exists()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def replace_mesh(root: Path, name: str, data: bytes) -> None:
    """Write ``data`` as mesh ``name`` and give PROVENANCE.toml its new sha256, so only its content is wrong."""
    path = root / "meshes" / name
    edit(root / "meshes" / "PROVENANCE.toml", hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(data).hexdigest())
    path.write_bytes(data)


def patella(root: Path) -> bytes:
    return (root / "meshes" / "patella.ply").read_bytes()


# 1. mesh file names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../../../etc/passwd", "/etc/passwd", "../meshes/patella.ply", "sub/patella.ply",
                                  "patella.obj", ".."])
def test_a_mesh_must_be_a_plain_ply_file_name_in_the_set(atlas_copy, capsys, name):
    edit(atlas_copy / "meshes" / "PROVENANCE.toml", 'file = "patella.ply"', f'file = "{name}"')
    expected = r"PROVENANCE\.toml: field 'patella\.file': .* plain file name"
    validate_refuses(capsys, atlas_copy, expected)
    export_refuses(capsys, atlas_copy, expected)


def test_a_mesh_that_is_a_folder_is_refused_not_skipped(atlas_copy, capsys):
    (atlas_copy / "meshes" / "patella.ply").unlink()
    (atlas_copy / "meshes" / "patella.ply").mkdir()
    validate_refuses(capsys, atlas_copy, r"meshes/patella\.ply: not a regular file")
    export_refuses(capsys, atlas_copy, r"meshes/patella\.ply: not a regular file")


# 2. vertices that are not finite ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 3e38])
def test_a_mesh_with_vertices_that_are_not_finite_is_refused(atlas_copy, capsys, value):
    vertices, faces = parse_ply(patella(atlas_copy))
    vertices = vertices.copy()
    vertices[7, 1] = value
    replace_mesh(atlas_copy, "patella.ply", ply_bytes(vertices, faces))
    validate_refuses(capsys, atlas_copy, r"meshes/patella\.ply: vertex coordinates must be finite")
    export_refuses(capsys, atlas_copy, r"meshes/patella\.ply: vertex coordinates must be finite")


# 3. malformed PLY headers ------------------------------------------------------------------------------
@pytest.mark.parametrize("old, new", [
    (b"format binary_little_endian 1.0\n", b"format\n"),
    (b"element vertex 602\n", b"element vertex abc\n"),
    (b"element vertex 602\n", b"element vertex\n"),
    (b"element vertex 602\n", b"element vertex -602\n"),
    (b"element vertex 602\n", b"element vertex " + b"9" * 5000 + b"\n"),
    (b"property float x\n", b"property double x\n"),
])
def test_a_malformed_ply_header_is_a_problem_naming_the_mesh(atlas_copy, capsys, old, new):
    data = patella(atlas_copy)
    assert old in data
    replace_mesh(atlas_copy, "patella.ply", data.replace(old, new, 1))
    validate_refuses(capsys, atlas_copy, r"meshes/patella\.ply: ")
    with pytest.raises(MeshFileError, match=r"^patella\.ply: "):
        parse_ply(data.replace(old, new, 1), "patella.ply")


# 4. files that are not UTF-8 -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["annotations/atlas.yaml", "annotations/glossary.yaml", "meshes/frame.toml",
                                  "meshes/PROVENANCE.toml"])
def test_a_file_that_is_not_utf8_is_named(atlas_copy, capsys, name):
    path = atlas_copy / name
    path.write_bytes(b"# caf\xe9\n" + path.read_bytes())
    err = validate_refuses(capsys, atlas_copy, re.escape(name) + r": not UTF-8 text")
    assert err.endswith("\n1 problem(s) found\n"), err  # not the groups or terms it defines, missing again


# 5. YAML anchors and aliases -----------------------------------------------------------------------------
BOMB = "lol0: &lol0 [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
    f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 10) + "]\n" for n in range(1, 10))


@pytest.mark.parametrize("name, breaks", [
    ("annotations/structures/femur.md", lambda path: edit(path, "name: Femur\n", "name: Femur\n" + BOMB)),
    ("annotations/atlas.yaml", lambda path: path.write_text(path.read_text() + BOMB)),
    ("annotations/glossary.yaml", lambda path: path.write_text(path.read_text() + BOMB)),
    ("annotations/glossary.yaml", lambda path: path.write_text(path.read_text() + "bursa2: &b {term: Bursa, "
                                                               "definition: A small flat sac of fluid that lets tissues glide.}\n")),
])
def test_yaml_anchors_and_aliases_are_refused(atlas_copy, capsys, name, breaks):
    breaks(atlas_copy / name)
    validate_refuses(capsys, atlas_copy, re.escape(name) + r": .*not valid YAML \(line \d+\): anchors and aliases are not allowed")


def test_a_1kb_alias_bomb_is_refused_at_once_in_little_memory(tmp_path):
    path = tmp_path / "femur.md"
    path.write_text(f"---\nname: Femur\n{BOMB}---\nThe thigh bone.\n", encoding="utf-8")
    assert len(BOMB) < 1100
    tracemalloc.start()
    start = time.perf_counter()
    annotation, problems = read_annotation(path)
    seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert annotation is None and "anchors and aliases are not allowed" in problems[0].message
    assert seconds < 0.5 and peak < 2_000_000, (seconds, peak)


# 6. duplicate YAML keys ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, old, new, key", [
    ("annotations/structures/femur.md", "group: bones\n", "group: bones\nname: Thigh bone\n", "name"),
    ("annotations/atlas.yaml", "title: ", "title: Another title\ntitle: ", "title"),
    ("annotations/glossary.yaml", "posterior:\n", "anterior:\n  term: Front\n  definition: Towards the front of "
                                                  "the body, where the kneecap is.\nposterior:\n", "anterior"),
    ("annotations/glossary.yaml", "  term: Anterior\n", "  term: Anterior\n  term: Front\n", "term"),
])
def test_duplicate_yaml_keys_are_refused(atlas_copy, capsys, name, old, new, key):
    edit(atlas_copy / name, old, new)
    validate_refuses(capsys, atlas_copy, re.escape(name) + rf": .*not valid YAML \(line \d+\): duplicate key '{key}'")


# 7. file sizes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, size", [
    ("annotations/structures/femur.md", 2**20 + 1), ("annotations/atlas.yaml", 2**20 + 1),
    ("annotations/glossary.yaml", 2**20 + 1), ("meshes/frame.toml", 2**20 + 1),
    ("meshes/PROVENANCE.toml", 2**20 + 1), ("meshes/patella.ply", 64 * 2**20 + 1),
])
def test_files_larger_than_the_cap_are_refused(atlas_copy, capsys, name, size):
    os.truncate(atlas_copy / name, size)  # sparse: the tail reads as zero bytes
    validate_refuses(capsys, atlas_copy, re.escape(name) + r": larger than the [\d,]+ bytes allowed")


def test_a_huge_annotation_is_refused_before_it_is_read(atlas_copy, capsys):
    femur = atlas_copy / "annotations" / "structures" / "femur.md"
    os.truncate(femur, 200 * 2**20)
    tracemalloc.start()
    validate_refuses(capsys, atlas_copy, r"femur\.md: larger than")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20, peak


# 8. files that are not regular files ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["annotations/structures/ghost.md", "annotations/structures/femur.md",
                                  "annotations/atlas.yaml", "annotations/glossary.yaml", "meshes/frame.toml",
                                  "meshes/PROVENANCE.toml", "meshes/patella.ply"])
def test_a_fifo_is_refused_not_waited_on(atlas_copy, capsys, name):
    path = atlas_copy / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    validate_refuses(capsys, atlas_copy, re.escape(name) + r": not a regular file")


# 9 to 12. saved views ------------------------------------------------------------------------------------
def camera_view(position: str = "[0, -500, 0]", up: str = "[0, 0, 1]", extra: str = "") -> str:
    """A saved view's text whose camera looks from ``position`` at the origin."""
    return f'{{"camera": {{"position": {position}, "focalPoint": [0, 0, 0], "viewUp": {up}{extra}}}}}'


BAD_VIEWS = {
    "nested 10^4 deep": ('{"show": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested too deeply"),
    "nested objects": ('{"opacity": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}", "nested too deeply"),
    "NaN clip": ('{"clip": {"axis": "y", "position": NaN}}', "NaN is not a number"),
    "overflowing clip": ('{"clip": {"axis": "y", "position": 1e400}}', "'clip' position must be a number"),
    "infinite camera": (camera_view("[0, -Infinity, 0]"), "-Infinity is not a number"),
    "overflowing camera": (camera_view("[0, -1e400, 0]"), "malformed camera: 'camera' must have"),
    "camera 1 km away": (camera_view("[0, -1e6, 0]"), "malformed camera: 'camera' must have"),
    "camera at its focal point": (camera_view("[0, 0, 0]"), "degenerate camera: 'camera' must have"),
    "camera up zero": (camera_view(up="[0, 0, 0]"), "degenerate camera: 'camera' must have"),
    "camera up along the sight": (camera_view(up="[0, 2, 0]"), "degenerate camera: 'camera' must have"),
    "NaN opacity": ('{"opacity": {"bones": NaN}}', "NaN is not a number"),
    "version true": ('{"version": true}', "unsupported saved-view version True"),
    "version 1.0": ('{"version": 1.0}', "unsupported saved-view version 1.0"),
    "camera numbers as strings": (camera_view('["0", "-500", "0"]'), "three numbers each"),
    "camera vector as a string": (camera_view('"123"'), "three numbers each"),
    "camera with an unknown key": (camera_view(extra=', "zoom": 2'), "three numbers each"),
    "selected as a number": ('{"selected": 0}', "'selected' must be"),
    "title false": ('{"title": false}', "'title' must be text"),
    "opacity a list": ('{"opacity": []}', "'opacity' must map"),
    "5000-digit number": ('{"clip": {"axis": "y", "position": 1' + "0" * 5000 + "}}", "number of 5001 digits"),
    "not UTF-8": (b'{"title": "caf\xe9"}', "not UTF-8 text"),
}


@pytest.mark.parametrize("case", BAD_VIEWS, ids=list(BAD_VIEWS))
def test_a_bad_saved_view_is_one_line_naming_the_file(tmp_path, capsys, case):
    content, expected = BAD_VIEWS[case]
    view = tmp_path / "bad.json"
    view.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out.json"
    err = refused(capsys, ["export", str(out), "--view", str(view)], re.escape(expected), exit_code=2)
    assert len(err.splitlines()) == 1 and err.startswith(f"knee-explorer export: {view}: "), err
    assert not out.exists()


def test_a_saved_view_that_is_a_fifo_is_refused_not_waited_on(tmp_path, capsys):
    view = tmp_path / "view.json"
    os.mkfifo(view)
    err = refused(capsys, ["export", str(tmp_path / "out.json"), "--view", str(view)], "not a regular file", exit_code=2)
    assert err.startswith(f"knee-explorer export: {view}: not a regular file")


@pytest.mark.parametrize("data, message", [
    ({"clip": {"axis": "y", "position": float("nan")}}, "'clip' position"),
    ({"camera": {"position": [0, float("nan"), 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}}, "malformed camera"),
    ({"opacity": {"bones": float("inf")}}, "opacity of 'bones'"),
])
def test_a_view_given_as_a_dict_is_checked_as_strictly(atlas, data, message):
    from explorer.export import SavedView

    with pytest.raises(ValueError, match=re.escape(message)):
        SavedView.from_dict(data, atlas)
