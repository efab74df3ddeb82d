"""One offline interactive HTML page: the view in plain WebGL, labels, a pain cause's card, and on a click the structure's text."""

from __future__ import annotations

import base64
import json
import math
import re
import zlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.app.info import territories_html
from explorer.appearance import HIGHLIGHT_COLOUR, cause_structures, cut_plane
from explorer.draw3d import drawing_helpers
from explorer.export.apply import as_view
from explorer.export.files import atomic_output
from explorer.glossary import anchor_links
from explorer.nerve_territories import SKIN_GROUP, leg_axis, paint_lists, territories_for
from explorer.text import markdown_to_html

if TYPE_CHECKING:
    from explorer.atlas import Atlas
    from explorer.export.saved_view import SavedView

#: Vertex positions are stored on a grid this fine (mm), so within half of it of the meshes.
MESH_STEP_MM = 0.01
#: The largest sphere (mm) a pain cause's page frames: a long muscle does not shrink the rest.
CAUSE_FRAME_RADIUS_MM = 110.0
#: The camera's vertical view angle, as in the scene and draw3d.js's FOV.
VIEW_ANGLE_DEGREES = 30.0
#: The buttons that turn the camera: the atlas's named view and the words on the button.
VIEW_BUTTONS = (("posterior", "Behind"), ("anterior", "Front"), ("medial", "Inner side"),
                ("lateral", "Outer side"), ("superior", "Above"))


def html(view=None, path: str | Path = "knee.html", *, atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Write the view as one self-contained HTML file that works from disk with no network.

    The page draws the view's structures with WebGL (drag rotates, the wheel zooms, buttons turn
    the camera, hide a structure or make it see-through), keeps the labels, opens on the pain
    cause's card when the view has one, and on a click shows the structure's name, text and pain
    causes (all Markdown rendered by :func:`explorer.text.markdown_to_html`, so raw HTML in a text
    is shown as text). It carries the disclaimer and the attribution lines.

    Examples
    --------
    >>> import tempfile
    >>> out = html({"show": ["patella"], "labels": True}, Path(tempfile.mkdtemp()) / "k.html")
    >>> "Patella" in out.read_text()
    True
    """
    return write_page(path, lambda: page_text(view, atlas=atlas), force=force)


def write_page(path: str | Path, make_text, *, force: bool = False, what: str = "a page") -> Path:
    """Write the HTML that ``make_text()`` returns to ``path`` (``.html``), whole or not at all.

    The suffix is checked before anything is made; ``what`` names the page in that error.

    Examples
    --------
    >>> write_page("k.png", lambda: "")
    Traceback (most recent call last):
    ...
    ValueError: unsupported format '.png' for a page (use .html)
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"unsupported format {path.suffix or path.name!r} for {what} (use .html)")
    text = make_text()
    with atomic_output(path, force=force) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


def inline(view=None, *, atlas: "Atlas | None" = None, height: int = 640):
    """The interactive page inline in a notebook cell, with no network: an ``<iframe srcdoc>`` of :func:`html`'s page.

    Works in JupyterLab and the classic notebook offline, as nothing is fetched from a CDN.

    Examples
    --------
    >>> "<iframe srcdoc=" in inline({"show": ["patella"]}).data
    True
    """
    from html import escape

    from IPython.display import HTML

    page = page_text(view, atlas=atlas)
    return HTML(f'<div class="knee-explorer-inline"><iframe srcdoc="{escape(page, quote=True)}" '
                f'style="width: 100%; height: {int(height)}px; border: 1px solid #ccc" '
                f'title="Interactive 3D knee"></iframe></div>')


