"""The browser explorer: a 3D knee to rotate and click, a structure tree, pain causes and links.

:class:`KneeExplorerApp` holds one browser session's state as parameters (``selected``,
``cause``, ``visible``, ``opacity``, ``ghost``, ``clip_axis``, ``clip_position``, ``labels``);
tests set them directly. Every change is applied to the session's :class:`~explorer.scene.KneeScene`
and mirrored to the browser's vtk.js actors, and written into the page's URL.
"""

from __future__ import annotations

from html import escape

import numpy as np
import panel as pn
import param

from explorer.app.canvas import KneeCanvas
from explorer.app.info import WELCOME, cause_html, related_structures, structure_html
from explorer.app.state import ViewState, decode, encode
from explorer.app.tree import StructureTree, tree_data
from explorer.atlas import Atlas
from explorer.scene import GHOST_OPACITY, KneeScene
from explorer.views import VIEWS

#: The cause view frames at most a sphere of this radius (mm), so long muscles do not shrink the knee.
CAUSE_FRAME_RADIUS_MM = 90.0
CLIP_AXES = {"off": None, "lateral to medial": 0, "front to back": 1, "top to bottom": 2}
_STYLE = """
.knee-notice { background: #fff3cd; border: 1px solid #b58900; border-radius: 4px; padding: 0.4em 0.7em; }
.cause-urgent { background: #fde2e1; border: 2px solid #b00020; border-radius: 4px; padding: 0.4em 0.7em; }
.info-credit, .info-group, .info-aliases, .cause-disclaimer, .evidence-source { color: #444; font-size: 0.9em; }
.info-name, .cause-name { margin: 0.2em 0; }
"""


def pathology_variants(atlas: Atlas) -> set[str]:
    """Ids of the atlas's pathology variants (hidden unless their cause is chosen).

    Examples
    --------
    >>> from explorer import load_atlas
    >>> "femur" in pathology_variants(load_atlas())
    False
    """
    return {sid for sid, s in atlas.structures.items() if getattr(s, "pathology", False)}


def label_anchors(atlas: Atlas) -> dict[str, list]:
    """Where each structure's label sits: the mesh point nearest the mesh's centre.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> label_anchors(load_atlas())["femur"][0]
    'Femur'
    """
    anchors = {}
    for sid, structure in atlas.structures.items():
        if structure.mesh is None:
            continue
        points = np.asarray(structure.mesh.points)
        nearest = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
        anchors[sid] = [structure.name, *(round(float(v), 2) for v in nearest)]
    return anchors


