"""Self-test rounds: seeded questions with plausible choices, scoring, and the quiz in the explorer (Python and Chromium)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import trimesh
from scipy.spatial import cKDTree

from explorer.app import KneeExplorerApp
from explorer.app.quiz import QuizMode
from explorer.quiz import (CHOICES, NEIGHBOUR_MM, ROUND_LENGTH, make_round, neighbours, question_sets,
                           quiz_structures, reading_order, set_structures)
from explorer.views import VIEWS

try:
    from browser_support import (  # noqa: F401 (browser, open_app and server are fixtures)
        CAM_QUERY, anchor, browser, canvas_point, expect, open_app, server)
    BROWSER = ""
except pytest.skip.Exception as missing:
    BROWSER = str(missing)
in_chromium = pytest.mark.skipif(bool(BROWSER), reason=BROWSER or "Chromium is here")



def _quiz(app) -> QuizMode:
    return next(mode for mode in app.modes if isinstance(mode, QuizMode))


def _exact_distance(a, b) -> float:
    """How close two meshes come: points every 1.5 mm on each, the nearest few measured to the other's exact surface."""
    samples = [trimesh.remesh.subdivide_to_size(m.vertices, m.faces, max_edge=1.5)[0] for m in (a, b)]
    low = np.inf
    for points, others, other in ((samples[0], samples[1], b), (samples[1], samples[0], a)):
        rough = cKDTree(others).query(points)[0]
        nearest = points[rough < rough.min() + 3.0]  # the closest pair is among these
        low = min(low, float(trimesh.proximity.closest_point(other, nearest)[1].min()))
    return low


def _mesh(atlas, sid):
    surface = atlas[sid].mesh.triangulate()
    return trimesh.Trimesh(np.asarray(surface.points), np.asarray(surface.faces).reshape(-1, 4)[:, 1:], process=False)


# the rounds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question_set", ["all", "group:nerves", "group:bones", "cause:meniscus_tear"])
def test_a_seeded_round_is_reproducible_and_its_choices_plausible_and_distinct(atlas, question_set):
    near = neighbours(atlas)
    pool = set_structures(atlas, question_set)
    for seed in (0, 1234, 999_999_999):
        quiz = make_round(atlas, "name", question_set, seed)
        assert quiz == make_round(atlas, "name", question_set, seed)  # same questions, same choices, same order
        assert [q.structure for q in quiz.questions] == [q.structure for q in make_round(atlas, "find", question_set, seed).questions]
        asked = [q.structure for q in quiz.questions]
        assert len(asked) == len(set(asked)) == min(ROUND_LENGTH, len(pool)) and set(asked) <= set(pool)
        for question in quiz.questions:
            answer = question.structure
            assert len(question.choices) == CHOICES and question.choices.count(answer) == 1
            assert len({atlas[sid].name.casefold() for sid in question.choices}) == CHOICES
            for other in set(question.choices) - {answer}:
                assert atlas[other].mesh is not None and not atlas[other].pathology
                assert atlas[other].group == atlas[answer].group or other in near[answer], (answer, other)
    rounds = {tuple(q.structure for q in make_round(atlas, "name", "all", seed).questions) for seed in range(5)}
    assert len(rounds) == 5  # other seeds, other rounds
    positions = {make_round(atlas, "name", "all", seed).questions[0].choices.index(
        make_round(atlas, "name", "all", seed).questions[0].structure) for seed in range(12)}
    assert len(positions) > 1  # the answer is not always in the same place


def test_rounds_ask_only_structures_with_a_mesh_and_never_a_pathology_variant(atlas):
    askable = quiz_structures(atlas)
    assert "bakers_cyst" in atlas.structures and "bakers_cyst" not in askable
    assert all(atlas[sid].mesh is not None for sid in askable)
    assert not [sid for sid, s in atlas.structures.items() if s.mesh is None and sid in askable]
    sets = question_sets(atlas)
    assert "group:regions" not in sets  # no structure of it has a mesh
    assert set(set_structures(atlas, "cause:bakers_cyst")) == {
        sid for sid in atlas.causes["bakers_cyst"].structures if sid in askable}
    with pytest.raises(ValueError, match="unknown question set"):
        set_structures(atlas, "group:nope")
    with pytest.raises(ValueError, match="seed"):
        make_round(atlas, "find", "all", seed=-1)