def page_text(view=None, *, atlas: "Atlas | None" = None) -> str:
    """The self-contained HTML page for a view or a :class:`~explorer.scene.KneeScene` as it is (see :func:`html`)."""
    atlas, saved, appearance = _drawn(view, atlas)
    state = saved.state
    involved = [sid for sid in cause_structures(atlas, state.cause) if sid in appearance]
    faint_cover = {sid for sid, (_colour, opacity) in appearance.items()
                   if opacity < 0.5 and atlas.groups[atlas[sid].group].opacity < 0.5 and sid != state.selected}
    labelled = set(involved) | {state.selected} if state.cause else set(appearance) - faint_cover
    structures, meshes = [], []
    for sid, (colour, opacity) in appearance.items():
        entry, packed = _structure_data(atlas, sid, colour, opacity, colour == HIGHLIGHT_COLOUR, sid in labelled)
        structures.append(entry)
        meshes.append(packed)
    camera, frame = _camera(saved, atlas, involved)
    described = _described(atlas, appearance, state.selected)
    data = {
        "title": saved.title or atlas.title, "disclaimer": atlas.disclaimer, "credits": atlas.credits(),
        "geometry": atlas.geometry_title, "notices": atlas.notices(),
        "labels": saved.labels or bool(involved), "selected": state.selected if state.selected in described else "",
        "highlight": HIGHLIGHT_COLOUR, "camera": camera, "frame": frame, "structures": structures,
        "clip": _clip_plane(state.clip), "views": _views(), "cause": _cause_card(atlas, state.cause, involved),
        "info": {sid: _info(atlas, sid) for sid in described},
        "causes": {cid: {"name": atlas.causes[cid].name, "urgent": bool(atlas.causes[cid].urgent),
                         "html": _markdown(atlas, atlas.causes[cid].text)}
                   for cid in dict.fromkeys(cid for sid in described for cid in atlas[sid].causes)},
        "glossary": [{"id": t.id, "term": t.term, "definition": t.definition} for t in atlas.glossary.values()],
        "legAxis": leg_axis(atlas), "skin": [sid for sid in appearance if atlas[sid].group == SKIN_GROUP],
        "paint": paint_by_structure(atlas, described),
    }
    title = (saved.title or atlas.title).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # JSON inside a script element: no '<' may close it early.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    fills = {"TITLE": title, "SCRIPT": drawing_helpers() + "\n" + _template("page.js"), "DATA": payload,
             "MESHES": base64.b64encode(zlib.compress(b"".join(meshes), 9)).decode("ascii")}
    # One pass: what one placeholder brings in is never searched for another.
    return re.sub("__(" + "|".join(fills) + ")__", lambda match: fills[match[1]], _template("page.html"))


def _drawn(view, atlas: "Atlas | None") -> "tuple[Atlas, SavedView, dict[str, tuple[str, float]]]":
    """The atlas, the saved view and structure id -> (colour, opacity) of what the page draws."""
    from explorer.app.state import ViewState
    from explorer.export.model import _appearance
    from explorer.export.saved_view import SavedView

    if hasattr(view, "actors"):  # a KneeScene, drawn as it is
        saved = SavedView(ViewState(selected=view.selected or "", camera=view.camera_state()))
        appearance = {sid: (actor.prop.color.hex_rgb.lower(), float(actor.prop.opacity))
                      for sid, actor in view.actors.items() if actor.visibility}
        return view.atlas, saved, appearance
    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    saved = as_view(view, atlas)
    return atlas, saved, _appearance(saved, atlas)


def _described(atlas: "Atlas", appearance: dict[str, tuple[str, float]], selected: str) -> list[str]:
    """The structures the page can show the text of: those it draws, and a selected skin nerve with no model.

    A nerve drawn only as the skin it supplies (the saphenous nerve) is selected in the page as in the app:
    its territory is painted and its text shown.
    """
    drawn_skin = any(atlas[sid].group == SKIN_GROUP for sid in appearance)
    if selected and selected not in appearance and drawn_skin and territories_for(atlas, selected):
        return [*appearance, selected]
    return list(appearance)


def paint_by_structure(atlas: "Atlas", structure_ids: Iterable[str]) -> dict[str, list[list]]:
    """Structure id -> the patches choosing it paints on the skin (:func:`~explorer.nerve_territories.paint_lists`),
    for those of ``structure_ids`` that paint any: the page's ``paint``, which its shader draws on the skin.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> paint = paint_by_structure(load_atlas(meshes=False), ["femur", "sural_nerve"])
    >>> list(paint), paint["sural_nerve"][0][4]
    (['sural_nerve'], '#8a5a00')
    """
    chosen = {sid: territories_for(atlas, sid) for sid in structure_ids}
    return {sid: paint_lists(territories) for sid, territories in chosen.items() if territories}


