"""Read the files the atlas and saved views are made of, refusing what would hang, flood or fool the reader.

Every file is checked before it is opened: a regular file (not a FIFO, device or folder), no larger
than a cap. Text must be UTF-8. YAML is read without anchors, aliases or repeated keys; TOML as
:mod:`tomllib` reads it. What is refused raises :class:`UnreadableFile`, naming the file and why.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from explorer.problems import Problem

#: The most bytes read from one text file (annotation, YAML, TOML, saved view): the atlas's largest is ~130 kB.
MAX_TEXT_BYTES = 2**20
#: The most bytes read from one mesh: the largest committed or built one is ~1.3 MB.
MAX_MESH_BYTES = 64 * 2**20


class UnreadableFile(ValueError):
    """A file is not a regular file, is larger than its cap, or is not valid UTF-8, YAML or TOML.

    Examples
    --------
    >>> str(UnreadableFile(Path("annotations/atlas.yaml"), "not a regular file"))
    'annotations/atlas.yaml: not a regular file'
    """

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason

    @property
    def problem(self) -> Problem:
        """The same, as an atlas problem."""
        return Problem(self.path, None, self.reason)


def read_bytes(path: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The content of the regular file ``path``, refused before it is opened if it is something else or too large.

    Raises
    ------
    UnreadableFile
        ``path`` is not a regular file, or holds more than ``limit`` bytes.
    OSError
        ``path`` is missing (:class:`FileNotFoundError`) or cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> read_bytes(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    explorer.safe_read.UnreadableFile: /tmp/...: not a regular file
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(path, "not a regular file")
    if info.st_size > limit:
        raise UnreadableFile(path, f"larger than the {limit:,} bytes allowed")
    # Non-blocking, in case a FIFO took the file's place since the check; no more than the size checked is read.
    with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
        return file.read(info.st_size)


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_bytes`), with ``\\n`` for every line break, as ``open`` gives it.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.md"
    >>> _ = path.write_bytes(b"caf\\xe9 au lait")
    >>> read_text(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    explorer.safe_read.UnreadableFile: /tmp/.../a.md: not UTF-8 text (invalid continuation byte at byte 3)
    """
    try:
        text = read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Refusing(Composer):
    """Refuses anchors, aliases and repeated keys while composing: an alias bomb of a kilobyte would
    otherwise grow to gigabytes, and a repeated key silently wins."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise ComposerError(None, None, "anchors and aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode):
                if (key.tag, key.value) in seen:
                    raise ComposerError(None, None, f"duplicate key {key.value!r}", key.start_mark)
                seen.add((key.tag, key.value))
        return node


if yaml.__with_libyaml__:
    class StrictLoader(_Refusing, yaml.cyaml.CParser, SafeConstructor, Resolver):
        """PyYAML's safe loader on libyaml's parser, composing in Python to refuse what :class:`_Refusing` does."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:
    class StrictLoader(_Refusing, yaml.SafeLoader):
        """PyYAML's safe loader, refusing what :class:`_Refusing` does."""


def parse_yaml(text: str, path: Path, first_line: int = 1) -> object:
    """``text`` (from ``path``, its first line numbered ``first_line``) read with :class:`StrictLoader`.

    Examples
    --------
    >>> parse_yaml("name: Femur", Path("femur.md"))
    {'name': 'Femur'}
    >>> parse_yaml("name: Femur\\nname: Tibia", Path("femur.md"), first_line=2)
    Traceback (most recent call last):
    ...
    explorer.safe_read.UnreadableFile: femur.md: not valid YAML (line 3): duplicate key 'name'
    """
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + first_line})" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UnreadableFile(path, f"not valid YAML{where}: {problem}") from None


def read_yaml(path: Path) -> object:
    """The YAML file ``path``, read with :func:`read_text` and :func:`parse_yaml`."""
    return parse_yaml(read_text(path), path)


def read_toml(path: Path) -> dict:
    """The TOML file ``path``, read with :func:`read_text`.

    Examples
    --------
    >>> from explorer.atlas import default_root
    >>> read_toml(default_root() / "meshes" / "frame.toml")["units"]
    'mm'
    """
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise UnreadableFile(path, f"not valid TOML: {error}") from None
