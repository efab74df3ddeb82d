"""HTML for the information panel and the cause card, from the atlas's Markdown.

Annotation text goes through :func:`explorer.text.markdown_to_html` (raw HTML escaped);
every other string is escaped here.
"""

from __future__ import annotations

from html import escape

from explorer.atlas import Atlas
from explorer.text import markdown_to_html

WELCOME = ("<p>Click a structure in the 3D view, or choose one in the list, to read about it. "
           "Drag to rotate, scroll to zoom, right-drag or shift-drag to pan.</p>")


def related_structures(atlas: Atlas, structure_id: str) -> list[str]:
    """Ids of the structures related to one: its parent, its children and those sharing a pain cause.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> "femur" in related_structures(load_atlas(), "femur")  # never itself
    False
    """
    structure = atlas[structure_id]
    related = []
    if structure.parent in atlas.structures:
        related.append(structure.parent)
    related += [s.id for s in atlas.structures.values() if s.parent == structure_id]
    for cause_id in structure.causes:
        related += list(atlas.causes[cause_id].structures)
    return [sid for sid in dict.fromkeys(related) if sid != structure_id and sid in atlas.structures]


def structure_html(atlas: Atlas, structure_id: str) -> str:
    """The information panel's HTML for one structure: name, text and where its mesh comes from.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> structure_html(load_atlas(), "tibia").startswith('<h2 class="info-name">Tibia</h2>')
    True
    """
    structure = atlas[structure_id]
    group = atlas.groups.get(structure.group)
    parts = [f'<h2 class="info-name">{escape(structure.name)}</h2>']
    if group is not None:
        parts.append(f'<p class="info-group">{escape(group.name)}</p>')
    if structure.aliases:
        parts.append(f'<p class="info-aliases">Also called: {escape(", ".join(structure.aliases))}</p>')
    parts.append(f'<div class="info-text">{markdown_to_html(structure.text)}</div>')
    parts.append(provenance_html(atlas, structure_id))
    return "\n".join(parts)


def provenance_html(atlas: Atlas, structure_id: str) -> str:
    """Licence and attribution of a structure's mesh, or a note that it has none."""
    structure = atlas[structure_id]
    if structure.provenance is None:
        return '<p class="info-credit">No 3D model: this entry is text only.</p>'
    kind = "schematic model" if structure.schematic else "measured (MRI-derived)"
    sources = "; ".join(escape(source["attribution"]) for source in structure.provenance.sources
                        if source.get("attribution"))
    attribution = sources or escape(structure.provenance.attribution)
    return (f'<p class="info-credit"><strong>3D model:</strong> {kind}; licence '
            f'{escape(structure.provenance.license)}. {attribution}</p>')


def cause_heading_html(atlas: Atlas, cause_id: str) -> str:
    """The top of the cause card: its name, whether it is urgent and its other names.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> 'role="alert"' in cause_heading_html(load_atlas(), "deep_vein_thrombosis")
    True
    """
    cause = atlas.causes[cause_id]
    parts = [f'<h2 class="cause-name">{escape(cause.name)}</h2>']
    if getattr(cause, "urgent", False):
        parts.append('<p class="cause-urgent" role="alert"><strong>Urgent:</strong> '
                     'this needs medical care the same day.</p>')
    if cause.aliases:
        parts.append(f'<p class="info-aliases">Also called: {escape(", ".join(cause.aliases))}</p>')
    return "\n".join(parts)


def cause_text_html(atlas: Atlas, cause_id: str) -> str:
    """The cause card below its list of structures: the text and the evidence with its sources.

    ``evidence`` (a list of ``{finding, source}``) is shown when the atlas has it.
    """
    cause = atlas.causes[cause_id]
    parts = [f'<div class="cause-text">{markdown_to_html(cause.text)}</div>']
    items = []
    for entry in getattr(cause, "evidence", None) or ():
        finding = _field(entry, "finding")
        source = _field(entry, "source")
        if finding:
            cited = f' <span class="evidence-source">({escape(source)})</span>' if source else ""
            items.append(f"<li>{escape(finding)}{cited}</li>")
    if items:
        parts.append('<h3>Evidence</h3><ul class="cause-evidence">' + "".join(items) + "</ul>")
    parts.append('<p class="cause-disclaimer">Educational material, not a diagnosis.</p>')
    return "\n".join(parts)


def _field(entry, name: str) -> str:
    value = entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)
    return value if isinstance(value, str) else ""
