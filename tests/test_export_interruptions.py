"""Exports stopped part-way (SIGTERM, Ctrl-C, kill -9) leave no temporary file, and titles cannot bloat or break the page."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from importlib import resources
from pathlib import Path

import pytest

from explorer import export
from explorer.export.files import atomic_output

#: An orbit far longer than any test waits for: it is always stopped.
LONG_EXPORT = ("export", "out.gif", "--frames", "3600")


def _start(folder: Path, *args: str) -> subprocess.Popen:
    """The command line run as from a terminal: Ctrl-C is not ignored, even when these tests run in the background."""
    return subprocess.Popen([sys.executable, "-m", "explorer.cli", *args], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _temporary_file(process: subprocess.Popen, folder: Path) -> Path:
    """The export's temporary file, once it is there (the export is then writing its output)."""
    while process.poll() is None:
        found = list(folder.glob(".*.part*"))
        if found:
            return found[0]
        time.sleep(0.05)
    pytest.fail(f"the export ended before it wrote anything: {process.communicate()}")


def _stopped(folder: Path, how: signal.Signals) -> tuple[int, list[str]]:
    """Start a long export in ``folder``, send it ``how`` once it writes; its exit code and stderr lines."""
    process = _start(folder, *LONG_EXPORT)
    try:
        _temporary_file(process, folder)
        process.send_signal(how)
        _, err = process.communicate(timeout=300)
    finally:
        process.kill()
    return process.returncode, err.splitlines()


def _finished_process() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_sigterm_removes_the_temporary_file_and_says_so_in_one_line(tmp_path):
    code, err = _stopped(tmp_path, signal.SIGTERM)
    assert code == 143 and err == ["knee-explorer export: stopped (SIGTERM)"], err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_removes_the_temporary_file_and_says_so_in_one_line(tmp_path):
    code, err = _stopped(tmp_path, signal.SIGINT)
    assert code == 130 and err == ["knee-explorer export: stopped (Ctrl-C)"], err
    assert list(tmp_path.iterdir()) == []


def test_the_next_export_removes_what_a_killed_export_left(tmp_path):
    process = _start(tmp_path, *LONG_EXPORT)
    try:
        left = _temporary_file(process, tmp_path)
    finally:
        process.kill()
        process.wait()
    assert left.exists()
    export.save_view(export.SavedView(), tmp_path / "view.json")
    assert [p.name for p in tmp_path.iterdir()] == ["view.json"]


def test_the_next_export_keeps_files_of_running_writers_and_files_not_its_own(tmp_path):
    dead_pid = _finished_process()
    dead = tmp_path / f".knee.gif.{dead_pid}.abcd1234.part.gif"
    kept = [tmp_path / f".knee.gif.{os.getpid()}.abcd1234.part.gif",  # a running writer's
            tmp_path / ".knee.gif.abcd1234.part.gif",  # no writer's id in its name
            tmp_path / f".notes.{dead_pid}.txt", tmp_path / f"knee.gif.{dead_pid}.abcd1234.part.gif"]
    for path in [dead, *kept]:
        path.touch()
    export.save_view(export.SavedView(), tmp_path / "view.json")
    assert not dead.exists() and all(path.exists() for path in kept)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_the_next_export_keeps_another_users_temporary_file(tmp_path):
    theirs = tmp_path / f".knee.gif.{_finished_process()}.abcd1234.part.gif"
    theirs.touch()
    os.chown(theirs, 4242, 4242)
    export.save_view(export.SavedView(), tmp_path / "view.json")
    assert theirs.exists()


def test_sigterm_handler_is_set_while_writing_then_restored_and_left_alone_off_the_main_thread(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with atomic_output(tmp_path / "a.txt") as temporary:
        assert signal.getsignal(signal.SIGTERM) != before
        temporary.write_text("a")
    assert signal.getsignal(signal.SIGTERM) == before

    errors = []

    def write() -> None:
        try:
            with atomic_output(tmp_path / "b.txt") as temporary:
                temporary.write_text("b")
        except BaseException as error:  # noqa: BLE001 - whatever it is, the test reports it
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert errors == [] and (tmp_path / "b.txt").read_text() == "b"
    assert signal.getsignal(signal.SIGTERM) == before


def _page_data(text: str) -> dict:
    return json.loads(re.search(r'<script id="knee-data" type="application/json">(.*?)</script>', text, re.S)[1])


def test_placeholder_names_in_the_title_are_not_filled_in(tmp_path, atlas):
    names = re.findall(r"__[A-Z]+__", resources.files("explorer.export").joinpath("page.html").read_text())
    assert {"__TITLE__", "__SCRIPT__", "__DATA__"} <= set(names)
    title = " ".join(names)
    plain = export.html({"title": "Plain"}, tmp_path / "plain.html", atlas=atlas)
    tricky = export.html({"title": title}, tmp_path / "tricky.html", atlas=atlas)
    assert abs(tricky.stat().st_size - plain.stat().st_size) < 4096
    text = tricky.read_text()
    assert f"<title>{title}</title>" in text and _page_data(text)["title"] == title


def test_a_title_cannot_break_out_of_the_page(tmp_path, atlas):
    title = "</title></script><script>alert(1)</script>"
    text = export.html({"title": title}, tmp_path / "k.html", atlas=atlas).read_text()
    assert "<script>alert" not in text and "</title></script>" not in text
    assert "<title>&lt;/title&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in text
    assert _page_data(text)["title"] == title  # shown with textContent, so as text
