"""The browser explorer: a 3D knee to rotate and click, a structure tree, pain causes and links.

:class:`KneeExplorerApp` holds one browser session's state as parameters (``selected``,
``cause``, ``visible``, ``opacity``, ``ghost``, ``clip_axis``, ``clip_position``, ``labels``,
``camera``); tests set them directly. Every change becomes the looks of
:func:`explorer.appearance.appearance` on the browser's canvas and is written into the page's URL.
The meshes themselves are packed once and shared by every session.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

import numpy as np
import panel as pn
import param
from panel.io.document import hold
from panel.io.state import set_curdoc

from explorer.app.canvas import KneeCanvas
from explorer.app.controls import check_box, slider
from explorer.app.describe import ViewDescription, describe_view
from explorer.app.downloads import DownloadBar
from explorer.app import learning
from explorer.app.info import WELCOME, cause_heading_html, cause_text_html, related_structures, structure_html
from explorer.app.links import LinkList
from explorer.app.meshdata import MeshData, pack_meshes
from explorer.app.state import CLIP_RANGE_MM, ViewState, checked_camera, decode, encode
from explorer.app.tabs import Tabs
from explorer.app.tree import StructureTree, tree_data
from explorer.appearance import appearance, cause_structures, cut_plane, default_visible
from explorer.atlas import Atlas
from explorer.export.saved_view import SavedView
from explorer.nerve_territories import SKIN_GROUP, leg_axis, painted_points
from explorer.sight import Sightlines, near_knee
from explorer.views import VIEWS, framing, named_camera

#: The cause view frames at most a sphere of this radius (mm), so long muscles do not shrink the knee.
CAUSE_FRAME_RADIUS_MM = 90.0
#: A structure brought into sight is framed with at least this much round it (mm of radius).
MIN_FRAME_RADIUS_MM = 45.0
#: Below this fraction of a structure in sight from every side, X-ray is turned on to show it.
MIN_SIGHT = 0.15
#: Clipping choices: the axis each cuts along ("x", "y", "z" in the link).
CLIP_AXES = {"off": None, "lateral to medial": "x", "front to back": "y", "top to bottom": "z"}
_STYLE = """
.knee-notice { background: #fff3cd; border: 1px solid #b58900; border-radius: 4px; padding: 0.4em 0.7em; }
.cause-urgent { background: #fde2e1; border: 2px solid #b00020; border-radius: 4px; padding: 0.4em 0.7em; }
.info-credit, .info-group, .info-aliases, .cause-disclaimer, .evidence-source { color: #444; font-size: 0.9em; }
.territory-list { padding-left: 1.2em; }
.territory-swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em;
  border: 1px solid #333; border-radius: 2px; }
.info-name, .cause-name { margin: 0.2em 0; }
.knee-panel-heading { font-size: 1.1em; margin: 0.6em 0 0.2em; }
.info-text, .cause-text { font-size: 14px; line-height: 1.45; }
@media (max-width: 700px) { .info-text, .cause-text { font-size: 16px; } }
"""

#: The side panel: the text about the selection and the tabs below it share its height, each scrolling on its
#: own, so neither a pick nor the tree following it moves the other (or the page).
_SIDEBAR = """
.knee-about { flex: 1 1 50% !important; min-height: 140px; }
.knee-tabs { flex: 1 1 50% !important; min-height: 220px; }
"""

#: How many sets of label points a session keeps (a cause view's cost 3 ms to find).
LABEL_CACHE_SIZE = 64

#: On a phone-sized window the view takes the top of the page and the panels follow below it; the page scrolls.
_NARROW = """
@media (max-width: 700px) {
  :host { height: auto !important; flex: 0 0 auto !important; overflow: visible !important; }
  .knee-view-area { flex: 0 0 auto !important; width: 100% !important; height: 58vh !important; min-height: 280px !important; }
  .knee-sidebar {
    flex: 0 0 auto !important; width: 100% !important; max-width: none !important; height: auto !important;
    min-height: fit-content !important; overflow: visible !important;
  }
  .knee-about, .knee-tabs { flex: 0 0 auto !important; height: auto !important; overflow: visible !important; }
}
"""


def _label_points(atlas: Atlas, structures: list[str], selected: str, focal_point) -> dict[str, list[float]]:
    """Each structure's and the selection's label point: the middle of its part near the middle of the
    structures (of the focal point when there are none)."""
    points = {sid: np.asarray(atlas[sid].mesh.points) for sid in structures}
    if points:
        middle = np.mean(np.percentile(np.concatenate(list(points.values())), [5, 95], axis=0), axis=0)
    else:
        middle = np.asarray(focal_point, dtype=float)
    if selected:
        points[selected] = np.asarray(atlas[selected].mesh.points)
    return {sid: _middle_near(p, middle, 0.7 * CAUSE_FRAME_RADIUS_MM) for sid, p in points.items()}


def _middle_near(points: np.ndarray, centre: np.ndarray, reach_mm: float) -> list[float]:
    """The vertex at the middle of the points within ``reach_mm`` of ``centre`` (or the nearest one)."""
    near = points[np.linalg.norm(points - centre, axis=1) < reach_mm]
    if not len(near):
        near = points[[np.argmin(np.linalg.norm(points - centre, axis=1))]]
    return [round(float(v), 2) for v in near[np.argmin(np.linalg.norm(near - near.mean(axis=0), axis=1))]]


def _heading(text: str) -> pn.pane.HTML:
    return pn.pane.HTML(f'<h2 class="knee-panel-heading">{escape(text)}</h2>', stylesheets=[_STYLE])


class KneeExplorerApp(pn.viewable.Viewer):
    """The explorer for one browser session.

    Parameters
    ----------
    atlas
        The atlas to show (shared by all sessions; never modified).
    query
        The page's query arguments (``pn.state.session_args``) to restore a shared view from.
    meshes
        The packed meshes, shared by all sessions (packed from ``atlas`` if not given).
    document
        The served session's document: changes that arrive together (a burst of clicks) are then
        drawn once, on the next tick. Without it (a notebook, a test) every change is drawn at once.
    sightlines
        Ray tests on the atlas's meshes, shared by all sessions (built from ``atlas`` if not given).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> app = KneeExplorerApp(atlas=load_atlas())
    >>> app.selected = "tibia"
    >>> "<h2" in app.info.object and "Tibia" in app.info.object
    True
    >>> app.link_query()
    '?sel=tibia'
    """

    selected = param.String(default="", doc="Id of the structure shown in the information panel ('' for none).")
    cause = param.String(default="", doc="Id of the pain cause shown ('' for none).")
    visible = param.List(default=[], doc="Ids of the structures shown (pathology variants aside).")
    opacity = param.Dict(default={}, doc="Group id -> opacity from 0 to 1.")
    ghost = param.Boolean(default=False, doc="X-ray: everything but the selection faint.")
    clip_axis = param.Selector(default="off", objects=list(CLIP_AXES), doc="Axis of the clipping plane.")
    clip_position = param.Number(default=0.0, bounds=(-CLIP_RANGE_MM, CLIP_RANGE_MM), doc="Clipping plane position (mm).")
    labels = param.Boolean(default=False, doc="Names over the 3D view.")
    camera = param.Dict(default=named_camera("anterior"), doc="{'position', 'focalPoint', 'viewUp'} in mm.")
    notice = param.String(default="", doc="A message for the user (bad link, unknown id).")
    focus = param.Dict(default={}, doc="Structures a learning mode brings forward (solid, labelled, the rest faint): "
                                       "id -> the [x, y, z] (mm) its label marks, or None for the middle of its "
                                       "part in view. Not part of the link: the mode keeps its own.")
    marks = param.List(default=[], doc="Patches a learning mode paints on the skin (explorer.nerve_territories."
                                       "SkinPaint: the pain map's region). Not part of the link.")
    marker = param.Dict(default={}, doc="A point a learning mode marks in 3D with a label: {'point': [x, y, z], "
                                        "'text': ...} or {}. Not part of the link.")

    def __init__(self, atlas: Atlas, query: dict | None = None, meshes: MeshData | None = None, document=None,
                 sightlines: Sightlines | None = None, **params):
        super().__init__(**params)
        self.sightlines = sightlines if sightlines is not None else Sightlines(atlas)
        #: Called with each click's structure id ('' for the background) before it selects; returning True
        #: keeps the click from selecting (a quiz answering "find it", a pain map taking a point).
        self.pick_handler: Callable[[str], bool] | None = None
        self._document = document
        self._location = pn.state.location if document is not None else None
        self.atlas = atlas
        self.meshes = meshes if meshes is not None else pack_meshes(atlas)
        self.default_visible = default_visible(atlas)
        self._drawable = {sid for sid, s in atlas.structures.items() if s.mesh is not None}
        self._apply_scheduled = False
        self._label_cache: dict[tuple, dict[str, list[float]]] = {}
        self._restoring = True
        self._build_widgets()
        self._restore(decode(query or {}, atlas))
        for mode in self.modes:
            mode.restore(query or {})
        self._restoring = False
        self._apply_now()
        if self._location is not None:
            # The page reports its address once it connects: it must show the link of what is shown, not a
            # link that was refused.
            self._location.param.watch(lambda _event: self._update_location(), "search")

    # state ---------------------------------------------------------------------------
    def _restore(self, state: ViewState) -> None:
        axis = {letter: name for name, letter in CLIP_AXES.items()}.get(state.clip[0] if state.clip else None, "off")
        self.param.update(visible=list(self.default_visible if state.visible is None else state.visible),
                          cause=state.cause, selected=state.selected, notice=" ".join(state.notices),
                          opacity=dict(state.opacity), ghost=state.ghost, labels=state.labels, clip_axis=axis,
                          clip_position=state.clip[1] if state.clip else 0.0)
        if state.camera is not None:
            self.camera = dict(state.camera)
        elif state.cause:
            self._frame_cause(from_behind=True)

    def view_state(self) -> ViewState:
        """What the link holds: the current view as a :class:`~explorer.app.state.ViewState`."""
        camera = None if self.camera == named_camera("anterior") else self.camera
        clip = (CLIP_AXES[self.clip_axis], float(self.clip_position)) if CLIP_AXES[self.clip_axis] else None
        opacity = {g: float(v) for g, v in self.opacity.items() if g in self.atlas.groups}
        return ViewState(visible=self.visible, selected=self.selected, cause=self.cause, camera=camera,
                         opacity=opacity, ghost=self.ghost, clip=clip, labels=self.labels)

    def saved_view(self) -> SavedView:
        """This view as a saved view (what "Download this view" writes), for exports and lectures."""
        state = self.view_state()
        if sorted(state.visible) == sorted(self.default_visible):
            state.visible = None
        return SavedView(state, labels=self.labels)

    def _saved_view_file(self) -> io.StringIO:
        return io.StringIO(json.dumps(self.saved_view().to_dict(), indent=2) + "\n")

    def link_query(self) -> str:
        """The query string that restores this view and the learning modes' state (``""`` for the default view)."""
        query = encode(self.view_state(), self.default_visible)
        extra = urlencode({key: value for mode in self.modes for key, value in mode.link_args().items()})
        return f"{query}&{extra}" if query and extra else query or (f"?{extra}" if extra else "")

    @param.depends("selected", "cause", "visible", "opacity", "ghost", "clip_axis", "clip_position", "labels",
                   "focus", "marks", "marker", watch=True)
    def _apply(self) -> None:
        if self._restoring:
            return
        if self._document is None:
            self._apply_now()
        elif not self._apply_scheduled:
            self._apply_scheduled = True
            self._document.add_next_tick_callback(self._apply_in_session)

    def _apply_in_session(self) -> None:
        # Held, the changes leave as one message instead of one per widget (each costs a pass over the document).
        with set_curdoc(self._document), hold(self._document):
            self._apply_now()

    def _apply_now(self) -> None:
        self._apply_scheduled = False
        if self._corrected():
            return  # the correction draws again
        looks = appearance(self.atlas, self.visible, self.selected, self.cause, self.opacity, self.ghost,
                           focus=self.focus, marks=self.marks)
        self.canvas.param.update(looks=json.dumps({sid: look.as_list() for sid, look in looks.items()},
                                                  separators=(",", ":")),
                                 clip=self._clip(), labels=self.labels, selected=self.selected, marker=self.marker,
                                 named=self._label_points())
        self.tree.param.update(shown=list(self.visible), selected=self.selected)
        self._update_panels()
        self._update_description()
        self._update_location()

    def _corrected(self) -> bool:
        """Whether the state held something no view can show (sent by the page, or set from Python); if so it is
        corrected, and the notice says what was dropped."""
        unknown = [sid for sid in self.visible if not isinstance(sid, str) or sid not in self._drawable]
        if unknown:
            self.notice = f"There is no structure with the id {str(unknown[0])[:64]!r} to show."
            self.visible = [sid for sid in self.visible if sid not in unknown]
            return True
        for name, known in (("selected", self.atlas.structures), ("cause", self.atlas.causes)):
            value = getattr(self, name)
            if value and value not in known:
                self.notice = f"There is no {'structure' if name == 'selected' else 'pain cause'} with the id '{value}'."
                setattr(self, name, "")
                return True
        opacity = {group: float(value) for group, value in self.opacity.items()
                   if group in self.atlas.groups and isinstance(value, (int, float)) and 0.0 <= value <= 1.0}
        if opacity != self.opacity:
            self.notice = "Opacities go from 0 to 1, one per group; the others were dropped."
            self.opacity = opacity
            return True
        if not math.isfinite(self.clip_position):
            self.notice = "The cut's position must be a number of millimetres; it was set to 0."
            self.clip_position = 0.0
            return True
        return False

    def _clip(self) -> dict:
        axis = CLIP_AXES[self.clip_axis]
        if axis is None:
            return {}
        origin, normal = cut_plane(axis, self.clip_position)
        return {"origin": origin, "normal": normal}

    # actions -------------------------------------------------------------------------
    def show_view(self, name: str) -> None:
        """Look from a named side (see :data:`explorer.views.VIEWS`)."""
        self.camera = named_camera(name)
        if self.cause:
            self._frame_cause()

    def reset(self) -> None:
        """The default view: everything but pathology shown, opaque, nothing chosen, from the front."""
        self.param.update(selected="", cause="", visible=list(self.default_visible), opacity={}, ghost=False,
                          clip_axis="off", clip_position=0.0, labels=False, notice="", camera=named_camera("anterior"))

    def hide_selected(self) -> None:
        """Hide the selected structure."""
        if self.selected:
            self.visible = [sid for sid in self.visible if sid != self.selected]

    def hide_all(self) -> None:
        """Hide every structure, to tick back only the ones wanted."""
        self.visible = []

    def isolate_selected(self) -> None:
        """Show only the selected structure, framed."""
        self.isolate([self.selected])

    def isolate(self, structure_ids: list[str]) -> None:
        """Show only these structures (a group, or several chosen ones), framed from the same side."""
        shown = [sid for sid in dict.fromkeys(structure_ids) if sid in self._drawable]
        if shown:
            self.visible = shown
            self._frame(shown, self.camera)

    def frame_shown(self) -> None:
        """Zoom on what is shown, looking from the same side."""
        shown = [sid for sid, look in self._looks().items() if look.visible and look.opacity > 0.2]
        if shown:
            self._frame(shown, self.camera, max_radius_mm=None)

    def show_all(self) -> None:
        """Show every structure again (pathology aside), opaque, unclipped."""
        self.param.update(visible=list(self.default_visible), opacity={}, ghost=False, clip_axis="off")

    def show_structure(self, structure_id: str) -> None:
        """Select a structure and bring it into sight, as choosing it from a list or a link does.

        It is shown, and the camera turns to the named side that shows most of it and zooms on it
        (:class:`~explorer.sight.Sightlines`); when every side hides most of it, X-ray is turned on.
        """
        self.selected = structure_id if isinstance(structure_id, str) else ""
        if self.selected not in self._drawable:
            self._look_at_territory()
            return
        structure = self.atlas[self.selected]
        if self.selected not in self.visible and not structure.pathology:
            self.visible = [*self.visible, self.selected]
        blocking = [sid for sid, look in self._looks().items()
                    if look.visible and look.opacity >= 0.5 and sid != self.selected]
        sight = self.sightlines.best(self.selected, blocking)
        if sight.fraction < MIN_SIGHT:
            self.ghost = True
            sight = self.sightlines.best(self.selected, [])
        self.camera = framing(near_knee(structure.mesh.points), named_camera(sight.view),
                              max_radius_mm=CAUSE_FRAME_RADIUS_MM, min_radius_mm=MIN_FRAME_RADIUS_MM)

    def _look_at_territory(self) -> None:
        """For a skin nerve with no model: show the skin and look straight at its painted territory."""
        points = painted_points(self.atlas, self.selected)
        if not len(points):
            return
        skins = [s.id for s in self.atlas.structures.values() if s.group == SKIN_GROUP and s.id in self._drawable]
        self.visible = [*self.visible, *(sid for sid in skins if sid not in self.visible)]
        centre, _ = self.atlas.pain_regions.centre(float(np.median(points[:, 2])))
        outward = (points[:, :2] - centre).mean(axis=0)
        outward = outward / (np.linalg.norm(outward) or 1.0)
        start = {"position": [*(outward * 500.0), 0.0], "focalPoint": [0.0, 0.0, 0.0], "viewUp": [0.0, 0.0, 1.0]}
        self.camera = framing(points, start, min_radius_mm=MIN_FRAME_RADIUS_MM)

    def _looks(self) -> dict:
        return appearance(self.atlas, self.visible, self.selected, self.cause, self.opacity, self.ghost)

    def _frame(self, structure_ids: list[str], start: dict, max_radius_mm: float | None = CAUSE_FRAME_RADIUS_MM) -> None:
        points = np.concatenate([np.asarray(self.atlas[sid].mesh.points) for sid in structure_ids])
        self.camera = framing(points, start, max_radius_mm=max_radius_mm, min_radius_mm=MIN_FRAME_RADIUS_MM)

    def _label_points(self) -> dict[str, list[float]]:
        """Where the labels of the cause's structures and of the selection point: the middle of each one's part
        near the middle of what is looked at, so a long muscle's or nerve's label sits by the knee, in the
        picture, rather than at its own middle."""
        structures = [sid for sid in cause_structures(self.atlas, self.cause) if sid != self.selected]
        if not structures and not self.cause:
            structures = [sid for sid in self.focus if sid in self._drawable and sid != self.selected]
        selected = self.selected if self.selected in self._drawable else ""
        key = (tuple(structures), selected, () if structures else tuple(self.camera["focalPoint"]))
        if key not in self._label_cache:
            if len(self._label_cache) > LABEL_CACHE_SIZE:
                self._label_cache.clear()
            self._label_cache[key] = _label_points(self.atlas, structures, selected, self.camera["focalPoint"])
        chosen = self._label_cache[key]
        return chosen | {sid: list(point) for sid, point in self.focus.items() if sid in chosen and point}

    def _frame_cause(self, from_behind: bool = False) -> None:
        structures = cause_structures(self.atlas, self.cause)
        if structures:
            # Every cause in the atlas is a cause of pain behind the knee.
            self._frame(structures, named_camera("posterior") if from_behind else self.camera)

    def _on_pick(self, structure_id: str) -> None:
        if self.pick_handler is not None and self.pick_handler(structure_id):
            return  # a mode (a quiz question, a pain map) took the click
        self.selected = structure_id if structure_id in self.atlas.structures else ""

    @param.depends("camera", watch=True)
    def _on_camera(self) -> None:
        if self.canvas.camera != self.camera:
            self.canvas.camera = dict(self.camera)
        self._update_description()
        self._update_location()

    def _on_browser_camera(self, event) -> None:
        try:
            moved = checked_camera(event.new)
        except ValueError:
            self.canvas.camera = dict(self.camera)
            return
        if moved != self.camera:
            self.camera = moved

    def update_link(self) -> None:
        """Write the link of what is shown into the page's address (a learning mode calls it when it changes)."""
        self._update_location()

    def _update_location(self) -> None:
        if self._location is not None and not self._restoring:
            self._location.search = self.link_query()

    # widgets -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.canvas = KneeCanvas(manifest=self.meshes.manifest, camera=dict(self.camera), on_pick=self._on_pick,
                                 leg_axis=leg_axis(self.atlas),
                                 sizing_mode="stretch_both", min_height=420)
        self.canvas.param.watch(self._on_browser_camera, "camera")
        self.description = ViewDescription()
        self.tree = StructureTree(groups=tree_data(self.atlas), on_isolate=self.isolate, sizing_mode="stretch_width")
        self.tree.param.watch(self._on_tree_shown, "shown")
        self.tree.param.watch(self._on_tree_selected, "selected")
        self.search = pn.widgets.TextInput(label="Search structures", placeholder="name or alias, e.g. shin bone",
                                           sizing_mode="stretch_width")
        self.search.param.watch(self._on_search, "value_input")
        self.search_result = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.notice_pane = pn.pane.HTML("", sizing_mode="stretch_width", visible=False, stylesheets=[_STYLE])
        self.info = pn.pane.HTML(WELCOME, sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.info_links = LinkList(heading="Related", on_choose=self._on_link, sizing_mode="stretch_width")
        self.cause_card = pn.pane.HTML("", sizing_mode="stretch_width", visible=False, stylesheets=[_STYLE])
        self.cause_links = LinkList(heading="Structures involved", on_choose=self._on_link,
                                    sizing_mode="stretch_width")
        self.cause_text = pn.pane.HTML("", sizing_mode="stretch_width", visible=False, stylesheets=[_STYLE])
        self.leave_cause_button = pn.widgets.Button(label="Leave pain-cause view", visible=False)
        self.leave_cause_button.on_click(lambda _e: setattr(self, "cause", ""))
        options = {"(none)": ""} | {c.name: c.id for c in sorted(self.atlas.causes.values(), key=lambda c: c.name)}
        self.cause_select = pn.widgets.Select(label="Pain behind the knee: choose a cause", options=options,
                                              sizing_mode="stretch_width")
        self.cause_select.link(self, value="cause", bidirectional=True)
        self.view_buttons = [pn.widgets.Button(label=name.capitalize(), description=f"Look from the {name} side")
                             for name in VIEWS]
        for button, name in zip(self.view_buttons, VIEWS):
            button.on_click(lambda _e, name=name: self.show_view(name))
        self.reset_button = pn.widgets.Button(label="Reset", description="Back to the default view")
        self.reset_button.on_click(lambda _e: self.reset())
        self.action_buttons = []
        for label, action in (("Hide selected", self.hide_selected), ("Isolate selected", self.isolate_selected),
                              ("Hide all", self.hide_all), ("Show all", self.show_all),
                              ("Zoom to shown", self.frame_shown)):
            button = pn.widgets.Button(label=label)
            button.on_click(lambda _e, action=action: action())
            self.action_buttons.append(button)
        self.ghost_toggle = check_box("X-ray: ghost all but the selection")
        self.ghost_toggle.link(self, checked="ghost", bidirectional=True)
        self.labels_toggle = check_box("Show labels in 3D")
        self.labels_toggle.link(self, checked="labels", bidirectional=True)
        self.clip_select = pn.widgets.Select(label="Cut through the knee", options=list(CLIP_AXES))
        self.clip_select.link(self, value="clip_axis", bidirectional=True)
        self.clip_slider = slider("Cut position", -CLIP_RANGE_MM, CLIP_RANGE_MM, 1, 0.0, unit=" mm", live=True)
        self.clip_slider.link(self, value="clip_position", bidirectional=True)
        self.opacity_sliders = {}
        for group in self.atlas.groups.values():
            if any(s.mesh is not None for s in self.atlas.in_group(group.id)):
                control = slider(f"{group.name} opacity", 0, 100, 5, round(100 * group.opacity), unit=" %")
                control.param.watch(lambda e, g=group.id: self._on_opacity_slider(g, e.new), "value")
                self.opacity_sliders[group.id] = control
        self.copy_button = pn.widgets.Button(label="Copy link", color="primary",
                                             description="Copy a link to this view")
        self.copy_button.js_on_click(code="""
            const url = window.location.href;
            const done = () => { button.label = 'Link copied'; setTimeout(() => { button.label = 'Copy link'; }, 2000); };
            if (navigator.clipboard) { navigator.clipboard.writeText(url).then(done, () => window.prompt('Copy this link:', url)); }
            else { window.prompt('Copy this link:', url); }
        """, args={"button": self.copy_button})

        self.download_button = pn.widgets.FileDownload(
            callback=self._saved_view_file, filename="knee-view.json", label="Download this view",
            description="A saved view file for knee-explorer export and notebooks", embed=False)
        self.downloads = DownloadBar(view=self.saved_view, atlas=self.atlas)
        self.modes = [mode(self) for mode in learning.MODES]

    def _on_tree_shown(self, event) -> None:
        shown = event.new if isinstance(event.new, list) else []
        self.visible = list(dict.fromkeys(sid if isinstance(sid, str) else repr(sid) for sid in shown))

    def _on_tree_selected(self, event) -> None:
        chosen = event.new if isinstance(event.new, str) else ""
        if chosen == self.selected:
            return  # the app's own selection, mirrored in the tree
        if chosen:
            self.show_structure(chosen)
        else:
            self.selected = ""

    def _on_search(self, event) -> None:
        query = (event.new or "").strip()
        if not query:
            self.tree.matches = None
            self.search_result.object = ""
            return
        found = [s.id for s in self.atlas.search(query)]
        groups = [g.id for g in self.atlas.groups.values() if query.lower() in g.name.lower()]
        found += [s.id for g in groups for s in self.atlas.in_group(g)]
        self.tree.matches = list(dict.fromkeys(found))
        count = len(self.tree.matches)
        self.search_result.object = f'<p role="status">{count} structure{"s" if count != 1 else ""} found</p>'

    def _update_panels(self) -> None:
        self.notice_pane.object = (f'<p class="knee-notice" role="alert">{escape(self.notice)}</p>'
                                   if self.notice else "")
        self.notice_pane.visible = bool(self.notice)
        if self.selected:
            self.info.object = structure_html(self.atlas, self.selected)
            links = [{"label": f"Pain cause: {self.atlas.causes[c].name}", "kind": "cause", "id": c}
                     for c in self.atlas[self.selected].causes]
            links += [{"label": self.atlas[s].name, "kind": "structure", "id": s}
                      for s in related_structures(self.atlas, self.selected)]
            self.info_links.items = links
        else:
            self.info.object = WELCOME
            self.info_links.items = []
        if self.cause:
            self.cause_card.object = cause_heading_html(self.atlas, self.cause)
            self.cause_text.object = cause_text_html(self.atlas, self.cause)
            self.cause_links.items = [{"label": self.atlas[s].name, "kind": "structure", "id": s}
                                      for s in self.atlas.causes[self.cause].structures]
        else:
            self.cause_card.object = self.cause_text.object = ""
            self.cause_links.items = []
        for pane in (self.cause_card, self.cause_text, self.leave_cause_button):
            pane.visible = bool(self.cause)

    def _update_description(self) -> None:
        cut = f"{self.clip_axis} at {self.clip_position:g} mm" if CLIP_AXES[self.clip_axis] else ""
        self.description.description = describe_view(self.atlas, self.visible, self.selected, self.cause,
                                                     self.camera, self.ghost, cut)
        chosen = []
        if self.cause:
            chosen.append(f"Pain cause: {self.atlas.causes[self.cause].name}.")
        if self.selected:
            chosen.append(f"Selected: {self.atlas[self.selected].name}.")
        self.description.announcement = " ".join(chosen)

    def _on_link(self, kind: str, item_id: str) -> None:
        if kind == "cause":
            self.cause = item_id
        elif kind == "structure":
            self.show_structure(item_id)

    @param.depends("cause", watch=True)
    def _on_cause(self) -> None:
        if self.cause and not self._restoring and self.cause in self.atlas.causes:
            self.selected = ""
            self._frame_cause(from_behind=True)

    def _on_opacity_slider(self, group: str, percent) -> None:
        if not isinstance(percent, (int, float)) or not math.isfinite(percent):
            return
        wanted = round(float(percent) / 100, 3)
        default = self.atlas.groups[group].opacity
        if wanted != round(float(self.opacity.get(group, default)), 3):  # not the app's own value, mirrored
            self.opacity = self.opacity | {group: wanted}

    @param.depends("opacity", watch=True)
    def _on_opacity(self) -> None:
        for group, control in self.opacity_sliders.items():
            control.value = round(100 * float(self.opacity.get(group, self.atlas.groups[group].opacity)))

    def __panel__(self) -> pn.viewable.Viewable:
        controls = pn.Column(
            _heading("Views"), pn.FlexBox(*self.view_buttons, self.reset_button),
            _heading("Show and hide"), pn.FlexBox(*self.action_buttons),
            self.ghost_toggle, self.labels_toggle, self.clip_select, self.clip_slider,
            _heading("Opacity by group"), *self.opacity_sliders.values(),
            sizing_mode="stretch_width")
        structures = pn.Column(self.search, self.search_result, self.tree, sizing_mode="stretch_width")
        panels = [structures, controls], ["Structures", "View"]
        if self.modes:
            in_use_first = sorted(self.modes, key=lambda mode: not mode.link_args())
            panels[0].append(pn.Column(*(pn.Column(_heading(mode.title), mode) for mode in in_use_first),
                                       sizing_mode="stretch_width"))
            panels[1].append("Learn")
        # A link into a learning mode (a tour's step, a quiz) opens on the Learn tab, that mode first.
        learning_linked = any(mode.link_args() for mode in self.modes)
        tabs = Tabs(objects=panels[0], names=panels[1], label="Side panel", active=2 if learning_linked else 0,
                    sizing_mode="stretch_width", css_classes=["knee-tabs"])
        about = pn.Column(self.cause_card, self.cause_links, self.cause_text, self.leave_cause_button, self.info,
                          self.info_links, scroll=True, sizing_mode="stretch_width", css_classes=["knee-about"])
        sharing = pn.Row(self.copy_button, self.download_button, sizing_mode="stretch_width")
        sidebar = pn.Column(self.notice_pane, sharing, self.downloads, self.cause_select, about, tabs,
                            css_classes=["knee-sidebar"],
                            width=400, min_width=300, styles={"flex": "1 1 340px", "max-width": "480px"},
                            sizing_mode="stretch_height", stylesheets=[_SIDEBAR, _NARROW])
        self.canvas.styles = {"flex": "3 1 480px", "min-height": "420px"}
        self.canvas.css_classes = ["knee-view-area"]
        body = pn.FlexBox(self.canvas, self.description, sidebar, flex_wrap="wrap", sizing_mode="stretch_both",
                          stylesheets=[_NARROW])
        footer = pn.pane.HTML(f'<small>Educational material, not a diagnosis. Geometry: '
                              f'<span class="knee-geometry">{escape(self.atlas.geometry_title)}</span>. '
                              '<a href="./credits">Credits and licences</a></small>')
        title = pn.pane.HTML(f"<h1 style='margin:0.2em 0;font-size:1.4em'>{escape(self.atlas.title)}</h1>")
        return pn.Column(title, body, footer, sizing_mode="stretch_both", stylesheets=[_NARROW])
