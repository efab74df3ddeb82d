"""The explorer in a real browser: Debian's Chromium, headless, driven by Playwright.

These tests skip (with the reason) where ``/usr/bin/chromium`` or Playwright is missing;
``make test`` installs both. Software WebGL is slow, so every wait is for a condition, with
a generous timeout; nothing asserts on time.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from browser_support import (  # noqa: F401 (browser, open_app and server are fixtures)
    CAM_QUERY, CAMERA, TIMEOUT_MS, anchor, browser, canvas_point, expect, open_app, server)


def _first_with_mesh(atlas, group):
    return next((s.id for s in atlas.in_group(group) if s.mesh is not None and not s.pathology), None)


def _click_targets(atlas):
    targets = [pytest.param("tibia", id="bone")]
    for group in ("ligaments", "nerves"):
        sid = _first_with_mesh(atlas, group)
        if sid is not None:
            targets.append(pytest.param(sid, id=group[:-1]))
    return targets


def pytest_generate_tests(metafunc):
    if "click_target" in metafunc.fixturenames:
        from explorer.atlas import load_atlas

        metafunc.parametrize("click_target", _click_targets(load_atlas()))


def test_clicking_a_structure_on_the_canvas_shows_its_info(open_app, atlas, click_target):
    structure = atlas[click_target]
    page = open_app(f"?show={click_target}&{CAM_QUERY}")
    x, y = canvas_point(page, anchor(atlas, click_target))
    page.mouse.click(x, y)
    expect(page.locator("h2.info-name")).to_have_text(structure.name)
    expect(page.locator(".info-credit")).to_contain_text(structure.provenance.license)
    expect(page.locator(f"button.name[data-structure={click_target}]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"() => location.search.includes('sel={click_target}')")


def test_a_drag_rotates_and_never_selects(open_app, atlas):
    page = open_app(f"?show=tibia&{CAM_QUERY}")
    x, y = canvas_point(page, anchor(atlas, "tibia"))
    before = page.evaluate("() => location.search")
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 8 * step, y + 2 * step)
    page.mouse.up()
    # The rotation reaches the server (the link's camera changes); the selection must not.
    page.wait_for_function("(before) => location.search !== before", arg=before)
    assert "sel=" not in page.evaluate("() => location.search")
    expect(page.locator("h2.info-name")).to_have_count(0)


def test_default_view_click_selects_and_mirrors_in_the_tree(open_app, atlas):
    page = open_app()
    box = page.locator(".knee-canvas canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.3)
    expect(page.locator("h2.info-name")).to_have_count(1)
    name = page.locator("h2.info-name").text_content()
    expect(page.locator("button.name[aria-pressed=true]")).to_have_text(name)


def test_search_filters_the_tree(open_app, atlas):
    page = open_app()
    page.get_by_placeholder("name or alias").fill("shin bone")
    expect(page.locator("button.name")).to_have_count(len(atlas.search("shin bone")))
    expect(page.locator("button.name[data-structure=tibia]")).to_be_visible()


def test_toggling_a_group_hides_it(open_app, atlas):
    page = open_app()
    page.get_by_role("checkbox", name="Show all Bones").uncheck()
    page.wait_for_function("() => location.search.includes('show=')")
    shown = re.search(r"show=([^&]*)", page.evaluate("() => location.search")).group(1).split("%2C")
    shown = ",".join(shown).split(",")
    assert not {"femur", "tibia", "fibula", "patella"} & set(shown)
    expect(page.get_by_role("checkbox", name="Show Femur")).not_to_be_checked()


def test_a_shared_link_restores_the_view(open_app, atlas):
    page = open_app(f"?show=femur,tibia&sel=tibia&{CAM_QUERY}")
    expect(page.locator("h2.info-name")).to_have_text("Tibia")
    expect(page.get_by_role("checkbox", name="Show Femur")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Show Fibula", exact=True)).not_to_be_checked()
    expect(page.locator("button.name[data-structure=tibia]")).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize("query, reason", [
    ("?sel=%3Cscript%3Ealert(1)%3C/script%3E&cam=zzz", "malformed structure id"),
    ("?sel=" + "1" * 4301, "it could not be read"),
    ("?sel=" + "a" * 70_000, "it is too long"),
])
def test_a_hostile_link_shows_the_default_view_and_a_notice_and_leaves_the_address_bar(open_app, query, reason):
    page = open_app(query)
    expect(page.locator(".knee-notice")).to_contain_text(f"could not be restored ({reason})")
    expect(page.get_by_role("checkbox", name="Show Femur")).to_be_checked()
    page.wait_for_function("() => location.search === ''")  # Copy link now copies what is shown
    assert page.locator("script:has-text('alert(1)')").count() == 0  # and no dialog: see open_app


def test_keyboard_selects_from_the_tree_with_visible_focus(open_app):
    page = open_app()
    page.get_by_role("checkbox", name="Show Femur").focus()
    page.keyboard.press("Tab")
    focused = page.locator("button.name[data-structure=femur]")
    expect(focused).to_be_focused()
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("h2.info-name")).to_have_text("Femur")


def test_arrow_keys_move_through_the_tree_and_turn_the_knee(open_app):
    page = open_app()
    page.locator("button.name[data-structure=femur]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("button.name[data-structure=fibula]")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("button.name[data-structure=femur]")).to_be_focused()
    canvas = page.get_by_role("application")
    canvas.focus()
    assert canvas.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('cam=')")


def test_on_a_phone_the_page_fits_its_width_and_a_tap_selects(open_app, atlas):
    page = open_app(f"?{CAM_QUERY}", phone=True)
    assert page.evaluate("() => [innerWidth, visualViewport.scale]") == [390, 1]
    box = page.locator(".knee-canvas canvas").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 250
    page.touchscreen.tap(*canvas_point(page, anchor(atlas, "tibia")))
    expect(page.locator("h2.info-name")).to_have_text("Tibia")
    assert page.evaluate("() => scrollY") == 0  # the tap left the page where it was
    text = page.locator(".info-text p").first
    text.scroll_into_view_if_needed()
    expect(text).to_be_in_viewport()
    assert text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16  # CSS px, laid out at 390 px
    search = page.get_by_placeholder("name or alias")
    search.scroll_into_view_if_needed()
    expect(search).to_be_in_viewport()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_info_panel_links_open_a_cause_card_and_a_related_structure(open_app, atlas):
    structure = next(s for s in atlas.structures.values() if s.causes and s.mesh is not None)
    cause = atlas.causes[structure.causes[0]]
    page = open_app(f"?sel={structure.id}")
    page.get_by_role("button", name=f"Pain cause: {cause.name}").click()
    expect(page.locator("h2.cause-name")).to_have_text(cause.name)
    page.wait_for_function(f"() => location.search.includes('cause={cause.id}')")
    page.get_by_role("button", name="Leave pain-cause view").click()
    expect(page.locator("h2.cause-name")).to_have_count(0)


def test_download_this_view_gives_a_saved_view_file(open_app, atlas, tmp_path):
    from explorer.export import load_view

    page = open_app(f"?sel=tibia&xray=1&{CAM_QUERY}")
    expect(page.locator("h2.info-name")).to_have_text("Tibia")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this view").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    view = load_view(path, atlas)
    assert view.state.selected == "tibia" and view.state.ghost and view.state.camera == CAMERA


def test_pain_cause_from_a_link_shows_its_card(open_app, atlas):
    cause = next((c for c in atlas.causes.values() if any(atlas[s].mesh is not None for s in c.structures)), None)
    if cause is None:
        pytest.skip("the atlas has no pain cause yet")
    page = open_app(f"?cause={cause.id}")
    expect(page.locator("h2.cause-name")).to_have_text(cause.name)


def test_the_page_loads_nothing_from_other_hosts(server, browser):
    page = browser.new_page()
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(("http://localhost", "ws://localhost", "data:", "blob:")) else None)
    page.goto(server)
    page.wait_for_selector(".knee-canvas[data-ready=true]", state="attached", timeout=TIMEOUT_MS)
    page.goto(server + "credits")
    page.get_by_text("Credits and licences").wait_for(timeout=TIMEOUT_MS)
    page.close()
    assert outside == []


def test_a_cause_view_labels_every_structure_it_involves(open_app, atlas):
    from explorer.appearance import cause_structures

    page = open_app("?cause=bakers_cyst")
    expected = sorted(atlas[sid].name for sid in cause_structures(atlas, "bakers_cyst"))
    labels = page.locator(".knee-label.knee-named")
    expect(labels).to_have_count(len(expected))
    assert sorted(labels.all_text_contents()) == expected
    boxes = [labels.nth(i).bounding_box() for i in range(len(expected))]
    canvas = page.locator(".knee-canvas canvas").first.bounding_box()
    assert all(canvas["x"] <= b["x"] and b["x"] + b["width"] <= canvas["x"] + canvas["width"] for b in boxes), (canvas, boxes)
    page.get_by_role("region", name="Structures involved").get_by_role("button", name="Semimembranosus", exact=True).click()
    expect(page.locator(".knee-label.knee-pin")).to_have_text("Semimembranosus")
    expect(labels).to_have_count(len(expected) - 1)


def test_a_group_shown_alone_is_framed(open_app, atlas):
    page = open_app()
    page.get_by_role("button", name="Show only Menisci").click()
    page.wait_for_function("() => location.search.includes('show=') && location.search.includes('cam=')")
    query = page.evaluate("() => Object.fromEntries(new URLSearchParams(location.search))")
    assert sorted(query["show"].split(",")) == sorted(s.id for s in atlas.in_group("menisci") if s.mesh is not None)
    camera = [float(v) for v in query["cam"].split(",")]
    assert abs(camera[1] - camera[4]) < 400  # zoomed in from the default 541 mm away
    expect(page.get_by_role("checkbox", name="Show Femur")).not_to_be_checked()
