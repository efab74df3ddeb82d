"""The *Test yourself* learning mode: "find it" and "name it" rounds in the explorer, shareable as a link.

*Find it* shows the round's structures from the named side that shows most of them, names one and
takes the next click on the 3D view as the answer; the keyboard alternative is a list of the round's
structures that the view shows, in the order a reader meets their label anchors in it (rows from the
top, each left to right, :func:`explorer.quiz.reading_order`), sorted again when the camera moves. A miss selects the right structure and brings it into sight.
*Name it* paints a structure in the highlight colour, brought into sight but not selected (so
neither its pinned label nor the text beside the view names it), and offers four names. Each answer
is announced politely; the link holds ``quiz``, ``qset``, ``seed`` and ``q`` (the question asked), so
the same link asks the same questions with the same choices in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import panel as pn
import param
from bokeh.document import Document
from panel.custom import JSComponent
from panel.io.state import set_curdoc

from explorer.appearance import appearance
from explorer.quiz import KINDS, MAX_SEED, Round, make_round, question_sets, reading_order, set_structures
from explorer.sight import near_knee
from explorer.views import VIEWS, framing, named_camera

if TYPE_CHECKING:
    from explorer.app.explorer import KneeExplorerApp

_CSS = """
.knee-quiz { margin: 0 10px 10px; }
.knee-quiz fieldset { border: 1px solid #8a8a8a; border-radius: 4px; margin: 0 0 0.6em; padding: 0.3em 0.7em 0.5em; }
.knee-quiz .quiz-kind { display: block; margin: 0.25em 0; }
.knee-quiz select { display: block; font: inherit; margin: 0.2em 0 0.6em; max-width: 100%; }
.knee-quiz h3 { font-size: 1.05em; margin: 0.5em 0 0.2em; }
.knee-quiz h4 { font-size: 1em; margin: 0.6em 0 0.2em; }
.knee-quiz .quiz-round, .knee-quiz .quiz-note, .knee-quiz .quiz-hint { color: #444; font-size: 0.9em; margin: 0.2em 0; }
.knee-quiz .quiz-prompt { font-weight: 600; margin: 0.3em 0; }
.knee-quiz .quiz-choices { display: flex; flex-wrap: wrap; gap: 6px; margin: 0.4em 0; }
.knee-quiz button {
  font: inherit; padding: 4px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid #8a8a8a; background: #f6f7f9; color: #1b1f24;
}
.knee-quiz button:hover { background: #e8ebf0; }
.knee-quiz button[aria-disabled="true"] { cursor: default; color: #444; }
.knee-quiz button.quiz-right { border: 2px solid #1e6b2f; background: #e3f4e6; color: #123d1b; font-weight: 600; }
.knee-quiz button.quiz-wrong { border: 2px solid #a11a1a; background: #fbe4e4; color: #5e0f0f; }
.knee-quiz button[type="submit"], .knee-quiz .quiz-next, .knee-quiz .quiz-again {
  background: #1a5fb4; border-color: #1a5fb4; color: #fff; font-weight: 600;
}
.knee-quiz button[type="submit"]:hover, .knee-quiz .quiz-next:hover, .knee-quiz .quiz-again:hover { background: #154c91; }
.knee-quiz .quiz-stop, .knee-quiz .quiz-new { margin-left: 0.5em; background: #fff; }
.knee-quiz .quiz-feedback { border-radius: 4px; padding: 0.4em 0.7em; margin: 0.4em 0; }
.knee-quiz .quiz-was-right { background: #e3f4e6; border: 1px solid #1e6b2f; color: #123d1b; }
.knee-quiz .quiz-was-wrong { background: #fbe4e4; border: 1px solid #a11a1a; color: #5e0f0f; }
.knee-quiz .quiz-misses li { margin: 0.3em 0; }
.knee-quiz :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
"""

#: A round's structures are framed in at most a sphere of this radius (mm), and at least this one.
FRAME_RADIUS_MM, MIN_FRAME_RADIUS_MM = 90.0, 45.0
_INTRO = ("Test yourself on the knee. Find it: the quiz names a structure and you click it in the 3D view. "
          "Name it: a structure is shown in pink and you choose its name. A round has up to ten questions; "
          "Copy link gives others the same round.")
_NAME_PROMPT = "Which structure is shown in pink?"
_FIND_HINT = ("Click it in the 3D view, or choose it from the structures of this round the view shows, "
              "listed from the top of the view down and from left to right.")


class QuizPanel(JSComponent):
    """The quiz's side-panel controls in the browser; a press calls ``on_action`` with the message.

    Examples
    --------
    >>> pressed = []
    >>> panel = QuizPanel(on_action=pressed.append)
    >>> panel._handle_msg({"action": "next"}); pressed
    [{'action': 'next'}]
    """

    view = param.String(default='{"phase": "setup", "kinds": [], "sets": []}',
                        doc="What the panel shows, as JSON (see QuizMode.panel_view).")

    _esm = Path(__file__).with_name("quiz.js")
    _stylesheets = [_CSS]

    def __init__(self, on_action: Callable[[dict], None] | None = None, **params):
        super().__init__(**params)
        self._on_action = on_action

    def _handle_msg(self, msg: object) -> None:
        if isinstance(msg, dict) and isinstance(msg.get("action"), str) and self._on_action is not None:
            self._on_action(msg)


class QuizMode:
    """Self-test rounds in the explorer (see the module's docstring); a learning mode of :mod:`explorer.app.learning`.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> from explorer.app import KneeExplorerApp
    >>> app = KneeExplorerApp(atlas=load_atlas())
    >>> quiz = next(mode for mode in app.modes if isinstance(mode, QuizMode))
    >>> quiz.start("find", "group:bones", seed=42)
    >>> asked = quiz.round.question.structure
    >>> quiz.answer(asked), app.selected == asked, quiz.link_args()["q"]
    (True, True, '1')
    """

    title = "Test yourself"

    def __init__(self, app: KneeExplorerApp) -> None:
        self.app = app
        self.sets = question_sets(app.atlas)
        self.round: Round | None = None
        self.kind, self.question_set = "find", "all"
        self.feedback: tuple[str, bool] | None = None
        self._painted = ""  # the structure painted for a "name it" question
        self._previous_handler = None
        self._anchors = {entry["id"]: entry["anchor"] for entry in app.meshes.manifest}
        self.panel = QuizPanel(on_action=self._on_action, sizing_mode="stretch_width")
        app.param.watch(self._on_view_change, ["camera", "visible", "opacity", "cause"])
        app.canvas.param.watch(self._keep_paint, "looks")
        self._show()

    # rounds ----------------------------------------------------------------------------
    def start(self, kind: str, question_set: str = "all", seed: int | None = None, question: int = 1,
              frame: bool = True) -> None:
        """Start a round (a new seed when ``seed`` is ``None``) at question number ``question``.

        Raises
        ------
        ValueError
            For an unknown kind or set, or a seed or question number out of range.
        """
        quiz = make_round(self.app.atlas, kind, question_set, seed)
        if not 1 <= question <= len(quiz.questions):
            raise ValueError(f"the round has questions 1 to {len(quiz.questions)}")
        quiz.position = quiz.start = question - 1
        self.round, self.kind, self.question_set, self.feedback = quiz, kind, question_set, None
        if self.app.pick_handler != self._on_pick:
            self._previous_handler, self.app.pick_handler = self.app.pick_handler, self._on_pick
        self.app.param.update(cause="", labels=False)  # labels would name the answer
        if kind == "find":
            asked = set_structures(self.app.atlas, question_set)
            self.app.visible = [*self.app.visible, *(sid for sid in asked if sid not in self.app.visible)]
            if frame:
                self._turn_to(asked)
        self._ask(frame)
        self.app.update_link()

    def answer(self, structure_id: str) -> bool:
        """Answer the question asked with a structure id ('' for nothing); returns whether it was right.

        The answer is shown at once: the right structure is selected, and after a miss on "find it"
        brought into sight. A second answer to the same question changes nothing.
        """
        quiz = self.round
        if quiz is None or quiz.done:
            raise ValueError("no question is being asked")
        if quiz.answered:
            return quiz.give(structure_id)  # the first answer stands
        asked = quiz.question.structure
        right = quiz.give(structure_id)
        self._painted = ""
        if right or quiz.kind == "name":
            self.app.selected = asked
        else:
            self.app.show_structure(asked)
        name = self.app.atlas[asked].name
        given = self.app.atlas[structure_id].name if structure_id in self.app.atlas.structures else ""
        number = f"Question {quiz.position + 1}"
        if right:
            text = f"{number}: right. {name}."
        elif quiz.kind == "find":
            what = f"You clicked: {given}." if given else "You clicked no structure."
            text = f"{number}: not quite. {what} {name} is now selected, in pink."
        else:
            text = f"{number}: not quite. You chose: {given}. The answer: {name}, now labelled in the view."
        self.feedback = (text, right)
        self._say(text)
        self._show()
        return right

    def next(self) -> None:
        """Go on to the next question, or to the score after the last."""
        quiz = self.round
        if quiz is None or quiz.done:
            return
        quiz.next()
        self.feedback = None
        if quiz.done:
            self._release()
            right, answered = quiz.score
            self.app.selected = ""
            self._say(f"Round over: {right} of {answered} right.")
            self._show()
        else:
            self._ask(True)
        self.app.update_link()

    def stop(self) -> None:
        """Leave the round; the view stays as it is."""
        self._release()
        self.round, self.feedback, self._painted = None, None, ""
        self._repaint()
        self._show()
        self.app.update_link()

    def _ask(self, frame: bool) -> None:
        quiz = self.round
        asked = quiz.question.structure
        self.feedback, self._painted = None, ""
        if frame:
            self.app.ghost = False  # X-ray is turned back on where the structure needs it
        if quiz.kind == "name":
            if frame:
                self.app.show_structure(asked)  # brought into sight the way a choice from the list is
            elif asked not in self.app.visible:
                self.app.visible = [*self.app.visible, asked]
            self._painted = asked
        self.app.selected = ""
        self._repaint()
        self._show()

    def _turn_to(self, structure_ids: list[str]) -> None:
        """Look from the named side that shows most of these structures (summed over them), framing them."""
        app = self.app
        looks = appearance(app.atlas, app.visible, "", app.cause, app.opacity, app.ghost)
        blocking = [sid for sid, look in looks.items() if look.visible and look.opacity >= 0.5]
        shown = dict.fromkeys(VIEWS, 0.0)
        for sid in structure_ids:
            for sight in app.sightlines.sights(sid, blocking):
                shown[sight.view] += sight.fraction
        points = np.concatenate([near_knee(app.atlas[sid].mesh.points) for sid in structure_ids])
        app.camera = framing(points, named_camera(max(shown, key=shown.get)), max_radius_mm=FRAME_RADIUS_MM,
                             min_radius_mm=MIN_FRAME_RADIUS_MM)

    def _release(self) -> None:
        self.app.canvas.hover = True
        if self.app.pick_handler == self._on_pick:
            self.app.pick_handler = self._previous_handler
        self._previous_handler = None

    # clicks, paint and announcements -------------------------------------------------
    def _on_pick(self, structure_id: str) -> bool:
        quiz = self.round
        if quiz is None or quiz.done or quiz.answered:
            return bool(self._previous_handler and self._previous_handler(structure_id))
        if quiz.kind == "find":
            self.answer(structure_id)
        return True  # a "name it" question keeps clicks from selecting (and naming) a structure

    def _keep_paint(self, *_events) -> None:
        """Paint the "name it" structure over whatever looks the app gave the canvas."""
        if not self._painted:
            return
        app = self.app
        looks = appearance(app.atlas, app.visible, self._painted, app.cause, app.opacity, app.ghost)
        painted = json.dumps({sid: [look.visible, look.opacity, look.colour] for sid, look in looks.items()},
                             separators=(",", ":"))
        if app.canvas.looks != painted:
            app.canvas.looks = painted

    def _repaint(self) -> None:
        if self._painted:
            self._keep_paint()
        else:
            app = self.app
            looks = appearance(app.atlas, app.visible, app.selected, app.cause, app.opacity, app.ghost)
            app.canvas.looks = json.dumps({sid: [look.visible, look.opacity, look.colour] for sid, look in looks.items()},
                                          separators=(",", ":"))

    def _say(self, text: str) -> None:
        """Announce politely, after the app's own announcement of the change (a served page updates on the next tick)."""
        document = pn.state.curdoc
        if document is None or document.session_context is None:
            self.app.description.announcement = text
        else:
            document.add_next_tick_callback(partial(self._say_in, document, text))

    def _say_in(self, document: Document, text: str) -> None:
        with set_curdoc(document):
            self.app.description.announcement = text

    def _on_view_change(self, *_events) -> None:
        if self.round is not None and not self.round.done and self.round.kind == "find":
            self._show()  # the list follows the view

    # the panel -----------------------------------------------------------------------
    def find_choices(self) -> list[str]:
        """The keyboard alternative to a click: the round's structures the view shows, in reading order."""
        if self.round is None:
            return []
        app = self.app
        looks = appearance(app.atlas, app.visible, "", app.cause, app.opacity, app.ghost)
        shown = {sid: self._anchors[sid] for sid in set_structures(app.atlas, self.round.question_set)
                 if sid in self._anchors and looks[sid].visible and looks[sid].opacity > 0}
        return reading_order(shown, app.camera)

    def panel_view(self) -> dict:
        """What the panel shows, as the browser gets it."""
        atlas, quiz = self.app.atlas, self.round
        headings = {"all": "", "group": "Groups", "cause": "Pain causes"}
        view = {"phase": "setup", "intro": _INTRO, "kind": self.kind, "qset": self.question_set,
                "kinds": [[kind, f"{title}: {'click the structure named' if kind == 'find' else 'name the structure shown'}"]
                          for kind, title in KINDS.items()],
                "sets": [[key, title.removeprefix("Pain cause: "), headings[key.partition(":")[0]]]
                         for key, title in self.sets.items()]}
        if quiz is None:
            return view
        view |= {"round": f"{KINDS[quiz.kind]}, {self.sets[quiz.question_set]}: round {quiz.seed}",
                 "note": quiz.note}
        if quiz.done:
            right, answered = quiz.score
            started = (f" (this round was opened at question {quiz.start + 1}, so the score counts "
                       f"questions {quiz.start + 1} to {len(quiz.questions)})") if quiz.start else ""
            misses = []
            for question, given in quiz.misses:
                number = quiz.questions.index(question) + 1
                name = atlas[question.structure].name
                said = atlas[given].name if given in atlas.structures else "nothing"
                misses.append({"number": number, "id": question.structure, "name": name,
                               "text": f"Question {number}: {name}; you answered {said}."})
            return view | {"phase": "end", "score": f"Score: {right} of {answered} right{started}.",
                           "misses": misses}
        asked = quiz.question.structure
        given = quiz.answers[quiz.position]
        ids = quiz.question.choices if quiz.kind == "name" else self.find_choices()
        choices = [{"id": sid, "label": atlas[sid].name,
                    "mark": "right" if given is not None and sid == asked else
                            "wrong" if given is not None and sid == given else ""} for sid in ids]
        last = quiz.position + 1 == len(quiz.questions)
        view |= {"phase": "question", "number": f"Question {quiz.position + 1} of {len(quiz.questions)}",
                 "choices": choices, "answered": given is not None,
                 "next_label": "See the score" if last else "Next question",
                 "feedback": {"text": self.feedback[0], "right": self.feedback[1]} if self.feedback else None}
        if quiz.kind == "name":
            return view | {"prompt": _NAME_PROMPT, "hint": "", "choices_label_id": "quiz-prompt"}
        return view | {"prompt": f"Find: {atlas[asked].name}.", "hint": _FIND_HINT, "choices_label_id": "quiz-hint"}

    def _show(self) -> None:
        quiz = self.round
        # The name under the mouse would give the answer away while a question waits.
        self.app.canvas.hover = quiz is None or quiz.done or quiz.answered
        self.panel.view = json.dumps(self.panel_view(), separators=(",", ":"))

    def _on_action(self, msg: dict) -> None:
        action = msg.get("action")
        if action == "start" and msg.get("kind") in KINDS and isinstance(msg.get("qset"), str) and msg["qset"] in self.sets:
            self.start(msg["kind"], msg["qset"])
        elif action == "answer" and isinstance(msg.get("id"), str) and self.round is not None and not self.round.done:
            offered = self.round.question.choices if self.round.kind == "name" else self.find_choices()
            if msg["id"] in offered:
                self.answer(msg["id"])
        elif action == "next":
            self.next()
        elif action == "stop":
            self.stop()
        elif action == "again" and self.round is not None:
            self.start(self.round.kind, self.round.question_set, self.round.seed)
        elif action == "new":
            self.stop()
        elif action == "show" and isinstance(msg.get("id"), str) and msg["id"] in self.app.atlas.structures:
            self.app.show_structure(msg["id"])

    # the learning mode's side --------------------------------------------------------
    def __panel__(self) -> pn.viewable.Viewable:
        return self.panel

    def link_args(self) -> dict[str, str]:
        """``quiz``, ``qset`` and ``seed`` while a round is open, and ``q`` (the question asked) until its end."""
        if self.round is None:
            return {}
        args = {"quiz": self.round.kind, "qset": self.round.question_set, "seed": str(self.round.seed)}
        if not self.round.done:
            args["q"] = str(self.round.position + 1)
        return args

    def restore(self, query: dict[str, list[bytes]]) -> None:
        """Open the round a link names (a new seed if it names none); a link naming a bad one says so in the app's notice."""
        if "quiz" not in query:
            return
        first = {key: _text((query.get(key) or [b""])[0]) for key in ("quiz", "qset", "seed", "q")}
        try:
            seed = _whole(first["seed"], MAX_SEED, "a seed") if first["seed"] else None
            question = _whole(first["q"], 999, "q, the question's number,") if first["q"] else 1
            self.start(first["quiz"], first["qset"] or "all", seed, question, frame="cam" not in query)
        except ValueError as error:
            self.round = None
            self._release()
            said = f"The quiz in the link could not be opened: {error}."
            self.app.notice = f"{self.app.notice} {said}".strip()
            self._show()


def _text(value) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()[:80]


def _whole(text: str, highest: int, what: str) -> int:
    if not text.isdigit() or len(text) > len(str(highest)) or int(text) > highest:
        raise ValueError(f"{what} is a whole number from 0 to {highest}")
    return int(text)
