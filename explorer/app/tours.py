"""The *Guided tours* learning mode: a pain cause's tour, one step at a time, in the explorer.

Each step is put on the app through its public parameters (``cause``, ``visible``, ``selected``,
``opacity``, ``ghost``, ``labels``, ``camera``), so the view, its link, its description and its downloads are
the app's own. The link carries ``tour=<cause id>&step=<n>`` (counted from 1); each new step is announced
politely through ``app.description.announcement``.
"""

from __future__ import annotations

from html import escape

import panel as pn

from explorer.app.state import KEYS as VIEW_KEYS
from explorer.text import markdown_to_html
from explorer.tours import Tour
from explorer.views import named_camera

_STYLE = """
.tour-step-heading { font-size: 1.05em; margin: 0.4em 0 0.2em; }
.tour-step-count { color: #444; font-size: 0.9em; margin: 0.2em 0; }
.tour-step-text { font-size: 14px; line-height: 1.45; }
"""


def _argument(query: dict, key: str) -> str | None:
    """One link argument as text (``pn.state.session_args`` holds lists of bytes), or None when absent.

    Examples
    --------
    >>> _argument({"step": [b"3"]}, "step"), _argument({}, "tour")
    ('3', None)
    """
    raw = query.get(key)
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        if len(raw) != 1:
            raise ValueError(f"'{key}' is given {len(raw)} times")
        raw = raw[0]
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str) or len(raw) > 200:
        raise ValueError(f"'{key}' is too long or not text")
    return raw


