"""The 3D view in headless Chromium: the name under a resting mouse, the selected structure's pinned
label and the solid faces of a cut (the browser set-up and helpers are test_browser's)."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from explorer.app.meshdata import label_anchor
from explorer.scene import CUT_FACE_SHADE
from test_browser import CAM_QUERY, CAMERA, browser, expect, open_app, server  # noqa: F401 (fixtures)
from test_export_png import cut_face_points

#: Fewest pixels between the pinned label and the view's edge.
EDGE_PX = 4


def _canvas_point(page, point) -> tuple[float, float]:
    """Where a world point (mm) appears on the page, for the camera in :data:`CAMERA` (looking along -y)."""
    box = _canvas(page).bounding_box()
    depth = CAMERA["position"][1] - point[1]
    half_height = depth * math.tan(math.radians(15.0))
    ndc_x, ndc_y = -point[0] / (half_height * box["width"] / box["height"]), point[2] / half_height
    return float(box["x"] + (1 + ndc_x) * box["width"] / 2), float(box["y"] + (1 - ndc_y) * box["height"] / 2)


def _inside_point(atlas, structure_id: str) -> np.ndarray:
    """A point to hover over: the middle of the mesh's vertices within 4 mm of the one nearest its centre."""
    points = np.asarray(atlas[structure_id].mesh.points)
    nearest = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    return points[np.linalg.norm(points - nearest, axis=1) < 4.0].mean(axis=0)


def _canvas(page):
    return page.locator(".knee-canvas canvas").first


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def test_resting_the_mouse_on_a_structure_names_it(open_app, atlas):
    page = open_app(f"?show=tibia&{CAM_QUERY}")
    canvas, tip = _canvas(page), page.locator(".knee-hover")
    x, y = _canvas_point(page, _inside_point(atlas, "tibia"))
    page.mouse.move(x, y)
    expect(tip).to_have_text("Tibia")
    expect(tip).to_be_visible()
    expect(canvas).to_have_css("cursor", "pointer")
    near = tip.bounding_box()
    assert 0 < near["x"] - x < 40 and 0 < near["y"] - y < 40, "the name sits just below and right of the pointer"
    expect(tip).to_have_attribute("aria-hidden", "true")
    expect(tip).to_have_css("pointer-events", "none")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    expect(tip).to_be_hidden()
    expect(canvas).to_have_css("cursor", "grab")
    page.mouse.click(x, y)
    expect(page.locator("h2.info-name")).to_have_text("Tibia")
    expect(tip).to_be_visible()  # back under the resting pointer once the click is answered


def test_the_name_hides_for_a_finger_and_while_dragging(open_app, atlas):
    page = open_app(f"?show=tibia&{CAM_QUERY}")
    canvas, tip = _canvas(page), page.locator(".knee-hover")
    x, y = _canvas_point(page, _inside_point(atlas, "tibia"))
    page.mouse.move(x, y)
    expect(tip).to_be_visible()
    canvas.dispatch_event("pointermove", {"pointerType": "touch", "pointerId": 7, "isPrimary": True,
                                          "clientX": x + 2, "clientY": y})
    expect(tip).to_be_hidden()
    page.mouse.move(x, y + 2)
    expect(tip).to_be_visible()
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x + 6 * step, y)
        expect(tip).to_be_hidden()
    page.mouse.up()