def _template(name: str) -> str:
    return resources.files("explorer.export").joinpath(name).read_text(encoding="utf-8")


def _markdown(atlas: "Atlas", text: str) -> str:
    return markdown_to_html(anchor_links(text, atlas.glossary))


def _info(atlas: "Atlas", sid: str) -> dict:
    s = atlas[sid]
    credit = (f"3D model: {s.provenance.license}{', schematic' if s.schematic else ''}." if s.provenance
              else "No 3D model.")
    return {"name": s.name, "group": s.group, "groupName": atlas.groups[s.group].name,
            "html": _markdown(atlas, s.text) + territories_html(atlas, sid), "causes": list(s.causes), "credit": credit}


def _cause_card(atlas: "Atlas", cause: str, involved: list[str]) -> dict | None:
    """What the page opens on for a pain cause: what it is, its red flags, its drawn structures and the rest of its text."""
    if not cause:
        return None
    c = atlas.causes[cause]
    rest = "\n\n".join(f"### {heading}\n{body}" for heading, body in c.sections.items() if heading != "Red flags")
    return {"id": c.id, "name": c.name, "urgent": bool(c.urgent), "summary": _markdown(atlas, c.summary),
            "redFlags": _markdown(atlas, c.sections.get("Red flags", "")), "more": _markdown(atlas, rest),
            "structures": involved}


def _views() -> list[dict]:
    from explorer.views import VIEWS

    return [{"id": name, "label": label, "direction": list(VIEWS[name].direction), "up": list(VIEWS[name].up)}
            for name, label in VIEW_BUTTONS]


def _camera(saved: "SavedView", atlas: "Atlas", involved: list[str]) -> tuple[dict, dict | None]:
    """The page's starting camera, and the sphere it fits to the window (a cause's structures) or None.

    An explicit camera is kept as it is; a named one looks at the cause's structures, if any.
    """
    from explorer.views import VIEWS

    state = saved.state
    if state.camera:
        return {key: [float(v) for v in state.camera[key]] for key in ("position", "focalPoint", "viewUp")}, None
    named = VIEWS[saved.camera_name].camera()
    camera = {"position": list(named["position"]), "focalPoint": list(named["focal_point"]), "viewUp": list(named["up"])}
    if not involved:
        return camera, None
    # Each structure counts once, however finely it is meshed: the central 90% of it along each axis.
    boxes = np.array([np.percentile(np.asarray(atlas[sid].mesh.points), [5, 95], axis=0) for sid in involved])
    low, high = boxes[:, 0].min(axis=0), boxes[:, 1].max(axis=0)
    centre = (low + high) / 2
    radius = min(max(float(np.linalg.norm(high - low)) / 2, 15.0), CAUSE_FRAME_RADIUS_MM)
    back = np.asarray(named["position"]) - np.asarray(named["focal_point"])
    position = centre + back / np.linalg.norm(back) * radius / math.sin(math.radians(VIEW_ANGLE_DEGREES / 2))
    camera = {"position": [round(float(v), 3) for v in position], "focalPoint": [round(float(v), 3) for v in centre],
              "viewUp": list(named["up"])}
    return camera, {"centre": camera["focalPoint"], "radius": round(radius, 3)}


def _structure_data(atlas: "Atlas", sid: str, colour: str, opacity: float, highlight: bool,
                    labelled: bool) -> tuple[dict, bytes]:
    """A structure's entry in the page's data, and its mesh packed by :func:`pack_mesh`."""
    mesh = atlas[sid].mesh.triangulate()
    points = np.asarray(mesh.points, dtype=np.float64)
    faces = mesh.faces.reshape(-1, 4)[:, 1:]
    layout, packed = pack_mesh(points, faces)
    return {"id": sid, "name": atlas[sid].name, "colour": colour if not highlight else atlas[sid].colour,
            "opacity": float(opacity), "highlight": highlight, "visible": True, "labelled": labelled,
            "anchors": _anchors(points), "mesh": layout}, packed


