"""Serving the explorer: one :class:`KneeExplorerApp` per browser session, a credits page, and who may connect."""

from __future__ import annotations

import asyncio
import errno
import logging
import queue
import threading
from dataclasses import dataclass
from html import escape

import panel as pn
from bokeh.io.doc import _PATCHED_CURDOCS
from bokeh.models import ImportedStyleSheet
from panel.io.resources import get_dist_path, patch_stylesheet
from tornado.ioloop import IOLoop
from tornado.process import task_id
from tornado.routing import Rule
from tornado.web import RequestHandler
from tornado.websocket import WebSocketHandler

from explorer.app.gate import MAX_HEADER_BYTES, Audience, Gate, RefusedHandler, is_loopback, parse_origin
from explorer.app.meshdata import MeshData, pack_meshes
from explorer.atlas import Atlas

MESH_ROUTE = "/knee-meshes.bin"
#: Every page: laid out for the device's width (a phone would lay it out at 980 px and shrink it), inside a
#: ``main`` landmark. Panel extends its base page with it.
PAGE_TEMPLATE = """{% block preamble %}{{ super() }}
<meta name="viewport" content="width=device-width, initial-scale=1">{% endblock %}
{% block contents %}<main style="height: 100%">{{ super() }}</main>{% endblock %}"""


class MeshBlockHandler(RequestHandler):
    """Serves the packed meshes, gzip-compressed, with an ETag so browsers keep them."""

    def initialize(self, meshes: MeshData) -> None:
        self.meshes = meshes

    def get(self) -> None:
        etag = f'"{self.meshes.etag}"'
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", "public, max-age=3600")
        self.set_header("Content-Type", "application/octet-stream")
        if self.request.headers.get("If-None-Match") == etag:
            self.set_status(304)
            return
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            self.write(self.meshes.compressed)
        else:
            self.write(self.meshes.payload)


def credits_page(atlas: Atlas) -> pn.viewable.Viewable:
    """The credits page: the attribution to keep with any export, and each mesh's licence."""
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{escape(s.mesh_file or '')}</td><td>{escape(s.provenance.license)}</td>"
        f"<td>{'schematic model' if s.schematic else 'measured'}</td></tr>"
        for s in atlas.structures.values() if s.provenance is not None)
    lines = "".join(f"<li>{escape(line)}</li>" for line in atlas.credits())
    notices = "".join(f"<p class='licence-notice'>{escape(line)}</p>" for line in atlas.notices())
    return pn.pane.HTML(
        f"<h1>Credits and licences</h1><p>The explorer's code and texts: MIT licence.</p>"
        f"<p>Geometry shown: {escape(atlas.geometry_title)}.</p>"
        f"<h2>Attribution</h2><ul>{lines}</ul>{notices}"
        f"<h2>Per 3D model</h2><table><thead><tr><th>Structure</th><th>File</th><th>Licence</th><th>Geometry</th>"
        f"</tr></thead><tbody>{rows}</tbody></table><p><a href='./'>Back to the explorer</a></p>",
        sizing_mode="stretch_width")


def app_routes(atlas: Atlas, meshes: MeshData | None = None) -> dict:
    """The served pages: ``/`` (the explorer, restoring a shared view from the URL) and ``/credits``.

    Serve them with :func:`mesh_route`'s pattern in ``extra_patterns``, as :func:`make_server` does.
    """
    from explorer.app.explorer import KneeExplorerApp

    meshes = meshes if meshes is not None else pack_meshes(atlas)

    def explorer_page():
        _page_setup()
        return KneeExplorerApp(atlas=atlas, query=dict(pn.state.session_args or {}), meshes=meshes,
                               document=pn.state.curdoc)

    def credits():
        _page_setup()
        return credits_page(atlas)

    return {"/": explorer_page, "/credits": credits}


def _page_setup() -> None:
    pn.state.curdoc.template = PAGE_TEMPLATE
    _local_stylesheets()


def _local_stylesheets() -> None:
    """Point the session's widget stylesheets at this server once its page is built, before the page pulls it.

    Panel points them at its CDN and moves them here while it writes the page. With several server
    processes, a page's websocket may reach another process than its page did: that process builds
    the session anew and never writes it as a page, so offline its widgets would go unstyled (and
    the layout shift under the pointer).
    """
    document = pn.state.curdoc

    def move() -> None:
        for root in document.roots:
            for stylesheet in root.select({"type": ImportedStyleSheet}):
                patch_stylesheet(stylesheet, get_dist_path())

    document.add_next_tick_callback(move)


def mesh_route(meshes: MeshData) -> tuple:
    """The Tornado pattern that serves the mesh block at :data:`MESH_ROUTE`."""
    return (MESH_ROUTE, MeshBlockHandler, {"meshes": meshes})


@dataclass(frozen=True)
class ServeOptions:
    """Where and for whom to serve (what ``knee-explorer serve`` takes).

    Parameters
    ----------
    port
        Port to listen on; 0 picks a free one.
    address
        Address to listen on; anything but this machine's own needs ``allow_origins``.
    allow_origins
        Host names (``host``, ``host:port`` or ``https://host``) students will open the explorer at.
    processes
        Server processes sharing the port (each holds its own sessions).

    Examples
    --------
    >>> ServeOptions(address="0.0.0.0").check()
    Traceback (most recent call last):
    ...
    ValueError: --address 0.0.0.0 opens the explorer to the network: name the host students will type with --allow-origin (e.g. --allow-origin 192.168.1.20:5006)
    """

    port: int = 5006
    address: str = "localhost"
    allow_origins: tuple[str, ...] = ()
    processes: int = 1

    def check(self) -> tuple[tuple[str, int | None], ...]:
        """The allowed origins, parsed; raises ValueError naming the first bad option."""
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port {self.port} is not a port number (0-65535)")
        if not 1 <= self.processes <= 64:
            raise ValueError(f"--processes {self.processes} is not a number of processes (1-64)")
        origins = tuple(parse_origin(origin) for origin in self.allow_origins)
        if not origins and not is_loopback(self.address):
            raise ValueError(f"--address {self.address} opens the explorer to the network: name the host students "
                             "will type with --allow-origin (e.g. --allow-origin 192.168.1.20:5006)")
        return origins