def test_the_selected_structure_keeps_a_pinned_label_with_a_leader_line(open_app, atlas):
    page = open_app(f"?show=femur,tibia&sel=tibia&{CAM_QUERY}")
    pin, line = page.locator(".knee-pin"), page.locator(".knee-leader line")
    expect(pin).to_have_text("Tibia")
    expect(page.locator(".knee-label")).to_have_count(1)  # the labels switch is off: the pinned one alone
    box, label = _canvas(page).bounding_box(), pin.bounding_box()
    anchor = _canvas_point(page, label_anchor(np.asarray(atlas["tibia"].mesh.points)))
    end = [box["x"] + float(line.get_attribute("x2")), box["y"] + float(line.get_attribute("y2"))]
    start = [box["x"] + float(line.get_attribute("x1")), box["y"] + float(line.get_attribute("y1"))]
    assert math.dist(end, anchor) < 2, "the line ends on the tibia's label anchor"
    assert math.dist(start, end) > 10, "the label stands off its anchor"
    on_edge = [abs(start[0] - label["x"]), abs(start[0] - label["x"] - label["width"]),
               abs(start[1] - label["y"]), abs(start[1] - label["y"] - label["height"])]
    assert min(on_edge) < 1.5, "the line starts on the label's edge"
    before = line.get_attribute("x2")
    page.get_by_role("application").focus()
    page.keyboard.press("ArrowLeft")
    expect(line).not_to_have_attribute("x2", before)  # follows the camera
    expect(pin).to_have_text("Tibia")
    page.get_by_role("checkbox", name="Show Tibia", exact=True).uncheck()
    expect(pin).to_have_count(0)
    expect(line).to_have_count(0)


def test_the_pinned_label_stays_inside_the_view_and_marks_a_point_in_it(open_app, atlas):
    anchor = label_anchor(np.asarray(atlas["tibia"].mesh.points))
    page = open_app(f"?show=tibia&{CAM_QUERY}")
    box = _canvas(page).bounding_box()
    # The camera moved sideways until the tibia's anchor is 6 px from the right edge (right is -x from the front).
    half_width = (CAMERA["position"][1] - anchor[1]) * math.tan(math.radians(15.0)) * box["width"] / box["height"]
    shift = anchor[0] + (1 - 12 / box["width"]) * half_width
    page = open_app(f"?show=tibia&sel=tibia&cam={shift:.3f},540.9,0,{shift:.3f},0,0,0,0,1")
    pin, line = page.locator(".knee-pin"), page.locator(".knee-leader line")
    expect(pin).to_have_text("Tibia")
    # Its own anchor at the edge, the label marks a point of the tibia nearer what is looked at.
    assert float(line.get_attribute("x2")) < box["width"] - 0.1 * box["width"]
    label = pin.bounding_box()
    assert label["x"] >= box["x"] + EDGE_PX - 0.5 and label["y"] >= box["y"] + EDGE_PX - 0.5
    assert label["x"] + label["width"] <= box["x"] + box["width"] - EDGE_PX + 0.5
    assert label["y"] + label["height"] <= box["y"] + box["height"] - EDGE_PX + 0.5


def test_a_cut_shows_the_bones_solid_in_their_cut_face_colour(open_app, atlas):
    page = open_app(f"?clip=y:0&{CAM_QUERY}")
    box = _canvas(page).bounding_box()
    shot = np.asarray(Image.open(io.BytesIO(_canvas(page).screenshot())).convert("RGB")).astype(int)
    eye = np.asarray(CAMERA["position"])
    for bone in ("femur", "tibia"):
        points = cut_face_points(atlas, bone)
        assert len(points) >= 10, f"the plane y = 0 runs through the {bone}"
        pixels, expected = [], []
        for point in points:
            x, y = _canvas_point(page, point)
            pixels.append(shot[round(y - box["y"]), round(x - box["x"])])
            lit = abs(eye[1] - point[1]) / np.linalg.norm(eye - point)  # the plane faces the eye at this angle
            expected.append(_rgb(atlas[bone].colour) * CUT_FACE_SHADE * (0.28 + 0.72 * lit))
        off = np.abs(np.array(pixels) - np.array(expected)).max(axis=1)
        assert (off <= 3).mean() >= 0.95, f"{bone}: {(off > 3).sum()} of {len(off)} points not in its cut face colour"


def test_a_click_on_a_cut_face_selects_its_structure(open_app, atlas):
    points = cut_face_points(atlas, "femur")
    middle = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    page = open_app(f"?clip=y:0&{CAM_QUERY}")
    x, y = _canvas_point(page, middle)
    page.mouse.move(x, y)
    expect(page.locator(".knee-hover")).to_have_text("Femur")
    page.mouse.click(x, y)
    expect(page.locator("h2.info-name")).to_have_text("Femur")
