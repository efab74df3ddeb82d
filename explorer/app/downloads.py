"""Downloads of the current view from the browser: a PNG picture, a GLB model and an offline page.

Each button makes the same file ``knee-explorer export`` makes of the view, in a temporary folder of
the server, and hands its bytes to the browser. The work is done off the server's event loop, one
export at a time per server process, so other sessions keep answering while a picture renders.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

import panel as pn
import param

from explorer.atlas import Atlas
from explorer.export.saved_view import SavedView

#: Suffix -> (button label, tooltip, what the file is called in a notice).
FORMATS = {
    ".png": ("Download PNG", "A picture of this view for slides, with the credits below it", "picture"),
    ".glb": ("Download 3D model (GLB)", "This view as a 3D model for slides and 3D viewers", "3D model"),
    ".html": ("Download offline page", "This view as one page that works without a network", "offline page"),
}
#: Size of the PNG's render, in pixels (the credits strip adds rows below it).
PNG_SIZE = (1920, 1080)

_STYLE = ".knee-notice { background: #fff3cd; border: 1px solid #b58900; border-radius: 4px; padding: 0.4em 0.7em; }"
_log = logging.getLogger(__name__)
_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def download_name(view: SavedView, suffix: str) -> str:
    """The file name offered for an export of ``view``: what it is about, else the side it is seen from.

    Examples
    --------
    >>> from explorer.app.state import ViewState
    >>> download_name(SavedView(ViewState(selected="tibial_nerve")), ".png")
    'knee-tibial-nerve.png'
    >>> download_name(SavedView(ViewState(cause="bakers_cyst")), ".glb")
    'knee-bakers-cyst.glb'
    >>> download_name(SavedView(camera_name="posterior"), ".html")
    'knee-posterior.html'
    """
    state = view.state
    subject = state.selected or state.cause or ("view" if state.camera else view.camera_name)
    return f"knee-{subject.replace('_', '-')}{suffix}"


def export_bytes(view: SavedView, suffix: str, atlas: Atlas, png_size: tuple[int, int] = PNG_SIZE) -> bytes:
    """The file ``knee-explorer export`` writes for ``view`` in the format of ``suffix``, as bytes.

    It is written into a temporary folder, read and removed.

    Parameters
    ----------
    view
        The view to export.
    suffix
        ``.png``, ``.glb`` or ``.html``.
    atlas
        The atlas the view belongs to.
    png_size
        Width and height of a PNG's render.

    Raises
    ------
    ValueError
        For another suffix, or a view the export refuses.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> export_bytes(SavedView.from_dict({"show": ["patella"]}, load_atlas()), ".glb", load_atlas())[:4]
    b'glTF'
    """
    if suffix not in FORMATS:
        raise ValueError(f"unsupported download {suffix!r} (use one of {', '.join(FORMATS)})")
    with tempfile.TemporaryDirectory(prefix="knee-download-") as folder:
        path = Path(folder) / download_name(view, suffix)
        _write(view, path, atlas, png_size)
        return path.read_bytes()


def _write(view: SavedView, path: Path, atlas: Atlas, png_size: tuple[int, int]) -> None:
    from explorer import export

    if path.suffix == ".png":
        _write_png(view, path, atlas, png_size)
    elif path.suffix == ".glb":
        export.glb(view, path, atlas=atlas)
    else:
        export.html(view, path, atlas=atlas)


def _write_png(view: SavedView, path: Path, atlas: Atlas, size: tuple[int, int]) -> None:
    """The picture ``knee-explorer export`` makes, with the off-screen scene it was rendered on closed afterwards.

    The export leaves that scene open, and pyvista keeps every plotter until it is closed: about
    150 MB a picture, which a server must give back.
    """
    from pyvista.plotting.plotter import _ALL_PLOTTERS

    from explorer import export

    before = set(_ALL_PLOTTERS.copy())
    try:
        export.png(view, path, size=size, atlas=atlas)
    finally:
        for name, plotter in _ALL_PLOTTERS.copy().items():
            if name not in before:
                plotter.close()


def _in_worker(function: Callable[[], bytes]) -> "asyncio.Future[bytes]":
    """Run ``function`` on the process's export thread (made on first use); exports wait their turn there."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knee-export")
    return asyncio.get_running_loop().run_in_executor(_worker, function)


class _ExportButton(pn.widgets.FileDownload):
    """A download button whose callback may return None: nothing is sent (the callback told the user why)."""

    async def _async_sync_data(self) -> None:
        fileobj = await self.callback()
        if fileobj is not None:
            self._sync_data(fileobj)


class DownloadBar(pn.viewable.Viewer):
    """Buttons that download the current view as a PNG picture, a GLB model and an offline page.

    Parameters
    ----------
    view
        Returns the view to export, as it is at the moment of the click.
    atlas
        The atlas the views belong to.
    png_size
        Width and height of a PNG's render.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> bar = DownloadBar(view=SavedView, atlas=load_atlas(meshes=False))
    >>> [button.label for button in bar.buttons.values()]
    ['Download PNG', 'Download 3D model (GLB)', 'Download offline page']
    """

    message = param.String(default="", doc="Why the last download could not be made ('' once one is made).")

    def __init__(self, view: Callable[[], SavedView], atlas: Atlas, png_size: tuple[int, int] = PNG_SIZE, **params):
        super().__init__(**params)
        self._view, self._atlas, self._png_size = view, atlas, png_size
        self.buttons = {suffix: self._button(suffix) for suffix in FORMATS}
        self._message_pane = pn.pane.HTML("", visible=False, sizing_mode="stretch_width", stylesheets=[_STYLE])

    def _button(self, suffix: str) -> _ExportButton:
        label, description, _ = FORMATS[suffix]
        button = _ExportButton(label=label, description=description, filename=f"knee{suffix}", embed=False,
                               css_classes=[f"knee-download-{suffix[1:]}"])

        async def make() -> io.BytesIO | None:
            return await self._make(button, suffix)

        button.callback = make
        return button

    async def _make(self, button: _ExportButton, suffix: str) -> io.BytesIO | None:
        """The export of the view as it is now, or None (and a notice) when it cannot be made."""
        button.loading = True
        try:
            view = self._view()
            button.filename = download_name(view, suffix)
            data = await _in_worker(lambda: export_bytes(view, suffix, self._atlas, self._png_size))
        except Exception as error:  # noqa: BLE001 - any failure becomes a notice, never a traceback in the page
            _log.exception("download of %s failed", button.filename)
            self._tell(f"The {FORMATS[suffix][2]} could not be made: {_one_line(error)}")
            return None
        finally:
            button.loading = False
        self._tell("")
        return io.BytesIO(data)

    def _tell(self, message: str) -> None:
        self.message = message
        self._message_pane.object = f'<p class="knee-notice" role="alert">{escape(message)}</p>' if message else ""
        self._message_pane.visible = bool(message)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.FlexBox(*self.buttons.values()), self._message_pane, sizing_mode="stretch_width")


def _one_line(error: BaseException) -> str:
    """An error's message for a notice: one short line, and for a file error its reason without the server's paths.

    Examples
    --------
    >>> _one_line(FileNotFoundError(2, "No such file or directory", "/srv/tmp/knee-download-1"))
    'the server could not write it (No such file or directory)'
    >>> _one_line(ValueError("size 9x9 is out of range\\nmore"))
    'size 9x9 is out of range'
    """
    if isinstance(error, OSError) and error.strerror:
        return f"the server could not write it ({error.strerror})"
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"
