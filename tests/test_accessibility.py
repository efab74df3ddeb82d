"""The explorer with a keyboard and a screen reader: axe-core's checks, the tab order, names and announcements.

axe-core (the npm package ``make test`` installs into ``.node/``) is injected into the served page
and run on the WCAG 2.0-2.2 A and AA rules and its best practices. These tests skip, saying why,
where it or Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import (  # noqa: F401 (browser, open_app and server are fixtures)
    CAM_QUERY, anchor, browser, canvas_point, expect, open_app, server)

AXE = Path(__file__).resolve().parents[1] / ".node" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (rules) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: rules } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact,
                                         where: v.nodes.slice(0, 3).map((n) => n.target.join(" > ")) }));
}"""


def _violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip(f"accessibility checks need axe-core at {AXE} (make test installs it with npm)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, RULES)


def _serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("critical", "serious")]


def _open_view_tab(page):
    page.get_by_role("tab", name="View").click()
    expect(page.get_by_role("tab", name="View")).to_have_attribute("aria-selected", "true")
    return page


@pytest.mark.parametrize("query, then", [
    pytest.param("", None, id="default page"),
    pytest.param("", _open_view_tab, id="View tab open"),
    pytest.param("?sel=tibial_nerve", None, id="a structure selected"),
    pytest.param("?cause=deep_vein_thrombosis", None, id="a cause open"),
])
def test_axe_finds_nothing_critical_or_serious(open_app, query, then):
    page = open_app(query)
    if then is not None:
        then(page)
    violations = _violations(page)
    assert not _serious(violations), violations
    assert not violations, f"moderate or minor: {violations}"  # none are left; the README says so


def test_axe_finds_nothing_critical_or_serious_on_a_phone(open_app):
    page = open_app("?sel=tibia", phone=True)
    violations = _violations(page)
    assert not _serious(violations), violations


@pytest.mark.parametrize("query, last_words", [
    pytest.param("?hurt=medial_popliteal_fossa", "Scans and pain", id="where does it hurt, with its cards"),
    pytest.param("?quiz=find&qset=group:nerves&seed=1234", "Lateral sural cutaneous nerve", id="a quiz question"),
    pytest.param("?tour=bakers_cyst&step=2", "The bursa between their tendons", id="a tour step"),
    pytest.param("?sel=common_fibular_nerve", "Superficial fibular nerve:", id="a nerve's skin territories"),
])
def test_on_a_phone_each_learning_view_flows_down_one_scrolling_page_and_axe_finds_nothing(open_app, query, last_words):
    page = open_app(query, phone=True)
    clipped = page.locator(".knee-tabpanel, .knee-about").evaluate_all(
        "regions => regions.map((r) => r.scrollHeight - r.clientHeight).filter((extra) => extra > 1)")
    assert clipped == [], "a region scrolls on its own inside the phone's page"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    words = page.get_by_text(last_words).filter(visible=True).last
    words.scroll_into_view_if_needed()
    expect(words).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0  # the page itself scrolled to it
    violations = _violations(page)
    assert not violations, violations


def test_the_tabs_come_before_the_list_and_open_with_the_arrow_keys(open_app):
    page = open_app()
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => { let e = document.activeElement;
            while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
            return [e.getAttribute('role') || e.tagName.toLowerCase(), e.textContent.trim().slice(0, 40)]; }"""))
        if stops[-1] == ["tab", "Structures"]:
            break
    assert stops[-1] == ["tab", "Structures"], stops
    assert not any(role == "button" and name == "Femur" for role, name in stops)  # before the structure list
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="View")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="View")).to_be_visible()
    page.keyboard.press("Tab")  # into the panel: the first view button, the one shown
    expect(page.get_by_role("button", name="Anterior")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('cam=')")
    page.get_by_role("tab", name="View").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tabpanel", name="Structures")).to_be_visible()
    expect(page.get_by_role("tabpanel", name="View")).to_be_hidden()


def test_check_boxes_and_sliders_are_named_by_their_words(open_app):
    page = _open_view_tab(open_app())
    xray = page.get_by_role("checkbox", name="X-ray: ghost all but the selection")
    page.get_by_text("X-ray: ghost all but the selection").click()  # the words work the box
    expect(xray).to_be_checked()
    page.wait_for_function("() => location.search.includes('xray=1')")
    cut = page.get_by_role("slider", name="Cut position")
    expect(cut).to_have_attribute("aria-valuetext", "0 mm")
    page.get_by_role("combobox", name="Cut through the knee").select_option("front to back")
    cut.focus()
    page.keyboard.press("ArrowRight")
    expect(cut).to_have_attribute("aria-valuetext", "1 mm")
    page.wait_for_function("() => location.search.includes('clip=y:1')")
    bones = page.get_by_role("slider", name="Bones opacity")
    bones.focus()
    page.keyboard.press("ArrowLeft")
    expect(bones).to_have_attribute("aria-valuetext", "95 %")
    page.wait_for_function("() => location.search.includes('op=bones:0.95')")


def test_the_view_is_described_and_a_pick_announced(open_app, atlas):
    page = open_app(f"?{CAM_QUERY}")
    description = page.get_by_role("heading", name="What the 3D view shows")
    expect(description).to_have_count(1)
    snapshot = page.locator("main").aria_snapshot()
    assert "The right knee seen from the front." in snapshot
    page.mouse.click(*canvas_point(page, anchor(atlas, "tibia")))
    expect(page.get_by_role("status").filter(has_text="Selected: Tibia.")).to_have_count(1)
    assert "Selected: Tibia, in pink." in page.locator("main").aria_snapshot()
    assert page.evaluate("() => scrollY") == 0  # the list followed the pick without moving the page
    expect(page.locator("h2.info-name")).to_be_in_viewport()


def test_choosing_from_the_list_turns_the_knee_and_keeps_the_page_still(open_app):
    page = open_app()
    page.get_by_role("button", name="Tibial nerve", exact=True).click()
    expect(page.locator("h2.info-name")).to_have_text("Tibial nerve")
    page.wait_for_function("() => location.search.includes('sel=tibial_nerve&cam=')")
    camera = [float(v) for v in page.evaluate("() => new URLSearchParams(location.search).get('cam')").split(",")]
    assert camera[1] < camera[4] - 200  # the eye is behind the knee: looking from the back
    assert page.evaluate("() => scrollY") == 0
    expect(page.locator("h2.info-name")).to_be_in_viewport()
