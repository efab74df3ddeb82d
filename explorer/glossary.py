"""The glossary: plain-language definitions of the terms the atlas texts use.

``annotations/glossary.yaml`` maps a term id to its display name and definition::

    effusion:
      term: Effusion
      definition: Extra fluid inside a joint ...

Texts link to a term with ``[shown words](glossary:effusion)``; a link to an id the
glossary does not define is a problem reported by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.annotations import GLOSSARY_LINK, ID_PATTERN, check_prose
from explorer.problems import Problem
from explorer.safe_read import UnreadableFile, read_yaml

MIN_DEFINITION_WORDS = 6


@dataclass(frozen=True)
class GlossaryTerm:
    """One defined term.

    Examples
    --------
    >>> GlossaryTerm("bursa", "Bursa", "A small flat sac of fluid that lets tissues glide.").term
    'Bursa'
    """

    id: str
    term: str
    definition: str


def read_glossary(path: Path, problems: list[Problem]) -> dict[str, GlossaryTerm]:
    """Read the glossary file, appending any problem to ``problems``; a missing file is an empty glossary.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "glossary.yaml"
    >>> _ = p.write_text("bursa: {term: Bursa, definition: A small flat sac of fluid that lets tissues glide.}")
    >>> list(read_glossary(p, []))
    ['bursa']
    """
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        return {}
    except UnreadableFile as error:
        problems.append(error.problem)
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(path, None, "must be a mapping of term id to {term, definition}"))
        return {}
    terms: dict[str, GlossaryTerm] = {}
    for term_id, entry in data.items():
        if not isinstance(term_id, str) or not ID_PATTERN.match(term_id):
            problems.append(Problem(path, str(term_id), "term id must be lowercase letters, digits and _"))
            continue
        if not isinstance(entry, dict) or set(entry) != {"term", "definition"}:
            problems.append(Problem(path, term_id, "must have exactly the keys 'term' and 'definition'"))
            continue
        if not all(isinstance(entry[key], str) and entry[key].strip() for key in ("term", "definition")):
            problems.append(Problem(path, term_id, "'term' and 'definition' must be non-empty strings"))
            continue
        found = check_prose(path, f"{term_id}.definition", entry["definition"], MIN_DEFINITION_WORDS)
        problems += found
        if not found:
            terms[term_id] = GlossaryTerm(term_id, entry["term"].strip(), " ".join(entry["definition"].split()))
    return terms


def check_links(path: Path, field: str, text: str, glossary: dict[str, GlossaryTerm]) -> list[Problem]:
    """A problem for each ``glossary:`` link in ``text`` to a term the glossary does not define.

    Examples
    --------
    >>> [p.message for p in check_links(Path("a.md"), "text", "[fluid](glossary:efusion)", {})]
    ["link to unknown glossary term 'efusion'"]
    """
    return [
        Problem(path, field, f"link to unknown glossary term {term_id!r}")
        for term_id in dict.fromkeys(match.group(2) for match in GLOSSARY_LINK.finditer(text))
        if term_id not in glossary
    ]


def anchor_links(text: str, glossary: dict[str, GlossaryTerm]) -> str:
    """Rewrite glossary links as in-page anchors whose title is the definition.

    The result is still Markdown; rendered with :func:`explorer.text.markdown_to_html` each link
    becomes ``<a href="#glossary-<id>" title="<definition>">``, which a browser shows as a tooltip.
    Links to unknown terms are left as their plain words.

    Examples
    --------
    >>> terms = {"bursa": GlossaryTerm("bursa", "Bursa", 'A small "sac" of fluid.')}
    >>> anchor_links("a [bursa](glossary:bursa) and [x](glossary:nope)", terms)
    'a [bursa](#glossary-bursa "A small \\\\"sac\\\\" of fluid.") and x'
    """
    def replace(match) -> str:
        term = glossary.get(match.group(2))
        if term is None:
            return match.group(1)
        title = term.definition.replace("\\", "\\\\").replace('"', '\\"')
        return f'[{match.group(1)}](#glossary-{term.id} "{title}")'

    return GLOSSARY_LINK.sub(replace, text)
