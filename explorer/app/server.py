"""Serving the explorer: one :class:`KneeExplorerApp` per browser session, and a credits page."""

from __future__ import annotations

from html import escape

import panel as pn
from tornado.web import RequestHandler

from explorer.app.meshdata import MeshData, pack_meshes
from explorer.atlas import Atlas

MESH_ROUTE = "/knee-meshes.bin"


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
        f"<main><h1>Credits and licences</h1><p>The explorer's code and texts: MIT licence.</p>"
        f"<p>Geometry shown: {escape(atlas.geometry_title)}.</p>"
        f"<h2>Attribution</h2><ul>{lines}</ul>{notices}"
        f"<h2>Per 3D model</h2><table><thead><tr><th>Structure</th><th>File</th><th>Licence</th><th>Geometry</th>"
        f"</tr></thead><tbody>{rows}</tbody></table><p><a href='./'>Back to the explorer</a></p></main>",
        sizing_mode="stretch_width")


def app_routes(atlas: Atlas, meshes: MeshData | None = None) -> dict:
    """The served pages: ``/`` (the explorer, restoring a shared view from the URL) and ``/credits``.

    Serve them with :func:`mesh_route`'s pattern in ``extra_patterns``, as :func:`serve` does.
    """
    from explorer.app.explorer import KneeExplorerApp

    meshes = meshes if meshes is not None else pack_meshes(atlas)

    def explorer_page():
        return KneeExplorerApp(atlas=atlas, query=dict(pn.state.session_args or {}), meshes=meshes)

    return {"/": explorer_page, "/credits": lambda: credits_page(atlas)}


def mesh_route(meshes: MeshData) -> tuple:
    """The Tornado pattern that serves the mesh block at :data:`MESH_ROUTE`."""
    return (MESH_ROUTE, MeshBlockHandler, {"meshes": meshes})


def serve(atlas: Atlas, port: int = 5006, show: bool = False, threaded: bool = False, address: str = "localhost"):
    """Serve the explorer on localhost and print its URL.

    With ``threaded=True`` the server runs in a thread and is returned (call ``.stop()``);
    otherwise this blocks until interrupted.
    """
    print(f"Knee explorer: http://localhost:{port}/", flush=True)
    meshes = pack_meshes(atlas)
    return pn.serve(app_routes(atlas, meshes), extra_patterns=[mesh_route(meshes)], port=port, address=address, show=show, title="Knee explorer",
                    websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"], threaded=threaded,
                    compress_response=True, websocket_compression_level=6)
