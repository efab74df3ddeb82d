"""Exports of a view for slides and sharing: saved views, PNG, GLB, offline HTML, orbit GIF and MP4.

Every export takes a view: a :class:`SavedView`, a saved view dict or file, a
:class:`~explorer.scene.KneeScene` (PNG), or None for the default scene.

>>> from explorer import export
>>> sorted(export.FORMATS)
['.gif', '.glb', '.html', '.json', '.mp4', '.png']
"""

from __future__ import annotations

from pathlib import Path

from explorer.export.files import OutputExistsError, atomic_output
from explorer.export.saved_view import SavedView, load_view, save_view

__all__ = ["FORMATS", "OutputExistsError", "SavedView", "atomic_output", "export", "gif", "glb", "html", "inline",
           "load_view", "mp4", "png", "save_view"]

#: Output suffix -> what it writes.
FORMATS = {
    ".png": "picture with labels, title and attribution",
    ".glb": "binary glTF model for slides, one node per structure",
    ".html": "one offline interactive page",
    ".gif": "orbit animation",
    ".mp4": "orbit animation (H.264)",
    ".json": "saved view",
}


def png(view=None, path="knee.png", **options) -> Path:
    """Write a PNG picture; see :func:`explorer.export.picture.png`."""
    from explorer.export.picture import png as write

    return write(view, path, **options)


def glb(view=None, path="knee.glb", **options) -> Path:
    """Write a GLB model; see :func:`explorer.export.model.glb`."""
    from explorer.export.model import glb as write

    return write(view, path, **options)


def html(view=None, path="knee.html", **options) -> Path:
    """Write an offline interactive HTML page; see :func:`explorer.export.page.html`."""
    from explorer.export.page import html as write

    return write(view, path, **options)


def inline(view=None, **options):
    """The interactive page inline in a notebook, offline; see :func:`explorer.export.page.inline`."""
    from explorer.export.page import inline as show

    return show(view, **options)


def gif(view=None, path="knee.gif", **options) -> Path:
    """Write an orbit animation GIF; see :func:`explorer.export.orbit.orbit`."""
    from explorer.export.orbit import orbit

    return orbit(view, path, **options)


def mp4(view=None, path="knee.mp4", **options) -> Path:
    """Write an orbit animation MP4; see :func:`explorer.export.orbit.orbit`."""
    from explorer.export.orbit import orbit

    return orbit(view, path, **options)


def export(view, path, **options) -> Path:
    """Write ``path`` in the format its suffix names (see :data:`FORMATS`).

    Raises
    ------
    ValueError
        For an unsupported suffix.
    """
    suffix = Path(path).suffix.lower()
    writers = {".png": png, ".glb": glb, ".html": html, ".gif": gif, ".mp4": mp4}
    if suffix == ".json":
        if not isinstance(view, SavedView):
            from explorer.atlas import load_atlas
            from explorer.export.apply import as_view

            view = as_view(view, options.get("atlas") or load_atlas(meshes=False))
        return save_view(view, path, force=options.get("force", False))
    if suffix not in writers:
        raise ValueError(f"unsupported format {suffix or Path(path).name!r} (use one of {', '.join(FORMATS)})")
    return writers[suffix](view, path, **options)
