"""The scene: rendering, show/hide/isolate/ghost/highlight, named views and click picking, off-screen."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.scene import HIGHLIGHT_COLOUR, KneeScene
from explorer.views import VIEWS

REFERENCE = Path(__file__).parent / "images" / "default_posterior.png"
SIZE = (480, 360)


@pytest.fixture
def scene(atlas):
    scene = KneeScene(atlas, off_screen=True, window_size=SIZE)
    yield scene
    scene.close()


def _foreground(image: np.ndarray) -> np.ndarray:
    return np.any(image < 245, axis=-1)


def test_default_scene_matches_the_reference_image(scene, tmp_path):
    image = scene.view("posterior").screenshot(tmp_path / "posterior.png")
    assert (tmp_path / "posterior.png").stat().st_size > 0
    reference = np.asarray(Image.open(REFERENCE).convert("RGB"))
    difference = np.abs(image.astype(int) - reference.astype(int)).max(axis=-1)
    assert difference.mean() < 4.0 and (difference > 60).mean() < 0.02, (
        f"render differs from {REFERENCE.name}: mean {difference.mean():.2f}, {(difference > 60).mean():.2%} pixels off"
    )


def test_default_scene_draws_the_knee_in_its_colours(scene, atlas):
    image = scene.view("posterior").screenshot()
    covered = _foreground(image).mean()
    assert 0.08 < covered < 0.6, f"knee covers {covered:.0%} of the frame"
    cartilage = np.array([int(atlas["femoral_cartilage"].colour[i:i + 2], 16) for i in (1, 3, 5)])
    shaded_blue = (image[..., 2] > image[..., 0] + 30)  # cartilage is the only blue structure
    assert shaded_blue.mean() > 0.005, "the femoral cartilage is not visible from behind"
    assert cartilage[2] > cartilage[0]


def test_hide_isolate_and_show(scene):
    everything = set(scene.visible)
    scene.hide("cartilage")
    assert not {"femoral_cartilage", "patellar_cartilage"} & set(scene.visible)
    scene.isolate("femur", "menisci")
    assert set(scene.visible) == {"femur", "medial_meniscus", "lateral_meniscus"}
    blank_free = _foreground(scene.view("anterior").screenshot()).mean()
    scene.show_structures()
    assert set(scene.visible) == everything
    assert _foreground(scene.screenshot()).mean() > blank_free
    with pytest.raises(KeyError, match="unknown structure or group id 'kneecap'"):
        scene.hide("kneecap")


def test_ghost_opacity_and_highlight(scene, atlas):
    scene.ghost("tibia")
    assert scene.actors["tibia"].prop.opacity == 1.0 and scene.actors["femur"].prop.opacity < 0.2
    scene.set_opacity(0.5, "bones")
    assert scene.actors["patella"].prop.opacity == 0.5
    with pytest.raises(ValueError, match="opacity must be between 0 and 1"):
        scene.set_opacity(2.0)
    scene.highlight("fibula")
    assert scene.actors["fibula"].prop.color.hex_rgb.lower() == HIGHLIGHT_COLOUR
    scene.reset()
    assert scene.actors["fibula"].prop.color.hex_rgb.lower() == atlas["fibula"].colour.lower()
    assert all(actor.prop.opacity == atlas.groups[atlas[sid].group].opacity for sid, actor in scene.actors.items())


@pytest.mark.parametrize("name", list(VIEWS))
def test_named_views_look_from_their_side(scene, name):
    scene.view(name)
    position = np.asarray(scene.plotter.camera.position)
    assert np.dot(position / np.linalg.norm(position), VIEWS[name].direction) > 0.99


def _display_point(scene, world_point) -> tuple[int, int]:
    renderer = scene.plotter.renderer
    renderer.SetWorldPoint(*world_point, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return int(round(x)), int(round(y))


def test_clicking_a_structure_names_it_and_a_drag_does_not(scene, atlas):
    chosen = []
    scene.enable_click_selection(chosen.append).view("anterior")
    scene.screenshot()
    x, y = _display_point(scene, atlas["patella"].mesh.center)
    interactor = scene.plotter.iren
    interactor._mouse_left_button_press(x, y)
    interactor._mouse_left_button_release(x, y)
    assert scene.selected == "patella" and chosen == ["patella"]
    assert scene.actors["patella"].prop.color.hex_rgb.lower() == HIGHLIGHT_COLOUR
    label = scene.plotter.actors["selection-label"]
    assert label.GetText(2) == "Patella"  # upper-left corner

    fx, fy = _display_point(scene, atlas["fibula"].mesh.center)
    interactor._mouse_left_button_press(fx, fy)
    interactor._mouse_left_button_release(fx + 40, fy)
    assert scene.selected == "patella" and chosen == ["patella"], "a drag must not change the selection"

    interactor._mouse_left_button_press(2, 2)
    interactor._mouse_left_button_release(2, 2)
    assert scene.selected is None and chosen == ["patella", None]


def test_show_inline_gives_an_offline_interactive_view_of_the_scene_as_it_is(scene):
    import html
    import json
    import re

    scene.isolate("bones").highlight("tibia").set_opacity(0.4, "femur").view("lateral")
    scene.selected = "tibia"
    cell = scene.show(inline=True).data
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', cell).group(1))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched
    data = json.loads(re.search(r'<script id="knee-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    drawn = {s["id"]: s for s in data["structures"]}
    assert set(drawn) == {"femur", "tibia", "fibula", "patella"}
    assert drawn["femur"]["opacity"] == pytest.approx(0.4) and drawn["tibia"]["highlight"]
    assert data["selected"] == "tibia" and data["camera"]["position"][0] > 0


def test_pathology_variants_appear_only_when_asked_for(scene, atlas):
    pathology = {sid for sid in scene.actors if atlas[sid].pathology}
    assert pathology == {"bakers_cyst", "popliteal_vein_thrombus"}
    assert not pathology & set(scene.visible)
    scene.show_structures()
    assert not pathology & set(scene.visible)
    scene.show_structures("bakers_cyst")
    assert "bakers_cyst" in scene.visible
    scene.reset()
    assert not pathology & set(scene.visible) and "tibial_nerve" in scene.visible


def test_a_cut_face_follows_the_highlight_and_goes_with_the_cut(scene, atlas):
    from explorer.scene import CUT_FACE_SHADE

    def middle() -> np.ndarray:
        """The 7 x 7 pixels in the middle of the view, where the camera looks at the tibia's cut face."""
        rows, columns = slice(SIZE[1] // 2 - 3, SIZE[1] // 2 + 4), slice(SIZE[0] // 2 - 3, SIZE[0] // 2 + 4)
        return scene.screenshot()[rows, columns].reshape(-1, 3).astype(int)

    def rgb(colour: str) -> np.ndarray:
        return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])

    scene.isolate("tibia").clip("y", 0.0).highlight("tibia")
    scene.set_camera_state({"position": [0, 540.9, -30], "focalPoint": [0, 0, -30], "viewUp": [0, 0, 1]})
    assert np.abs(middle() - CUT_FACE_SHADE * rgb(HIGHLIGHT_COLOUR)).max() <= 3
    scene.highlight()
    assert np.abs(middle() - CUT_FACE_SHADE * rgb(atlas["tibia"].colour)).max() <= 3
    scene.clip(None)
    assert scene.actors["tibia"].GetBackfaceProperty() is None
    assert np.abs(middle() - CUT_FACE_SHADE * rgb(atlas["tibia"].colour)).max() > 3  # its lit front again