@dataclasses.dataclass(frozen=True)
class _FaintGroup:
    id: str
    name: str
    opacity: float


def test_a_group_drawn_faint_by_default_is_neither_asked_nor_offered(atlas):
    faint = dataclasses.replace(atlas, groups=atlas.groups | {"bones": _FaintGroup("bones", "Bones", 0.2)})
    assert "tibia" in quiz_structures(atlas) and "tibia" not in quiz_structures(faint)
    assert "group:bones" not in question_sets(faint)


def test_neighbours_are_the_structures_within_ten_millimetres(atlas):
    near = neighbours(atlas)
    assert neighbours(atlas) is near  # computed once per atlas
    assert all(sid not in others and all(sid in near[o] for o in others) for sid, others in near.items())
    meshes = {sid: _mesh(atlas, sid) for sid in near}
    pairs = [(a, b) for a in sorted(near) for b in sorted(near) if a < b]
    said_near = [pair for pair in pairs if pair[1] in near[pair[0]]]
    said_far = [(a, b) for a, b in pairs if b not in near[a]
                and np.all(np.maximum(meshes[a].bounds[0], meshes[b].bounds[0])
                           - np.minimum(meshes[a].bounds[1], meshes[b].bounds[1]) < NEIGHBOUR_MM)]
    rng = np.random.default_rng(3)
    for a, b in [said_near[i] for i in rng.choice(len(said_near), 6, replace=False)]:
        assert _exact_distance(meshes[a], meshes[b]) < NEIGHBOUR_MM, (a, b)
    for a, b in [said_far[i] for i in rng.choice(len(said_far), 6, replace=False)]:
        assert _exact_distance(meshes[a], meshes[b]) > NEIGHBOUR_MM - 3.5, (a, b)  # the samples' reach (see neighbours)


def test_a_full_round_through_the_python_api_scores_right(atlas):
    quiz = make_round(atlas, "name", "all", seed=99)
    given = []
    for index, question in enumerate(quiz.questions):
        wrong = next(sid for sid in question.choices if sid != question.structure)
        given.append(question.structure if index % 3 else wrong)
        assert quiz.give(given[-1]) == (index % 3 != 0)
        assert quiz.give(question.structure) == (index % 3 != 0)  # the first answer stands
        quiz.next()
    assert quiz.done and quiz.question is None
    assert quiz.score == (6, 10)
    assert [(q.structure, answer) for q, answer in quiz.misses] == [
        (quiz.questions[i].structure, given[i]) for i in (0, 3, 6, 9)]
    with pytest.raises(ValueError, match="over"):
        quiz.give("femur")


def test_a_small_set_makes_a_shorter_round_and_says_so(atlas):
    quiz = make_round(atlas, "find", "cause:meniscus_tear", seed=5)
    assert len(quiz.questions) == 3 and quiz.note == "The set has 3 structures, so the round has 3 questions."
    assert make_round(atlas, "find", "all", seed=5).note == ""


