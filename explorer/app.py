"""The browser explorer: the knee in 3D beside the text of the chosen structure.

``knee-explorer serve`` starts it with :func:`serve`; :class:`KneeExplorerApp` is the
Panel viewer whose state (``selected``) tests set directly.
"""

from __future__ import annotations

import html

import panel as pn
import param

from explorer.atlas import Atlas
from explorer.scene import KneeScene


class KneeExplorerApp(pn.viewable.Viewer):
    """A 3D view of the atlas and an information panel for the selected structure.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> app = KneeExplorerApp(atlas=load_atlas())
    >>> app.selected = "tibia"
    >>> app.info.object.splitlines()[0]
    '## Tibia'
    """

    selected = param.String(default="", doc="Id of the structure shown in the information panel ('' for none).")

    def __init__(self, atlas: Atlas, **params):
        super().__init__(**params)
        self.atlas = atlas
        self.scene = KneeScene(atlas, off_screen=True, window_size=(900, 700))
        self.scene.view("anterior")
        self.view_3d = pn.pane.VTK(self.scene.plotter.ren_win, sizing_mode="stretch_both", min_height=500,
                                   orientation_widget=True, enable_keybindings=True)
        options = {"(none)": ""}
        for group in atlas.groups.values():
            for structure in atlas.in_group(group.id):
                options[f"{group.name}: {structure.name}"] = structure.id
        self.chooser = pn.widgets.Select(label="Structure", options=options, sizing_mode="stretch_width")
        self.chooser.link(self, value="selected", bidirectional=True)
        self.info = pn.pane.Markdown(self._info_text(), sizing_mode="stretch_width", disable_math=True)

    @param.depends("selected", watch=True)
    def _on_selected(self) -> None:
        if self.selected and self.selected not in self.atlas.structures:
            self.info.object = f"**Notice:** there is no structure with the id `{html.escape(self.selected)}`."
            return
        self.scene.select(self.selected or None)
        self.view_3d.synchronize()
        self.info.object = self._info_text()

    def _info_text(self) -> str:
        if not self.selected:
            return "Choose a structure to read about it. Drag to rotate the knee; scroll to zoom."
        structure = self.atlas[self.selected]
        lines = [f"## {html.escape(structure.name)}", "", html.escape(structure.text), ""]
        if structure.provenance:
            kind = "schematic model" if structure.schematic else "measured (MRI-derived)"
            lines.append(f"*Geometry: {kind}; licence {structure.provenance.license}. "
                         f"{html.escape(structure.provenance.attribution)}.*")
        return "\n".join(lines)

    def __panel__(self) -> pn.viewable.Viewable:
        credits = " · ".join(html.escape(line) for line in self.atlas.credits())
        sidebar = pn.Column(self.chooser, self.info, width=380)
        return pn.Column(
            pn.pane.Markdown(f"# {html.escape(self.atlas.title)}"),
            pn.Row(self.view_3d, sidebar, sizing_mode="stretch_both"),
            pn.pane.Markdown(f"<small>Educational material, not a diagnosis. Meshes: {credits}</small>"),
            sizing_mode="stretch_both",
        )


def serve(atlas: Atlas, port: int = 5006, show: bool = False) -> None:
    """Serve the explorer on localhost (one app instance per browser session) and print its URL."""
    print(f"Knee explorer: http://localhost:{port}/", flush=True)
    pn.serve({"/": lambda: KneeExplorerApp(atlas=atlas)}, port=port, address="localhost", show=show,
             title="Knee explorer", websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"], threaded=False)
