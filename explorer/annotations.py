"""Read annotation files: YAML front matter between ``---`` lines, then Markdown text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, parse_yaml, read_text

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Words that mark unfinished text; refused anywhere in annotation text (case-insensitive).
PLACEHOLDER = re.compile(r"\b(todo|tbd|fixme|lorem)\b", re.IGNORECASE)
#: A link to a glossary term: ``[shown words](glossary:term_id)``.
GLOSSARY_LINK = re.compile(r"\[([^\]]*)\]\(glossary:([^)\s]*)\)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")


@dataclass(frozen=True)
class AnnotationFile:
    """The parsed front matter and text of one annotation file."""

    path: Path
    id: str
    fields: dict
    text: str


def read_annotation(path: Path) -> tuple[AnnotationFile | None, list[Problem]]:
    """Parse one annotation file; on failure return ``None`` and the problems.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "femur.md"
    >>> _ = p.write_text("---\\nname: Femur\\n---\\nThe thigh bone.\\n")
    >>> read_annotation(p)[0].fields
    {'name': 'Femur'}
    """
    problems: list[Problem] = []
    if not ID_PATTERN.match(path.stem):
        problems.append(Problem(path, None, f"file name {path.stem!r} is not a valid id (lowercase letters, digits, _)"))
    try:
        content = read_text(path)
    except UnreadableFile as error:
        return None, problems + [error.problem]
    match = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)$", content, re.DOTALL)
    if not match:
        return None, problems + [Problem(path, None, "no front matter: the file must start with a '---' block")]
    try:
        fields = parse_yaml(match.group(1), path, first_line=2)
    except UnreadableFile as error:
        return None, problems + [Problem(path, None, f"front matter is {error.reason}")]
    if not isinstance(fields, dict):
        return None, problems + [Problem(path, None, "front matter must be a mapping of fields")]
    if problems:
        return None, problems
    return AnnotationFile(path, path.stem, fields, match.group(2).strip()), []


def check_fields(annotation: AnnotationFile, schema: dict[str, tuple[type, bool]]) -> list[Problem]:
    """Check field presence and types against ``schema`` (name -> (type, required)); flag unknown fields."""
    problems = []
    for name, (kind, required) in schema.items():
        value = annotation.fields.get(name)
        if value is None:
            if required:
                problems.append(Problem(annotation.path, name, "missing"))
        elif not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            expected = "a list of strings" if kind is list else f"a {kind.__name__}"
            problems.append(Problem(annotation.path, name, f"must be {expected}, got {value!r}"))
        elif kind is str and not value.strip():
            problems.append(Problem(annotation.path, name, "is empty"))
    for name in sorted(set(annotation.fields) - set(schema)):
        problems.append(Problem(annotation.path, name, f"unknown field (known: {', '.join(schema)})"))
    return problems


def plain_text(text: str) -> str:
    """The text with each glossary link replaced by the words it shows.

    Examples
    --------
    >>> plain_text("extra joint fluid, an [effusion](glossary:effusion)")
    'extra joint fluid, an effusion'
    """
    return GLOSSARY_LINK.sub(lambda match: match.group(1), text)


def word_count(text: str) -> int:
    """Words a reader sees in ``text`` (glossary link targets not counted).

    Examples
    --------
    >>> word_count("The [bursa](glossary:bursa) swells.")
    3
    """
    return len(_WORD.findall(plain_text(text)))


def check_prose(path: Path, field: str, text: str, min_words: int) -> list[Problem]:
    """Refuse placeholder words and text shorter than ``min_words`` words.

    Examples
    --------
    >>> [p.message for p in check_prose(Path("a.md"), "text", "TBD", 1)]
    ["placeholder text 'TBD'"]
    """
    problems = [Problem(path, field, f"placeholder text {match.group(0)!r}") for match in PLACEHOLDER.finditer(text)][:1]
    words = word_count(text)
    if words < min_words:
        problems.append(Problem(path, field, f"text is {words} words; at least {min_words} are needed"))
    return problems


def split_sections(text: str) -> tuple[str, dict[str, str]]:
    """Split Markdown at its ``## `` headings: the text before the first, and heading -> body.

    Examples
    --------
    >>> split_sections("Intro.\\n\\n## Red flags\\nNone.\\n## What helps\\nRest.")
    ('Intro.', {'Red flags': 'None.', 'What helps': 'Rest.'})
    """
    parts = re.split(r"^##[ \t]+(.+?)[ \t]*#*[ \t]*$", text, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2]):
        sections[heading.strip()] = body.strip()
    return parts[0].strip(), sections