def test_reading_order_goes_down_the_view_in_rows_and_across_each_from_the_left():
    behind = {"position": [0, -500, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
    anchors = {"medial low": [-40, 0, -90], "lateral low": [40, 0, -90], "top": [0, 0, 100], "middle": [0, 0, 5]}
    # From behind, the lateral side (+x) of a right knee is on the right.
    assert reading_order(anchors, behind) == ["top", "middle", "medial low", "lateral low"]


# the mode in the app ------------------------------------------------------------------------
def test_find_it_takes_a_click_and_shows_the_right_one_after_a_miss(app, atlas):
    quiz = _quiz(app)
    quiz.start("find", "group:bones", seed=3)
    asked = quiz.round.question.structure
    assert app.selected == "" and app.link_query().endswith("quiz=find&qset=group%3Abones&seed=3&q=1")
    wrong = next(sid for sid in ("tibia", "patella") if sid != asked)
    camera = dict(app.camera)
    app.canvas.receive_pick(wrong)
    assert app.selected == asked and app.camera != camera  # selected and brought into sight
    assert quiz.round.answers[0] == wrong and quiz.feedback[1] is False
    assert app.description.announcement == (f"Question 1: not quite. You clicked: {atlas[wrong].name}. "
                                             f"{atlas[asked].name} is now selected, in pink.")
    view = json.loads(quiz.panel.view)
    assert view["feedback"]["right"] is False and {c["id"]: c["mark"] for c in view["choices"]}[asked] == "right"
    app.canvas.receive_pick(wrong)  # once answered, a click selects as usual
    assert app.selected == wrong and quiz.round.answers[0] == wrong
    quiz.next()
    assert app.selected == "" and quiz.link_args()["q"] == "2"
    app.canvas.receive_pick(quiz.round.question.structure)
    assert quiz.round.score == (1, 2) and app.description.announcement.startswith("Question 2: right.")


def test_find_it_starts_from_the_side_that_shows_most_of_the_round(app, atlas):
    asked = set_structures(atlas, "group:nerves")
    _quiz(app).start("find", "group:nerves", seed=1)
    assert set(asked) <= set(app.visible) and app.selected == ""
    eye = np.subtract(app.camera["position"], app.camera["focalPoint"])
    side = next(name for name, view in VIEWS.items() if np.allclose(eye / np.linalg.norm(eye), view.direction))
    blocking = [sid for sid, look in app.canvas.appearance.items() if look[0] and look[1] >= 0.5]
    shown = {name: sum(s.fraction for sid in asked for s in app.sightlines.sights(sid, blocking) if s.view == name)
             for name in VIEWS}
    assert shown[side] == max(shown.values()) > shown["anterior"]  # the nerves lie behind the bones


def test_name_it_paints_the_structure_without_naming_it(app, atlas):
    quiz = _quiz(app)
    quiz.start("name", "group:nerves", seed=1234)
    asked = quiz.round.question.structure
    looks = app.canvas.appearance
    assert [sid for sid, look in looks.items() if look[2] == "#e0219a"] == [asked]
    assert app.selected == "" and app.canvas.selected == "" and atlas[asked].name not in app.info.object
    assert atlas[asked].name not in app.description.description
    assert not app.canvas.hover  # nor does the name under the mouse
    app.canvas.receive_pick(asked)  # a click does not select, so nothing names it
    assert app.selected == "" and quiz.round.answers[0] is None
    app.ghost = True  # the app draws again; the paint stays
    assert [sid for sid, look in app.canvas.appearance.items() if look[2] == "#e0219a"] == [asked]
    view = json.loads(quiz.panel.view)
    assert [c["id"] for c in view["choices"]] == list(quiz.round.question.choices)
    quiz._on_action({"action": "answer", "id": "femur"})  # not offered: ignored
    assert quiz.round.answers[0] is None
    quiz._on_action({"action": "answer", "id": asked})
    assert app.selected == asked and quiz.round.score == (1, 1) and app.canvas.hover


def test_the_link_gives_the_same_round_at_the_same_question(app, atlas, meshes, sightlines):
    quiz = _quiz(app)
    quiz.start("name", "group:nerves", seed=1234)
    quiz.answer(quiz.round.question.structure)
    quiz.next()
    quiz.next()
    query = {key: [value.encode()] for key, value in quiz.link_args().items()}
    assert query["q"] == [b"3"]
    again = _quiz(KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines, query=query))
    assert again.round.questions == quiz.round.questions and again.round.position == 2
    assert again.link_args() == quiz.link_args()
    while not quiz.round.done:
        quiz.next()
    assert quiz.link_args() == {"quiz": "name", "qset": "group:nerves", "seed": "1234"}  # the end: the round again
    quiz.stop()
    assert quiz.link_args() == {} and app.pick_handler is None


@pytest.mark.parametrize("query, said", [
    ({"quiz": [b"find"], "qset": [b"group:nope"]}, "unknown question set 'group:nope'"),
    ({"quiz": [b"find"], "seed": [b"12ab"]}, "a seed is a whole number"),
    ({"quiz": [b"name"], "qset": [b"group:bones"], "q": [b"9"]}, "the round has questions 1 to 4"),
    ({"quiz": [b"<script>"]}, "unknown kind of question '<script>'"),
])
def test_a_bad_quiz_link_says_what_could_not_be_opened(atlas, meshes, sightlines, query, said):
    app = KneeExplorerApp(atlas=atlas, meshes=meshes, sightlines=sightlines, query=query | {"sel": [b"tibia"]})
    assert said in app.notice and _quiz(app).round is None
    assert app.selected == "tibia" and "quiz=" not in app.link_query()


# in Chromium -------------------------------------------------------------------------------
def _learn(page):
    page.get_by_role("tab", name="Learn").click()
    expect(page.get_by_role("tabpanel", name="Learn")).to_be_visible()
    return page.get_by_role("region", name="Self-test")


def _camera_from_link(page) -> dict:
    page.wait_for_function("() => new URLSearchParams(location.search).has('cam')")
    values = [float(v) for v in page.evaluate("() => new URLSearchParams(location.search).get('cam')").split(",")]
    return {"position": values[:3], "focalPoint": values[3:6], "viewUp": values[6:]}


def _click_structure(page, atlas, monkeypatch, structure_id, camera):
    import browser_support

    monkeypatch.setattr(browser_support, "CAMERA", camera)
    point = canvas_point(page, anchor(atlas, structure_id))
    page.mouse.move(*point)
    expect(page.locator(".knee-canvas canvas").first).to_have_css("cursor", "pointer")  # over a structure
    expect(page.locator(".knee-hover")).to_be_hidden()  # whose name would give the answer away
    page.mouse.click(*point)


@in_chromium
def test_name_it_from_a_link_shows_the_right_answer_after_a_miss(open_app, atlas):
    quiz = make_round(atlas, "name", "group:nerves", seed=1234)
    question = quiz.questions[2]
    page = open_app("?quiz=name&qset=group:nerves&seed=1234&q=3")
    panel = _learn(page)
    expect(panel.get_by_role("heading", name=f"Question 3 of {len(quiz.questions)}")).to_be_visible()
    choices = panel.get_by_role("group", name="Which structure is shown in pink?").get_by_role("button")
    expect(choices).to_have_text([atlas[sid].name for sid in question.choices])  # the same choices, same order
    expect(page.locator("h2.info-name")).to_have_count(0)  # nothing names the painted structure
    wrong = next(sid for sid in question.choices if sid != question.structure)
    choices.nth(question.choices.index(wrong)).click()
    right_name = atlas[question.structure].name
    expect(panel.locator(".quiz-feedback")).to_have_text(
        f"Question 3: not quite. You chose: {atlas[wrong].name}. The answer: {right_name}, now labelled in the view.")
    expect(choices.nth(question.choices.index(question.structure))).to_have_text(f"{right_name} (right answer)")
    expect(choices.nth(question.choices.index(wrong))).to_have_text(f"{atlas[wrong].name} (your answer)")
    expect(page.get_by_role("status").filter(has_text="Question 3: not quite.")).to_have_count(1)
    expect(page.locator("h2.info-name")).to_have_text(right_name)
    expect(panel.get_by_role("button", name="Next question")).to_be_focused()


@in_chromium
def test_find_it_answered_by_clicks_on_the_view(open_app, atlas, monkeypatch):
    # A round whose first two questions are bones in sight from the front: the miss turns the camera.
    seed = next(s for s in range(100) if [q.structure for q in make_round(atlas, "find", "group:bones", s).questions][:2]
                in (["tibia", "patella"], ["femur", "patella"]))
    first, second = (q.structure for q in make_round(atlas, "find", "group:bones", seed).questions[:2])
    page = open_app(f"?quiz=find&qset=group:bones&seed={seed}&{CAM_QUERY}")
    panel = _learn(page)
    expect(panel.locator(".quiz-prompt")).to_have_text(f"Find: {atlas[first].name}.")
    front = _camera_from_link(page)
    _click_structure(page, atlas, monkeypatch, "patella", front)
    expect(panel.locator(".quiz-feedback")).to_contain_text(f"not quite. You clicked: Patella. {atlas[first].name}")
    expect(page.locator("h2.info-name")).to_have_text(atlas[first].name)
    page.wait_for_function("(front) => new URLSearchParams(location.search).get('cam') !== front", arg=CAM_QUERY[4:])
    panel.get_by_role("button", name="Next question").click()
    expect(panel.locator(".quiz-prompt")).to_have_text(f"Find: {atlas[second].name}.")
    _click_structure(page, atlas, monkeypatch, second, _camera_from_link(page))  # the camera the app turned to
    expect(panel.locator(".quiz-feedback")).to_have_text(f"Question 2: right. {atlas[second].name}.")
    expect(page.get_by_role("status").filter(has_text="Question 2: right.")).to_have_count(1)


@in_chromium
def test_find_it_with_the_keyboard_from_the_list_in_view_order(open_app, atlas, meshes):
    quiz = make_round(atlas, "find", "group:menisci", seed=8)
    page = open_app(f"?quiz=find&qset=group:menisci&seed=8&{CAM_QUERY}")
    panel = _learn(page)
    hint = panel.locator(".quiz-hint").text_content()
    listed = panel.get_by_role("group", name=hint).get_by_role("button")
    anchors = {entry["id"]: entry["anchor"] for entry in meshes.manifest}
    order = reading_order({sid: anchors[sid] for sid in set_structures(atlas, "group:menisci")}, _camera_from_link(page))
    expect(listed).to_have_text([atlas[sid].name for sid in order])
    asked = quiz.questions[0].structure
    listed.nth(order.index(asked)).focus()
    page.keyboard.press("Enter")
    expect(panel.locator(".quiz-feedback")).to_have_text(f"Question 1: right. {atlas[asked].name}.")
    next_button = panel.get_by_role("button", name="Next question")
    expect(next_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", name="Question 2 of 2")).to_be_focused()
    page.keyboard.press("Tab")  # past the prompt and hint, into the list
    expect(listed.first).to_be_focused()


@in_chromium
def test_the_end_of_a_round_shows_the_score_and_the_misses(open_app, atlas):
    quiz = make_round(atlas, "name", "cause:meniscus_tear", seed=5)
    page = open_app("?quiz=name&qset=cause:meniscus_tear&seed=5")
    panel = _learn(page)
    expect(panel.locator(".quiz-note")).to_have_text("The set has 3 structures, so the round has 3 questions.")
    missed = quiz.questions[1]
    wrong = next(sid for sid in missed.choices if sid != missed.structure)
    for number, question in enumerate(quiz.questions, 1):
        expect(panel.get_by_role("heading", name=f"Question {number} of 3")).to_be_visible()
        pick = wrong if question is missed else question.structure
        panel.get_by_role("button", name=atlas[pick].name, exact=True).click()
        panel.get_by_role("button", name="See the score" if number == 3 else "Next question").click()
    expect(panel.get_by_role("heading", name="Score: 2 of 3 right.")).to_be_focused()
    review = panel.get_by_role("list", name="Review of misses").get_by_role("listitem")
    expect(review).to_have_count(1)
    expect(review.first).to_contain_text(f"Question 2: {atlas[missed.structure].name}; you answered {atlas[wrong].name}.")
    expect(page.get_by_role("status").filter(has_text="Round over: 2 of 3 right.")).to_have_count(1)
    page.wait_for_function("() => location.search.includes('seed=5') && !location.search.includes('q=')")
    review.first.get_by_role("button").click()
    expect(page.locator("h2.info-name")).to_have_text(atlas[missed.structure].name)


@in_chromium
def test_axe_finds_nothing_with_the_quiz_open(open_app, atlas):
    from test_accessibility import _violations

    page = open_app(f"?quiz=find&qset=group:menisci&seed=8&{CAM_QUERY}")
    panel = _learn(page)
    assert _violations(page) == []  # a "find it" question with its list
    panel.get_by_role("button", name="Stop the round").click()
    expect(panel.get_by_role("button", name="Start a round")).to_be_focused()
    panel.get_by_role("radio", name="Name it: name the structure shown").check()
    panel.get_by_role("combobox", name="Questions on").select_option("group:bones")
    panel.get_by_role("button", name="Start a round").click()
    expect(panel.get_by_role("heading", name="Question 1 of 4")).to_be_focused()
    page.wait_for_function("() => /quiz=name&qset=group%3Abones&seed=\\d{4}&q=1/.test(location.search)")
    panel.get_by_role("group", name="Which structure is shown in pink?").get_by_role("button").first.click()
    expect(panel.locator(".quiz-feedback")).to_be_visible()
    assert _violations(page) == []  # answered, right or wrong
