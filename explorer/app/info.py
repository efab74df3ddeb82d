"""HTML for the information panel and the cause card, from the atlas's Markdown.

Annotation text goes through :func:`explorer.text.markdown_to_html` (raw HTML escaped);
every other string is escaped here.
"""

from __future__ import annotations

from html import escape

from explorer.atlas import Atlas
from explorer.nerve_territories import SKIN_GROUP, territories_for
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
    parts.append(territories_html(atlas, structure_id))
    parts.append(provenance_html(atlas, structure_id))
    return "\n".join(part for part in parts if part)


def territories_html(atlas: Atlas, structure_id: str) -> str:
    """The skin a nerve supplies, as painted on the skin: a key of colours, what numbness there means and the
    source (``""`` for a structure with no territory).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> html = territories_html(load_atlas(meshes=False), "common_fibular_nerve")
    >>> "Lateral sural cutaneous nerve" in html and "Schematic" in html
    True
    """
    shown = territories_for(atlas, structure_id)
    if not shown:
        return ""
    items = []
    for territory in shown:
        name = escape(atlas[territory.nerve].name)
        items.append(f'<li><span class="territory-swatch" style="background:{territory.colour}" aria-hidden="true">'
                     f'</span><strong>{name}</strong>: {escape(territory.area)}. {escape(territory.numbness)}</li>')
    sources = dict.fromkeys(atlas.nerve_territories.sources[t.source] for t in shown)
    skin = next((s.name for s in atlas.structures.values() if s.group == SKIN_GROUP and s.mesh_file), "")
    where = f"painted on the skin ({escape(skin.lower())}; show it to see them)" if skin else "listed here"
    heading = "Which nerve supplies which skin" if atlas[structure_id].group == SKIN_GROUP else "Skin it supplies"
    return (f'<section class="info-territories"><h3>{heading}</h3>'
            f'<p>These skin territories are {where}. Schematic: the borders follow {escape("; ".join(sources))} '
            'and vary from person to person.</p>'
            f'<ul class="territory-list">{"".join(items)}</ul></section>')


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