def _anchors(points: np.ndarray) -> list[list[float]]:
    """Points of a mesh a label may point at: the vertex nearest its box's centre, then those nearest points off it along each axis."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre, reach = (low + high) / 2, (high - low) * 0.3
    targets = [centre] + [centre + sign * reach * np.eye(3)[axis] for axis in range(3) for sign in (-1, 1)]
    chosen = [points[int(np.argmin(np.linalg.norm(points - target, axis=1)))] for target in targets]
    return [[round(float(v), 3) for v in point] for point in chosen]


def pack_mesh(points: np.ndarray, faces: np.ndarray) -> tuple[dict, bytes]:
    """A triangle mesh as bytes that compress well, and the layout the page decodes them with.

    Vertices are renumbered in the order the triangles first use them and put on a grid of
    :data:`MESH_STEP_MM` (coarser only for a mesh over 655 mm across). Each vertex is stored as the
    16-bit difference from where :func:`_predicted` expects it, zigzag-coded, low bytes then high
    bytes, one axis after the other; each triangle corner as how far back it reaches from the next
    new vertex (0 for a new one), in four byte planes.

    Examples
    --------
    >>> layout, packed = pack_mesh(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0.0]]), np.array([[0, 1, 2]]))
    >>> layout["points"], layout["triangles"], len(packed)
    (3, 1, 30)
    """
    first = np.full(len(points), len(faces) * 3, dtype=np.int64)
    corners = faces.ravel().astype(np.int64)
    used, where = np.unique(corners, return_index=True)
    first[used] = where
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    points, corners = points[order], renumber[corners]
    low = points.min(axis=0)
    step = np.maximum((points.max(axis=0) - low) / 65535, MESH_STEP_MM)
    grid = np.round((points - low) / step).astype(np.int64)
    residual = (grid - _predicted(grid, corners)).T.astype(np.int16).astype(np.int32)
    zigzag = ((residual << 1) ^ (residual >> 31)).astype("<u2").ravel()
    newest = np.maximum.accumulate(np.concatenate([[-1], corners]))[:-1]
    back = (newest + 1 - corners).astype("<u4")
    planes = [zigzag.view(np.uint8).reshape(-1, 2).T, back.view(np.uint8).reshape(-1, 4).T]
    layout = {"points": len(points), "triangles": len(faces), "origin": [float(v) for v in low],
              "step": [float(v) for v in step]}
    return layout, b"".join(np.ascontiguousarray(p).tobytes() for p in planes)


def _predicted(grid: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Where the page guesses each vertex (numbered in first use) to be, from the vertices decoded before it.

    A vertex that completes a triangle across an edge already used is guessed as the
    parallelogram of the triangle there; one beside a single known vertex, at it; else at the
    vertex before. page.js's ``predict`` makes the same guesses.
    """
    guess = np.zeros_like(grid)
    opposite: dict[tuple[int, int], int] = {}
    count = 0
    for triangle in corners.reshape(-1, 3).tolist():
        for k, vertex in enumerate(triangle):
            if vertex != count:
                continue
            known = [triangle[j] for j in range(3) if j != k and triangle[j] < count]
            if len(known) == 2:
                across = opposite.get((min(known), max(known)))
                guess[vertex] = (grid[known[0]] + grid[known[1]] - grid[across] if across is not None
                                 else (grid[known[0]] + grid[known[1]]) // 2)
            elif known:
                guess[vertex] = grid[known[0]]
            elif count:
                guess[vertex] = grid[count - 1]
            count += 1
        for i, j, o in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
            opposite[(min(triangle[i], triangle[j]), max(triangle[i], triangle[j]))] = triangle[o]
    for vertex in range(max(count, 1), len(grid)):  # vertices no triangle uses
        guess[vertex] = grid[vertex - 1]
    return guess


def _clip_plane(clip: tuple[str, float] | None) -> list[float] | None:
    """The cutting plane as [a, b, c, d], kept where a*x + b*y + c*z + d >= 0 (the positive side cut away)."""
    if clip is None:
        return None
    origin, normal = cut_plane(*clip)
    return [*normal, 0.0 - sum(o * n for o, n in zip(origin, normal))]  # 0.0 - x: never -0.0