def make_server(atlas: Atlas, options: ServeOptions = ServeOptions(), loop=None, show: bool = False):
    """A Bokeh server for the explorer, bound but not started, behind the :class:`~explorer.app.gate.Gate`.

    With ``options.processes > 1`` this forks: each process returns its own server.
    Raises ValueError for bad options and OSError (naming the port) when the port cannot be had.
    """
    origins = options.check()
    meshes = pack_meshes(atlas)
    pn.config.exception_handler = _log_refused_change
    try:
        server = pn.serve(app_routes(atlas, meshes), port=options.port, address=options.address, loop=loop,
                          num_procs=options.processes, show=show, start=False, threaded=False, verbose=False,
                          title="Knee explorer", extra_patterns=[mesh_route(meshes)],
                          http_server_kwargs={"max_header_size": MAX_HEADER_BYTES},
                          compress_response=True, websocket_compression_level=6)
    except OSError as error:
        reason = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be opened ({error.strerror or error})"
        raise OSError(f"port {options.port} on {options.address} {reason}; choose another with --port") from None
    audience = Audience(port=server.port, origins=origins)
    application = server._tornado
    application.websocket_origins.clear()
    application.websocket_origins.update(audience.hosts)
    # Panel's route for component resources imports any module a URL names; the explorer's pages use none.
    application.wildcard_router.rules = [rule for rule in application.wildcard_router.rules
                                         if getattr(rule.target, "__name__", "") != "ComponentResourceHandler"]
    for rule in application.wildcard_router.rules:
        if isinstance(rule.target, type) and issubclass(rule.target, WebSocketHandler):
            rule.target = _session_socket(rule.target)
    application.default_router.rules.insert(0, Rule(Gate(audience), RefusedHandler, {"audience": audience}))
    return server


def _log_refused_change(error: BaseException) -> None:
    """Log, in one line, a change a session could not apply (a value no widget of the page sends) and go on.

    Panel raises it otherwise, and a click arriving after it is dropped unanswered: the page's next
    event waits on the failed change.
    """
    logging.getLogger("explorer.app").warning("a session refused a change: %s: %.200s", type(error).__name__, error)


def _session_socket(handler: type) -> type:
    """Bokeh's session websocket ``handler``, sending at once and leaving no session as the current one.

    Nagle's algorithm is turned off, as browsers have it: an update's small frames go out at once
    instead of waiting up to 40 ms for the page's delayed acknowledgement. And when a message from
    a page cannot be applied (a value of the wrong type), Bokeh leaves that session's document as
    every thread's current document (its ``patch_curdoc`` has no ``finally``); it is dropped after
    each message, when no document is current in the server's thread.
    """
    class SessionSocket(handler):
        def open(self, *args, **kwargs):
            self.set_nodelay(True)
            return super().open(*args, **kwargs)

        async def on_message(self, fragment) -> None:
            try:
                await super().on_message(fragment)
            finally:
                del _PATCHED_CURDOCS[:]

    return SessionSocket


def server_url(server, options: ServeOptions) -> str:
    """The address to open: this machine's for a local server, else the first allowed origin's."""
    if not options.allow_origins:
        return f"http://localhost:{server.port}/"
    text = options.allow_origins[0]
    host, port = parse_origin(text)
    scheme = "https" if text.startswith("https://") else "http"
    port = server.port if port is None else port
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}{'' if port == default else f':{port}'}/"


def serve(atlas: Atlas, options: ServeOptions = ServeOptions(), show: bool = False) -> None:
    """Serve the explorer and print its URL once it listens; blocks until interrupted.

    Raises ValueError for bad options and OSError when the port cannot be had, before printing anything.
    """
    server = make_server(atlas, options, show=show)
    if task_id() in (None, 0):
        print(f"Knee explorer: {server_url(server, options)}", flush=True)
    server.start()
    server.io_loop.start()


class BackgroundServer:
    """The explorer served from a thread of this process (tests, notebooks); :meth:`stop` ends it.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> running = BackgroundServer(load_atlas(), ServeOptions(port=0))
    >>> running.url.startswith("http://localhost:")
    True
    >>> running.stop()
    """

    def __init__(self, atlas: Atlas, options: ServeOptions = ServeOptions()):
        if options.processes != 1:
            raise ValueError("--processes: a server in a thread runs in one process")
        started: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(atlas, options, started), daemon=True,
                                        name="knee-explorer-server")
        self._thread.start()
        result = started.get()
        if isinstance(result, BaseException):
            raise result
        self.server = result
        self.url = server_url(result, options)

    @staticmethod
    def _run(atlas: Atlas, options: ServeOptions, started: queue.Queue) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            server = make_server(atlas, options, loop=loop)
        except BaseException as error:  # noqa: BLE001 - handed to the thread that asked
            started.put(error)
            return
        started.put(server)
        server.start()
        loop.start()
        loop.close(all_fds=True)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        def stop_here() -> None:
            self.server.stop()
            self.server.io_loop.stop()

        self.server.io_loop.add_callback(stop_here)
        self._thread.join(timeout=30)
