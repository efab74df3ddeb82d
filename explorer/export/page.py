"""One offline interactive HTML page: the view in plain WebGL, labels, and on a click the structure's text and causes."""

from __future__ import annotations

import base64
import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.appearance import HIGHLIGHT_COLOUR, cut_plane
from explorer.draw3d import drawing_helpers
from explorer.export.apply import as_view
from explorer.export.files import atomic_output
from explorer.glossary import anchor_links
from explorer.text import markdown_to_html

if TYPE_CHECKING:
    from explorer.atlas import Atlas


def html(view=None, path: str | Path = "knee.html", *, atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Write the view as one self-contained HTML file that works from disk with no network.

    The page draws the view's structures with WebGL (drag rotates, the wheel zooms), keeps the
    labels, and on a click shows the structure's name, text and pain causes (all Markdown rendered by
    :func:`explorer.text.markdown_to_html`, so raw HTML in a text is shown as text). It carries the
    disclaimer and the attribution lines.

    Examples
    --------
    >>> import tempfile
    >>> out = html({"show": ["patella"], "labels": True}, Path(tempfile.mkdtemp()) / "k.html")
    >>> "Patella" in out.read_text()
    True
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"unsupported format {path.suffix or path.name!r} for a page (use .html)")
    page = page_text(view, atlas=atlas)
    with atomic_output(path, force=force) as temporary:
        temporary.write_text(page, encoding="utf-8")
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
    from explorer.app.state import ViewState
    from explorer.export.model import _appearance
    from explorer.export.saved_view import SavedView
    from explorer.views import VIEWS

    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    if hasattr(view, "actors"):  # a KneeScene, drawn as it is
        atlas = view.atlas
        saved = SavedView(ViewState(selected=view.selected or "", camera=view.camera_state()))
        appearance = {sid: (actor.prop.color.hex_rgb.lower(), float(actor.prop.opacity))
                      for sid, actor in view.actors.items() if actor.visibility}
    else:
        saved = as_view(view, atlas)
        appearance = _appearance(saved, atlas)
    state = saved.state
    labelled = set(appearance)
    if state.cause:
        labelled = (set(atlas.causes[state.cause].structures) | {state.selected}) & labelled
    structures = [_structure_data(atlas, sid, colour, opacity, colour == HIGHLIGHT_COLOUR, sid in labelled)
                  for sid, (colour, opacity) in appearance.items()]
    if state.camera:
        camera = {key: [float(v) for v in state.camera[key]] for key in ("position", "focalPoint", "viewUp")}
    else:
        named = VIEWS[saved.camera_name].camera(focus=_cause_focus(atlas, state.cause, appearance))
        camera = {"position": list(named["position"]), "focalPoint": list(named["focal_point"]),
                  "viewUp": list(named["up"])}
    data = {
        "title": saved.title or atlas.title, "disclaimer": atlas.disclaimer, "credits": atlas.credits(),
        "geometry": atlas.geometry_title, "notices": atlas.notices(),
        "labels": saved.labels, "selected": state.selected if state.selected in appearance else "",
        "highlight": HIGHLIGHT_COLOUR, "camera": camera, "structures": structures, "clip": _clip_plane(state.clip),
        "info": {sid: _info(atlas, sid) for sid in atlas.structures if atlas[sid].mesh_file},
        "causes": {cid: {"name": c.name, "urgent": bool(c.urgent), "html": _markdown(atlas, c.text)}
                   for cid, c in atlas.causes.items()},
        "glossary": [{"id": t.id, "term": t.term, "definition": t.definition} for t in atlas.glossary.values()],
    }
    title = (saved.title or atlas.title).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # JSON inside a script element: no '<' may close it early.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    fills = {"TITLE": title, "SCRIPT": drawing_helpers() + "\n" + _template("page.js"), "DATA": payload}
    # One pass: what one placeholder brings in is never searched for another.
    return re.sub("__(" + "|".join(fills) + ")__", lambda match: fills[match[1]], _template("page.html"))


def _template(name: str) -> str:
    return resources.files("explorer.export").joinpath(name).read_text(encoding="utf-8")


def _markdown(atlas: "Atlas", text: str) -> str:
    return markdown_to_html(anchor_links(text, atlas.glossary))


def _info(atlas: "Atlas", sid: str) -> dict:
    s = atlas[sid]
    credit = (f"3D model: {s.provenance.license}{', schematic' if s.schematic else ''}." if s.provenance
              else "No 3D model.")
    return {"name": s.name, "group": atlas.groups[s.group].name, "html": _markdown(atlas, s.text),
            "causes": list(s.causes), "credit": credit}


def _structure_data(atlas: "Atlas", sid: str, colour: str, opacity: float, highlight: bool, labelled: bool) -> dict:
    mesh = atlas[sid].mesh.triangulate()
    points = np.asarray(mesh.points, dtype=np.float32)
    faces = mesh.faces.reshape(-1, 4)[:, 1:].astype(np.uint32)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    anchor = points[int(np.argmin(np.linalg.norm(points - centre, axis=1)))]
    return {"id": sid, "name": atlas[sid].name, "colour": colour if not highlight else atlas[sid].colour,
            "opacity": float(opacity), "highlight": highlight, "visible": True, "labelled": labelled,
            "anchor": [float(v) for v in anchor],
            "positions": base64.b64encode(points.tobytes()).decode("ascii"),
            "indices": base64.b64encode(faces.tobytes()).decode("ascii")}


def _cause_focus(atlas: "Atlas", cause: str, appearance: dict) -> tuple[float, float, float]:
    if not cause:
        return (0.0, 0.0, 0.0)
    ids = [sid for sid in atlas.causes[cause].structures if sid in appearance]
    if not ids:
        return (0.0, 0.0, 0.0)
    bounds = np.array([atlas[sid].mesh.bounds for sid in ids])
    return tuple(float(v) for v in (bounds[:, 0::2].min(axis=0) + bounds[:, 1::2].max(axis=0)) / 2)


def _clip_plane(clip: tuple[str, float] | None) -> list[float] | None:
    """The cutting plane as [a, b, c, d], kept where a*x + b*y + c*z + d >= 0 (the positive side cut away)."""
    if clip is None:
        return None
    origin, normal = cut_plane(*clip)
    return [*normal, 0.0 - sum(o * n for o, n in zip(origin, normal))]  # 0.0 - x: never -0.0