class KneeExplorerApp(pn.viewable.Viewer):
    """The explorer for one browser session.

    Parameters
    ----------
    atlas
        The atlas to show (shared by all sessions; never modified).
    query
        The page's query arguments (``pn.state.session_args``) to restore a shared view from.

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
    clip_position = param.Number(default=0.0, bounds=(-80.0, 80.0), doc="Clipping plane position (mm).")
    labels = param.Boolean(default=False, doc="Names over the 3D view.")
    notice = param.String(default="", doc="A message for the user (bad link, unknown id).")

    def __init__(self, atlas: Atlas, query: dict | None = None, **params):
        super().__init__(**params)
        self.atlas = atlas
        self.scene = KneeScene(atlas, off_screen=True, window_size=(900, 700))
        self.variants = pathology_variants(atlas)
        self.default_visible = [sid for sid in self.scene.actors if sid not in self.variants]
        self._restoring = True
        self._camera_from_link: dict | None = None
        self._build_widgets()
        self._restore(decode(query or {}, atlas))
        self._restoring = False
        self._apply()

    # state ---------------------------------------------------------------------------
    def _restore(self, state: ViewState) -> None:
        self.visible = list(self.default_visible if state.visible is None else state.visible)
        self.cause = state.cause
        self.selected = state.selected
        self.notice = " ".join(state.notices)
        if state.camera is not None:
            self.scene.set_camera_state(state.camera)
            self._camera_from_link = state.camera
        elif state.cause:
            self._frame_cause(from_behind=True)
        self.view_3d.camera = self.scene.camera_state()

    def link_query(self) -> str:
        """The query string that restores this view (``""`` for the default view)."""
        camera = self._camera_from_link
        return encode(ViewState(visible=self.visible, selected=self.selected, cause=self.cause, camera=camera),
                      self.default_visible)

    @param.depends("selected", "cause", "visible", "opacity", "ghost", "clip_axis", "clip_position", "labels",
                   watch=True)
    def _apply(self) -> None:
        if self._restoring:
            return
        for name, known in (("selected", self.atlas.structures), ("cause", self.atlas.causes)):
            value = getattr(self, name)
            if value and value not in known:
                self.notice = f"There is no {'structure' if name == 'selected' else 'pain cause'} with the id '{value}'."
                setattr(self, name, "")
                return
        scene, cause_ids = self.scene, self._cause_structures()
        shown = (set(self.visible) - self.variants) | cause_ids
        scene.isolate(*shown) if shown else scene.hide(*scene.actors)
        scene.set_opacity(1.0)
        for group, value in self.opacity.items():
            if group in self.atlas.groups:
                scene.set_opacity(float(np.clip(value, 0.0, 1.0)), group)
        if cause_ids:
            for sid in set(scene.actors) - cause_ids:
                scene.actors[sid].prop.opacity = min(scene.actors[sid].prop.opacity, GHOST_OPACITY)
        elif self.ghost and self.selected in scene.actors:
            for sid in set(scene.actors) - {self.selected}:
                scene.actors[sid].prop.opacity = GHOST_OPACITY
        scene.highlight(*(cause_ids | ({self.selected} & set(scene.actors))))
        scene.selected = self.selected or None
        self.canvas.param.update(appearance=self._appearance(), clip=self._clip(), labels=self.labels)
        self.tree.param.update(shown=list(self.visible), selected=self.selected)
        self._update_panels()
        self._update_location()

    def _cause_structures(self) -> set[str]:
        if not self.cause:
            return set()
        return {sid for sid in self.atlas.causes[self.cause].structures if sid in self.scene.actors}

    def _appearance(self) -> dict:
        return {sid: [bool(actor.visibility), round(float(actor.prop.opacity), 3), actor.prop.color.hex_rgb]
                for sid, actor in self.scene.actors.items()}

    def _clip(self) -> dict:
        axis = CLIP_AXES[self.clip_axis]
        if axis is None:
            return {}
        origin, normal = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
        origin[axis], normal[axis] = float(self.clip_position), -1.0
        return {"origin": origin, "normal": normal}

    # actions -------------------------------------------------------------------------
    def show_view(self, name: str) -> None:
        """Look from a named side (see :data:`explorer.views.VIEWS`)."""
        self.scene.view(name)
        if self.cause:
            self._frame_cause()
        self._push_camera()

    def reset(self) -> None:
        """The default view: everything but pathology shown, opaque, nothing chosen, from the front."""
        self.param.update(selected="", cause="", visible=list(self.default_visible), opacity={}, ghost=False,
                          clip_axis="off", clip_position=0.0, labels=False, notice="")
        self.scene.view("anterior")
        self._push_camera()
        self._apply()

    def hide_selected(self) -> None:
        """Hide the selected structure."""
        if self.selected:
            self.visible = [sid for sid in self.visible if sid != self.selected]

    def isolate_selected(self) -> None:
        """Show only the selected structure."""
        if self.selected in self.scene.actors:
            self.visible = [self.selected]

    def show_all(self) -> None:
        """Show every structure again (pathology aside), opaque, unclipped."""
        self.param.update(visible=list(self.default_visible), opacity={}, ghost=False, clip_axis="off")

    def _frame_cause(self, from_behind: bool = False) -> None:
        structures = self._cause_structures()
        if not structures:
            return
        if from_behind:  # every cause in the atlas is a cause of pain behind the knee
            self.scene.view("posterior")
        self.scene.frame(*structures, max_radius_mm=CAUSE_FRAME_RADIUS_MM)

    def _push_camera(self) -> None:
        self._camera_from_link = self.scene.camera_state()
        self.view_3d.camera = dict(self._camera_from_link)
        self._update_location()

    def _on_pick(self, structure_id: str) -> None:
        self.selected = structure_id if structure_id in self.atlas.structures else ""

    def _on_browser_camera(self, event) -> None:
        camera = event.new or {}
        if self._restoring or camera == self._camera_from_link:
            return
        try:
            self._camera_from_link = {key: [float(v) for v in camera[key]][:3]
                                      for key in ("position", "focalPoint", "viewUp")}
        except (KeyError, TypeError, ValueError):
            return
        self._update_location()

    def _update_location(self) -> None:
        location = pn.state.location
        if location is not None and not self._restoring:
            location.search = self.link_query()

    # widgets -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.view_3d = pn.pane.VTK(self.scene.plotter.ren_win, sizing_mode="stretch_both", min_height=420,
                                   orientation_widget=True, enable_keybindings=False)
        self.view_3d.param.watch(self._on_browser_camera, "camera")
        self.canvas = KneeCanvas(scene=self.view_3d, on_pick=self._on_pick,
                                 actor_ptrs={sid: actor.__this__ for sid, actor in self.scene.actors.items()},
                                 label_anchors=label_anchors(self.atlas),
                                 sizing_mode="stretch_both", min_height=420)
        self.tree = StructureTree(groups=tree_data(self.atlas), sizing_mode="stretch_width")
        self.tree.param.watch(lambda e: setattr(self, "visible", list(e.new)), "shown")
        self.tree.param.watch(lambda e: setattr(self, "selected", e.new), "selected")
        self.search = pn.widgets.TextInput(name="Search structures", placeholder="name or alias, e.g. shin bone",
                                           sizing_mode="stretch_width")
        self.search.param.watch(self._on_search, "value_input")
        self.search_result = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.notice_pane = pn.pane.HTML("", sizing_mode="stretch_width", visible=False, stylesheets=[_STYLE])
        self.info = pn.pane.HTML(WELCOME, sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.info_links = pn.FlexBox(sizing_mode="stretch_width")
        self.cause_card = pn.pane.HTML("", sizing_mode="stretch_width", visible=False, stylesheets=[_STYLE])
        self.cause_links = pn.FlexBox(sizing_mode="stretch_width")
        options = {"(none)": ""} | {c.name: c.id for c in sorted(self.atlas.causes.values(), key=lambda c: c.name)}
        self.cause_select = pn.widgets.Select(name="Pain behind the knee: choose a cause", options=options,
                                              sizing_mode="stretch_width")
        self.cause_select.link(self, value="cause", bidirectional=True)
        self.view_buttons = [pn.widgets.Button(label=name.capitalize(), description=f"Look from the {name} side")
                             for name in VIEWS]
        for button, name in zip(self.view_buttons, VIEWS):
            button.on_click(lambda _e, name=name: self.show_view(name))
        self.reset_button = pn.widgets.Button(label="Reset", color="warning", description="Back to the default view")
        self.reset_button.on_click(lambda _e: self.reset())
        self.hide_button = pn.widgets.Button(label="Hide selected")
        self.hide_button.on_click(lambda _e: self.hide_selected())
        self.isolate_button = pn.widgets.Button(label="Isolate selected")
        self.isolate_button.on_click(lambda _e: self.isolate_selected())
        self.show_all_button = pn.widgets.Button(label="Show all")
        self.show_all_button.on_click(lambda _e: self.show_all())
        self.ghost_toggle = pn.widgets.Checkbox(name="X-ray: ghost all but the selection")
        self.ghost_toggle.link(self, value="ghost", bidirectional=True)
        self.labels_toggle = pn.widgets.Checkbox(name="Show labels in 3D")
        self.labels_toggle.link(self, value="labels", bidirectional=True)
        self.clip_select = pn.widgets.Select(name="Cut through the knee", options=list(CLIP_AXES))
        self.clip_select.link(self, value="clip_axis", bidirectional=True)
        self.clip_slider = pn.widgets.FloatSlider(name="Cut position (mm)", start=-80, end=80, step=1, value=0.0)
        self.clip_slider.link(self, value="clip_position", bidirectional=True)
        self.opacity_sliders = {}
        for group in self.atlas.groups.values():
            if any(s.mesh is not None for s in self.atlas.in_group(group.id)):
                slider = pn.widgets.FloatSlider(name=f"{group.name} opacity", start=0.0, end=1.0, step=0.05, value=1.0)
                slider.param.watch(lambda e, g=group.id: setattr(self, "opacity", self.opacity | {g: e.new}),
                                   "value_throttled")
                self.opacity_sliders[group.id] = slider
        self.copy_button = pn.widgets.Button(label="Copy link", color="primary",
                                             description="Copy a link to this view")
        self.copy_button.js_on_click(code="""
            const url = window.location.href;
            const done = () => { button.label = 'Link copied'; setTimeout(() => { button.label = 'Copy link'; }, 2000); };
            if (navigator.clipboard) { navigator.clipboard.writeText(url).then(done, () => window.prompt('Copy this link:', url)); }
            else { window.prompt('Copy this link:', url); }
        """, args={"button": self.copy_button})

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
            links = [self._link_button(f"Pain cause: {self.atlas.causes[c].name}", cause=c)
                     for c in self.atlas[self.selected].causes]
            links += [self._link_button(self.atlas[s].name, selected=s)
                      for s in related_structures(self.atlas, self.selected)]
            self.info_links.objects = ([pn.pane.HTML("<strong>Related:</strong>", margin=(12, 4, 0, 10))] + links
                                       if links else [])
        else:
            self.info.object = WELCOME
            self.info_links.objects = []
        if self.cause:
            self.cause_card.object = cause_html(self.atlas, self.cause)
            links = [self._link_button(self.atlas[s].name, selected=s) for s in self.atlas.causes[self.cause].structures]
            leave = pn.widgets.Button(label="Leave pain-cause view", color="light")
            leave.on_click(lambda _e: setattr(self, "cause", ""))
            self.cause_links.objects = links + [leave]
        else:
            self.cause_card.object = ""
            self.cause_links.objects = []
        self.cause_card.visible = bool(self.cause)

    def _link_button(self, label: str, **state) -> pn.widgets.Button:
        button = pn.widgets.Button(label=label, color="light", description=f"Show {label}")
        button.on_click(lambda _e: self.param.update(**state))
        return button

    @param.depends("cause", watch=True)
    def _on_cause(self) -> None:
        if self.cause and not self._restoring and self.cause in self.atlas.causes:
            self._frame_cause(from_behind=True)
            self._push_camera()

    def __panel__(self) -> pn.viewable.Viewable:
        actions = pn.FlexBox(self.hide_button, self.isolate_button, self.show_all_button, self.reset_button)
        views = pn.FlexBox(*self.view_buttons)
        controls = pn.Column(
            pn.pane.HTML("<h3>Views</h3>"), views, pn.pane.HTML("<h3>Show and hide</h3>"), actions,
            self.ghost_toggle, self.labels_toggle, self.clip_select, self.clip_slider,
            pn.pane.HTML("<h3>Opacity by group</h3>"), *self.opacity_sliders.values(),
            sizing_mode="stretch_width")
        tabs = pn.Tabs(("Structures", pn.Column(self.search, self.search_result, self.tree, sizing_mode="stretch_width")),
                       ("View", controls),
                       sizing_mode="stretch_width", dynamic=False)
        sidebar = pn.Column(self.notice_pane, self.copy_button, self.cause_select, self.cause_card, self.cause_links,
                            self.info, self.info_links, tabs,
                            width=400, min_width=300, styles={"flex": "1 1 340px", "max-width": "480px"},
                            sizing_mode="stretch_height", scroll=True)
        self.canvas.styles = {"flex": "3 1 480px", "min-height": "420px"}
        body = pn.FlexBox(self.canvas, sidebar, flex_wrap="wrap", sizing_mode="stretch_both")
        footer = pn.pane.HTML('<small>Educational material, not a diagnosis. '
                              '<a href="./credits">Credits and licences</a></small>')
        title = pn.pane.HTML(f"<h1 style='margin:0.2em 0;font-size:1.4em'>{escape(self.atlas.title)}</h1>")
        return pn.Column(title, body, footer, sizing_mode="stretch_both")
