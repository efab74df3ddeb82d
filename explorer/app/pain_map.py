"""The *Where does it hurt?* learning mode: a point on the leg gives the causes of pain felt there.

With the mode on, a click on the 3D view places a point on the skin instead of selecting (see
:func:`explorer.pain_map.point_from_ray`); a list of the named regions does the same from the keyboard
or a screen reader. A red pin marks the point in the view and its region is painted on the skin. The side
panel then shows the causes felt there as cards, urgent ones first with their red flags, the structures
beneath the point (highlighted and labelled in the view, the rest faint), the skin nerve supplying the
spot, and beside them what scans find in knees that do not hurt. The link keeps the point or region
(``hurt=medial_popliteal_fossa`` or ``hurt=-39.2,-43.1,5``).
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import panel as pn

from explorer.annotations import plain_text
from explorer.app.controls import check_box
from explorer.app.links import LinkList
from explorer.appearance import appearance
from explorer.nerve_territories import Patch, SkinPaint, territory_at
from explorer.pain_map import (RankedCause, causes_in, inward, point_from_ray, prepare, region_point, regions_at,
                               structures_beneath)
from explorer.text import markdown_to_html

#: The link argument holding the point or region.
LINK_ARG = "hurt"
#: At most this many structures beneath the point are labelled in the view.
MAX_LABELS = 5
#: Below this opacity a structure does not stop a click's ray (it is ghosted).
SOLID_ENOUGH = 0.3
#: How far the camera stands from a region chosen from the list (mm).
CAMERA_DISTANCE_MM = 420.0
#: A point in a link is at most this far from the joint centre on any axis (mm).
MAX_COORDINATE_MM = 1000.0
#: The colour the region under the point is painted on the skin in.
REGION_COLOUR = "#f2b8b5"
#: The label of the pin marking the point in the view.
MARKER_TEXT = "Where it hurts"
_NO_REGION = "(choose a region)"
_STYLE = """
.pain-causes { list-style: none; padding: 0; margin: 0.4em 0; }
.pain-cause { border: 1px solid #bbb; border-radius: 4px; padding: 0.4em 0.7em; margin: 0 0 0.5em; }
.pain-cause h3 { margin: 0.1em 0 0.2em; font-size: 1em; }
.pain-urgent { background: #fde2e1; border: 2px solid #b00020; }
.pain-flag { color: #8a0018; margin: 0.2em 0; }
.pain-typical, .pain-source, .evidence-source, .pain-disclaimer { color: #444; font-size: 0.9em; }
.pain-scans { background: #eef4fb; border: 1px solid #8fb0d8; border-radius: 4px; padding: 0.4em 0.7em; }
.pain-map p, .pain-map li { font-size: 14px; line-height: 1.45; }
"""


class PainMapMode(pn.viewable.Viewer):
    """*Where does it hurt?*: built with the app, it takes its clicks while on (see :mod:`explorer.app.learning`).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> from explorer.app.explorer import KneeExplorerApp
    >>> app = KneeExplorerApp(atlas=load_atlas())
    >>> mode = PainMapMode(app)
    >>> mode.choose_region("posterior_calf")
    >>> mode.ranked[0].cause.name, mode.link_args()
    ('Deep vein thrombosis', {'hurt': 'posterior_calf'})
    """

    title = "Where does it hurt?"

    def __init__(self, app) -> None:
        super().__init__()
        self.app, self.atlas = app, app.atlas
        self.point: np.ndarray | None = None
        self.region = ""
        self.ranked: list[RankedCause] = []
        self.beneath: list[str] = []
        self._previous_handler = None
        self._syncing = False
        self.toggle = check_box("Take a point: a click on the 3D view marks where it hurts")
        self.toggle.param.watch(lambda event: self.switch(bool(event.new)), "checked")
        names = {region.name: region.id for region in self.atlas.pain_regions.regions.values()}
        self.chooser = pn.widgets.Select(label="Or choose where it hurts", options={_NO_REGION: ""} | names,
                                         sizing_mode="stretch_width")
        self.chooser.param.watch(self._on_chooser, "value")
        self.result = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.cause_links = LinkList(heading="Open a cause's full card", on_choose=self._on_link,
                                    sizing_mode="stretch_width")
        self.beneath_links = LinkList(heading="Beneath this point, from the skin in", on_choose=self._on_link,
                                      sizing_mode="stretch_width")
        self.note = pn.pane.HTML(scans_note_html(self.atlas), sizing_mode="stretch_width", stylesheets=[_STYLE])

    # the mode's state ----------------------------------------------------------------
    @property
    def on(self) -> bool:
        """Whether clicks on the 3D view place points."""
        return bool(self.toggle.checked)

    def switch(self, on: bool) -> None:
        """Turn the mode on (clicks place points) or off (clicks select again; the point is cleared)."""
        if self.toggle.checked != on:
            self.toggle.checked = on  # comes back here through the watcher
            return
        if on:
            prepare(self.atlas, wait=False)  # once per atlas, so the first click need not wait for the ray index
        if on and self.app.pick_handler != self.take_click:
            self._previous_handler, self.app.pick_handler = self.app.pick_handler, self.take_click
        elif not on:
            if self.app.pick_handler == self.take_click:
                self.app.pick_handler = self._previous_handler
            self.clear()
        self._render()

    def take_click(self, structure_id: str) -> bool:
        """The app's pick handler while the mode is on: the click's ray becomes a point; nothing is selected."""
        ray = self.app.canvas.last_ray
        if ray is None:
            self._render(status="That click could not be placed on the leg; try again, or choose a region from the list.")
            return True
        skin = [sid for sid in self.app.visible if self.atlas[sid].group == self.atlas["skin"].group] \
            if "skin" in self.atlas.structures else []
        self.show_point(point_from_ray(self.atlas, ray, self._solid() + skin))  # the skin, faint, still takes it
        return True

    def choose_region(self, region_id: str) -> None:
        """Show the causes of one named region, at a point in its middle, and turn the view to it."""
        self.show_point(region_point(self.atlas, region_id), region_id)
        self._look_at(self.point)

    def _on_chooser(self, event) -> None:
        if self._syncing:
            return
        if event.new in self.atlas.pain_regions.regions:
            self.choose_region(event.new)
        elif self.region:  # back to "(choose a region)"
            self.clear()
            self._render()

    def _set_chooser(self, region_id: str) -> None:
        self._syncing = True
        try:
            self.chooser.value = region_id
        finally:
            self._syncing = False

    def show_point(self, point, region_id: str = "") -> None:
        """Show the causes, and the structures beneath, of a point on the leg (of ``region_id`` if given)."""
        self.point, self.region = np.asarray(point, dtype=float), region_id
        if not self.on:
            self.switch(True)
        regions = [region_id] if region_id else [r.id for r in regions_at(self.atlas, self.point)]
        self.ranked = causes_in(self.atlas, regions)
        self.beneath = structures_beneath(self.atlas, self.point)
        self._set_chooser(region_id)  # a click clears the list's choice
        self._render()
        self._draw()
        self.app.update_link()

    def clear(self) -> None:
        """Forget the point: no causes, no highlight, nothing in the link."""
        self.point, self.region, self.ranked, self.beneath = None, "", [], []
        self._set_chooser("")
        self._draw()
        self.app.update_link()

    # the link --------------------------------------------------------------------------
    def link_args(self) -> dict[str, str]:
        """``hurt``: the region chosen from the list, or the clicked point in mm (none when idle)."""
        if self.point is None:
            return {}
        if self.region:
            return {LINK_ARG: self.region}
        return {LINK_ARG: ",".join(f"{v:.1f}" for v in self.point)}

    def restore(self, query: dict[str, list[bytes]]) -> None:
        """Take the point or region back from a link; a value that is neither is refused with a notice."""
        values = query.get(LINK_ARG) or []
        if not values:
            return
        raw = values[0]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        if text in self.atlas.pain_regions.regions:
            self.show_point(region_point(self.atlas, text), text)
        else:
            point = parse_point(text)
            if point is None:
                self.switch(True)
                self._render(status=f"The link's point {text[:40]!r} is neither a region nor x,y,z in mm; "
                                    "click the leg or choose a region.")
                return
            self.show_point(point)
        if "cam" not in query:  # a camera in the link wins
            self._look_at(self.point)

    # drawing ---------------------------------------------------------------------------
    def _solid(self) -> list[str]:
        """What the view shows solidly, as the app draws it (the mode's own highlight aside)."""
        app = self.app
        looks = appearance(self.atlas, app.visible, app.selected, app.cause, app.opacity, app.ghost)
        return [sid for sid, look in looks.items() if look.visible and look.opacity >= SOLID_ENOUGH]

    def _look_at(self, point: np.ndarray) -> None:
        heading = inward(self.atlas.pain_regions, point)
        if heading.any():
            focus = point + 25.0 * heading
            self.app.camera = {"position": [round(float(v), 2) for v in focus - CAMERA_DISTANCE_MM * heading],
                               "focalPoint": [round(float(v), 2) for v in focus], "viewUp": [0.0, 0.0, 1.0]}

    def _draw(self) -> None:
        """Mark the point with a pin, paint its region on the skin and bring the structures beneath it forward
        (solid and labelled, the rest faint)."""
        if self.point is None:
            self.app.param.update(focus={}, marks=[], marker={})
            return
        regions = [self.atlas.pain_regions.regions[self.region]] if self.region else regions_at(self.atlas, self.point)
        patches = tuple(Patch(r.height_mm, r.sector_deg) for r in regions)
        self.app.param.update(focus=label_points(self.atlas, self.beneath, self.point),
                              marks=[SkinPaint(REGION_COLOUR, patches)] if patches else [],
                              marker={"point": [round(float(v), 2) for v in self.point], "text": MARKER_TEXT})

    def _render(self, status: str = "") -> None:
        self.result.object = result_html(self.atlas, self.point, self.region, self.ranked, self.beneath,
                                         status, self.on)
        self.cause_links.items = [{"label": r.cause.name, "kind": "cause", "id": r.cause.id} for r in self.ranked]
        self.beneath_links.items = [{"label": self.atlas[sid].name, "kind": "structure", "id": sid}
                                    for sid in self.beneath]

    def _on_link(self, kind: str, item_id: str) -> None:
        if kind == "cause" and item_id in self.atlas.causes:
            self.app.cause = item_id
        elif kind == "structure" and item_id in self.atlas.structures:
            self.app.show_structure(item_id)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.toggle, self.chooser, self.result, self.cause_links, self.beneath_links, self.note,
                         sizing_mode="stretch_width", css_classes=["pain-map"])


def parse_point(text: str) -> np.ndarray | None:
    """Three finite numbers of mm, comma-separated, each within :data:`MAX_COORDINATE_MM`; else None.

    Examples
    --------
    >>> parse_point("-39.2,-43.1,5").tolist(), parse_point("1,2"), parse_point("1,nan,2"), parse_point("1,2,9e9")
    ([-39.2, -43.1, 5.0], None, None, None)
    """
    parts = text.split(",")
    if len(parts) != 3:
        return None
    try:
        values = [float(part) for part in parts]
    except ValueError:
        return None
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE_MM for v in values):
        return None
    return np.array(values)


def label_points(atlas, beneath: list[str], point: np.ndarray) -> dict[str, list[float]]:
    """The first :data:`MAX_LABELS` structures of ``beneath``, each with its mesh's vertex nearest the point
    (where its label goes).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> list(label_points(load_atlas(), ["tibia", "femur"], np.zeros(3)))
    ['tibia', 'femur']
    """
    named = {}
    for sid in [sid for sid in beneath if atlas[sid].mesh is not None][:MAX_LABELS]:
        vertices = np.asarray(atlas[sid].mesh.points)
        named[sid] = [round(float(v), 2) for v in vertices[np.argmin(np.linalg.norm(vertices - point, axis=1))]]
    return named


def result_html(atlas, point, region_id: str, ranked: list[RankedCause], beneath: list[str], status: str,
                on: bool) -> str:
    """The mode's answer: where the point is, then the causes as cards (urgent first, with their red flags)."""
    if point is None:
        hint = ("Click the leg in the 3D view where it hurts, or choose a region from the list."
                if on else "Tick the box, then click the leg in the 3D view, or choose a region from the list.")
        return f'<p role="status">{escape(status or hint)}</p>'
    regions = ([atlas.pain_regions.regions[region_id]] if region_id else regions_at(atlas, point))
    where = " and ".join(r.name for r in regions) or "no named region"
    urgent = sum(r.urgent for r in ranked)
    summary = (f"{where}: {len(ranked)} cause{'s' if len(ranked) != 1 else ''} of pain felt here"
               + (f", {urgent} of them urgent" if urgent else "") + ".")
    if not ranked:
        summary = f"{where}: no cause in this atlas is felt here; try the back of the knee, thigh or calf."
    parts = [f'<p role="status">{escape(status or summary)}</p>',
             '<p class="pain-disclaimer">For learning, not a diagnosis: what scans find in knees that do not hurt '
             "is set out below the causes.</p>"]
    for region in regions:
        parts.append(f'<p class="pain-source">{escape(region.name)}: {escape(region.bounds)} '
                     f'(after {escape(atlas.pain_regions.sources.get(region.source, region.source))})</p>')
    if ranked:
        parts.append('<ol class="pain-causes" aria-label="Causes of pain felt here, urgent first">'
                     + "".join(cause_card_html(atlas, r) for r in ranked) + "</ol>")
    if beneath:
        names = ", ".join(atlas[sid].name for sid in beneath)
        parts.append(f'<p class="pain-beneath">Beneath this point, from the skin in: {escape(names)}.</p>')
    skin = [sid for sid, s in atlas.structures.items() if s.group == "integument"]
    territory = territory_at(atlas, skin[0], point) if skin else None
    if territory is not None:
        parts.append(f'<p class="pain-skin-nerve">The skin here is supplied by the '
                     f'{escape(atlas[territory.nerve].name.lower())} (schematic). {escape(territory.numbness)}</p>')
    return "\n".join(parts)


def cause_card_html(atlas, ranked: RankedCause) -> str:
    """One cause as a card: its name, the urgent flag with its red flags, how typical pain here is and why.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> from explorer.pain_map import causes_in
    >>> card = cause_card_html(load_atlas(meshes=False), causes_in(load_atlas(meshes=False), ["posterior_calf"])[0])
    >>> 'pain-urgent' in card and "Red flags" in card
    True
    """
    cause = ranked.cause
    sources = "; ".join(dict.fromkeys(atlas.pain_regions.sources.get(link.source, link.source)
                                      for link in ranked.links))
    parts = [f"<h3>{escape(cause.name)}</h3>"]
    if ranked.urgent:
        parts.append('<p class="pain-flag"><strong>Urgent:</strong> this needs medical care the same day; '
                     "check the red flags below.</p>")
    parts.append(f'<p class="pain-typical">Pain here is {ranked.word} for it (after {escape(sources)}).</p>')
    parts.append(markdown_to_html(plain_text(cause.summary)))
    if ranked.urgent and ranked.red_flags:
        flags = markdown_to_html(plain_text(ranked.red_flags))
        parts.append(f'<div class="pain-red-flags"><strong>Red flags</strong>{flags}</div>')
    kind = "pain-cause pain-urgent" if ranked.urgent else "pain-cause"
    return f'<li class="{kind}" data-cause="{escape(cause.id)}">' + "".join(parts) + "</li>"


def scans_note_html(atlas) -> str:
    """What scans find in knees that do not hurt, with each figure's study, and that this is not a diagnosis."""
    regions = atlas.pain_regions
    items = "".join(f'<li>{escape(item.finding)} <span class="evidence-source">({escape(item.source)})</span></li>'
                    for item in regions.scans_evidence)
    disclaimer = atlas.disclaimer or "Educational material, not a diagnosis."
    return (f'<aside class="pain-scans" aria-label="Scans and pain"><h3>Scans and pain</h3>'
            f"<p>{escape(regions.scans_note)}</p><ul>{items}</ul>"
            f'<p class="pain-disclaimer"><strong>Education, not a diagnosis.</strong> {escape(disclaimer)}</p></aside>')