class GuidedTours(pn.viewable.Viewer):
    """Choose a pain cause's tour and walk through its steps with *Previous step* and *Next step*.

    Parameters
    ----------
    app
        The :class:`~explorer.app.explorer.KneeExplorerApp` the tour drives.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> from explorer.app.explorer import KneeExplorerApp
    >>> app = KneeExplorerApp(atlas=load_atlas())
    >>> tours = GuidedTours(app)
    >>> tours.start("pcl_tear", step=2)
    >>> tours.link_args(), app.selected
    ({'tour': 'pcl_tear', 'step': '2'}, 'posterior_cruciate_ligament')
    """

    title = "Guided tours"

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app
        self.tours: dict[str, Tour] = dict(sorted(app.atlas.tours.items(), key=lambda item: item[1].title))
        self.tour: Tour | None = None
        self.step = 0  # counted from 1; 0 while no tour is open
        self.choose = pn.widgets.Select(label="Choose a tour",
                                        options={tour.title: tid for tid, tour in self.tours.items()},
                                        sizing_mode="stretch_width")
        self.start_button = pn.widgets.Button(label="Start tour", color="primary",
                                              description="Open the chosen tour at its first step")
        self.previous_button = pn.widgets.Button(label="Previous step", disabled=True)
        self.next_button = pn.widgets.Button(label="Next step", disabled=True)
        self.exit_button = pn.widgets.Button(label="Exit tour", disabled=True,
                                             description="Close the tour and keep the view as it is")
        self.step_pane = pn.pane.HTML("<p>Each tour shows one cause of pain behind the knee in a few steps.</p>",
                                      sizing_mode="stretch_width", stylesheets=[_STYLE])
        self.start_button.on_click(lambda _event: self.start(self.choose.value))
        self.previous_button.on_click(lambda _event: self.go(self.step - 1))
        self.next_button.on_click(lambda _event: self.go(self.step + 1))
        self.exit_button.on_click(lambda _event: self.exit())
        app.description.param.watch(self._keep_announced, "announcement")

    # what the app asks of a mode -------------------------------------------------------
    def link_args(self) -> dict[str, str]:
        """``{"tour": id, "step": n}`` while a tour is open, else nothing."""
        return {"tour": self.tour.id, "step": str(self.step)} if self.tour else {}

    def restore(self, query: dict) -> None:
        """Open the tour and step a link names; a bad one leaves the view alone and says so."""
        try:
            tour_id, step = _argument(query, "tour"), _argument(query, "step")
        except ValueError as problem:
            self.app.notice = f"The tour in this link could not be opened ({problem})."
            return
        if tour_id is None:
            return
        if tour_id not in self.tours:
            self.app.notice = f"There is no guided tour '{tour_id[:64]}'."
            return
        count = len(self.tours[tour_id].steps)
        if step is not None and not (step.isdigit() and 1 <= int(step) <= count):
            self.start(tour_id, 1)
            self.app.notice = f"The tour '{tour_id}' has steps 1 to {count}; it opened at step 1."
        elif any(key in query for key in VIEW_KEYS):
            # A link copied during the tour: the app has restored its view, turned or changed as it was.
            self.tour, self.step = self.tours[tour_id], int(step or 1)
            self.choose.value = tour_id
            self._update_panel()
        else:
            self.start(tour_id, int(step or 1))

    # actions ---------------------------------------------------------------------------
    def start(self, tour_id: str, step: int = 1) -> None:
        """Open a tour (a pain cause's id) at a step, counted from 1."""
        if tour_id not in self.tours:
            return
        self.tour = self.tours[tour_id]
        self.choose.value = tour_id
        self.step = 0
        self.go(step)

    def go(self, step: int) -> None:
        """Show step ``step`` (counted from 1) of the open tour; outside the tour, nothing changes."""
        if self.tour is None or not 1 <= step <= len(self.tour.steps) or step == self.step:
            return
        self.step = step
        self._apply(self.tour.steps[step - 1].view(self.app.atlas))
        self._update_panel()
        self._keep_announced()
        self.app.update_link()

    def exit(self) -> None:
        """Close the tour; the view stays as the last step left it."""
        if self.tour is None:
            return
        self.tour, self.step = None, 0
        self._update_panel()
        self.app.description.announcement = "Tour closed."
        self.app.update_link()

    # inside ----------------------------------------------------------------------------
    def _apply(self, view) -> None:
        from explorer.app.explorer import CLIP_AXES

        app, state = self.app, view.state
        # A new cause turns the camera onto it and clears the selection: set it first, the step's own view after.
        app.cause = state.cause
        axis = {letter: name for name, letter in CLIP_AXES.items()}.get(state.clip[0] if state.clip else None, "off")
        # Another mode's focus (a pain map's structures beneath a point) would hide the step's own looks.
        app.param.update(focus={}, visible=list(app.default_visible if state.visible is None else state.visible),
                         selected=state.selected, opacity=dict(state.opacity), ghost=state.ghost,
                         labels=state.labels, clip_axis=axis, clip_position=state.clip[1] if state.clip else 0.0,
                         camera=dict(state.camera) if state.camera else named_camera(view.camera_name))

    def _update_panel(self) -> None:
        active = self.tour is not None
        self.previous_button.disabled = not active or self.step <= 1
        self.next_button.disabled = not active or self.step >= len(self.tour.steps)
        self.exit_button.disabled = not active
        if not active:
            self.step_pane.object = "<p>Tour closed. Choose a tour to start again.</p>"
            return
        step = self.tour.steps[self.step - 1]
        self.step_pane.object = (
            f'<p class="tour-step-count">Step {self.step} of {len(self.tour.steps)} · {escape(self.tour.title)}</p>'
            f'<h3 class="tour-step-heading">{escape(step.title)}</h3>'
            f'<div class="tour-step-text">{markdown_to_html(step.text)}</div>')

    def _announced(self, rest: str) -> str:
        step = self.tour.steps[self.step - 1]
        return f"Step {self.step} of {len(self.tour.steps)}: {step.title}. {rest}".strip()

    def _keep_announced(self, _event=None) -> None:
        # The app rewrites the announcement with the selection and cause; while a tour is open it leads with the step.
        current = self.app.description.announcement
        if self.tour is not None and not current.startswith(f"Step {self.step} of "):
            self.app.description.announcement = self._announced(current)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.choose, self.start_button, self.step_pane,
                         pn.FlexBox(self.previous_button, self.next_button, self.exit_button),
                         sizing_mode="stretch_width")
