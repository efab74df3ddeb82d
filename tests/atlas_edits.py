"""Breaking a copy of the atlas on purpose, and what ``knee-explorer validate`` says of it."""

from __future__ import annotations

from pathlib import Path

from explorer.cli import main


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a file with ``new`` (``old`` must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def one_problem(root: Path, capsys) -> str:
    """Validate the atlas at ``root``: it must fail with exactly one problem, whose line is returned."""
    assert main(["--root", str(root), "validate"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == "1 problem(s) found", lines
    return lines[0]
