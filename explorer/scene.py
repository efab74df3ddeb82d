"""One scene model over a :class:`pyvista.Plotter`, shared by notebooks, exports and the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import pyvista as pv

from explorer.appearance import CREASE_DEGREES, GHOST_OPACITY, HIGHLIGHT_COLOUR, PAINT_OPACITY, Look, cut_plane
from explorer.atlas import Atlas, load_atlas
from explorer.nerve_territories import SKIN_GROUP, Territory, territories_for
from explorer.skin_paint import painted_skin
from explorer.views import VIEWS, framing
#: A press and release further apart than this (pixels) is a drag, not a click.
CLICK_TOLERANCE_PX = 4
#: A cut face's colour: the structure's, times this (``CUT_FACE_SHADE`` in draw3d.js).
CUT_FACE_SHADE = 0.8
#: A cut face is drawn this far (mm) towards the eye, over a surface lying on it (``CUT_FACE_LIFT_MM`` in draw3d.js).
CUT_FACE_LIFT_MM = 1.0
# Shader code added to a cut structure's (tag, code with the tag kept): each vertex also goes out moved
# CUT_FACE_LIFT_MM towards the eye, and a back face takes that depth.
_CUT_FACE_VERTEX = (
    ("//VTK::PositionVC::Dec", "//VTK::PositionVC::Dec\nout vec4 cutFaceDC;\n"),
    ("//VTK::PositionVC::Impl", "//VTK::PositionVC::Impl\n"
                                "  vec4 cutFaceVC = MCVCMatrix * vertexMC;\n"
                                f"  cutFaceVC.xyz *= 1.0 - {CUT_FACE_LIFT_MM:.2f} / length(cutFaceVC.xyz);\n"
                                "  cutFaceDC = MCDCMatrix * inverse(MCVCMatrix) * cutFaceVC;\n"),
)
_CUT_FACE_FRAGMENT = (
    ("//VTK::PositionVC::Dec", "//VTK::PositionVC::Dec\nin vec4 cutFaceDC;\n"),
    ("//VTK::Depth::Impl", "  gl_FragDepth = gl_FrontFacing ? gl_FragCoord.z : 0.5 + 0.5 * cutFaceDC.z / cutFaceDC.w;\n"),
)


class KneeScene:
    """The atlas's structures as actors in a PyVista plotter, with the explorer's controls.

    Parameters
    ----------
    atlas
        The atlas to show; :func:`explorer.load_atlas` by default.
    plotter
        An existing plotter to draw into; a new one is made otherwise.
    off_screen
        Render without a window (screenshots, tests, servers).
    window_size
        Width and height in pixels.

    Examples
    --------
    >>> scene = KneeScene(off_screen=True, window_size=(320, 240))
    >>> scene.hide("cartilage").view("posterior").screenshot().shape
    (240, 320, 3)
    """

    def __init__(self, atlas: Atlas | None = None, plotter: pv.Plotter | None = None, *,
                 off_screen: bool | None = None, window_size: tuple[int, int] = (1024, 768),
                 background: str = "white"):
        self.atlas = atlas if atlas is not None else load_atlas()
        if plotter is None and off_screen and not os.environ.get("DISPLAY"):
            # Without an X server, go straight to EGL instead of failing over from X with a warning.
            os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
        self.plotter = plotter if plotter is not None else pv.Plotter(off_screen=off_screen, window_size=list(window_size))
        self.plotter.set_background(background)
        self.actors: dict[str, pv.Actor] = {}
        for structure in self.atlas.structures.values():
            if structure.mesh is None:
                continue
            actor = self.plotter.add_mesh(structure.mesh, color=structure.colour, smooth_shading=True,
                                          split_sharp_edges=True, feature_angle=CREASE_DEGREES,
                                          specular=0.2, name=structure.id, pickable=True)
            actor.visibility = not structure.pathology
            actor.prop.opacity = self.atlas.groups[structure.group].opacity
            self.actors[structure.id] = actor
        self.selected: str | None = None
        self._cut_face_observers: dict[str, int] = {}
        self._paint_actors: dict[str, pv.Actor] = {}
        self._label_actor = None
        self._press_position: tuple[int, int] | None = None
        self._click_selection_enabled = False
        self.view("anterior")

    # which structures --------------------------------------------------------------
    def resolve(self, *ids: str) -> list[str]:
        """Expand structure and group ids into structure ids that have actors.

        Raises
        ------
        KeyError
            Naming an id that is neither a structure nor a group.
        """
        resolved: list[str] = []
        for item in ids:
            if item in self.atlas.groups:
                resolved += [s.id for s in self.atlas.in_group(item) if s.id in self.actors]
            elif item in self.atlas.structures:
                if item in self.actors:
                    resolved.append(item)
            else:
                raise KeyError(f"unknown structure or group id {item!r}")
        return resolved

    @property
    def visible(self) -> list[str]:
        """Ids of the structures currently shown."""
        return [sid for sid, actor in self.actors.items() if actor.visibility]

    def show_structures(self, *ids: str) -> "KneeScene":
        """Show structures or groups; with no id, every structure but the pathology variants."""
        chosen = self.resolve(*ids) if ids else [sid for sid in self.actors if not self.atlas[sid].pathology]
        for sid in chosen:
            self.actors[sid].visibility = True
        return self._followed()

    def hide(self, *ids: str) -> "KneeScene":
        """Hide structures or groups."""
        for sid in self.resolve(*ids):
            self.actors[sid].visibility = False
        return self._followed()

    def isolate(self, *ids: str) -> "KneeScene":
        """Show only these structures or groups."""
        keep = set(self.resolve(*ids))
        for sid, actor in self.actors.items():
            actor.visibility = sid in keep
        return self._followed()

    def set_opacity(self, opacity: float, *ids: str) -> "KneeScene":
        """Set the opacity (0 to 1) of structures or groups (all when no id is given)."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be between 0 and 1, got {opacity}")
        for sid in self.resolve(*ids) if ids else self.actors:
            self.actors[sid].prop.opacity = opacity
        return self._followed()

    def ghost(self, *ids: str, opacity: float = GHOST_OPACITY) -> "KneeScene":
        """Make everything but ``ids`` faint (X-ray view); with no id, ghost everything."""
        keep = set(self.resolve(*ids))
        for sid, actor in self.actors.items():
            actor.prop.opacity = 1.0 if sid in keep else opacity
        return self._followed()

    def highlight(self, *ids: str, colour: str = HIGHLIGHT_COLOUR) -> "KneeScene":
        """Colour structures or groups with the highlight colour; others get their own colours back."""
        chosen = set(self.resolve(*ids))
        for sid, actor in self.actors.items():
            actor.prop.color = colour if sid in chosen else self.atlas.structures[sid].colour
        return self

    def apply(self, looks: dict[str, Look]) -> "KneeScene":
        """Give each structure the look :func:`explorer.appearance.appearance` decided for it.

        Examples
        --------
        >>> from explorer.appearance import appearance
        >>> scene = KneeScene(off_screen=True, window_size=(64, 48))
        >>> scene.apply(appearance(scene.atlas, visible=["tibia"])).visible
        ['tibia']
        """
        for sid, look in looks.items():
            actor = self.actors[sid]
            actor.visibility, actor.prop.opacity, actor.prop.color = look.visible, look.opacity, look.colour
        skin = [look.paint for sid, look in looks.items() if self.atlas[sid].group == SKIN_GROUP]
        return self.paint_skin(skin[0] if skin else ())

    def paint_skin(self, territories: tuple[Territory, ...] | list[Territory]) -> "KneeScene":
        """Paint nerve territories on the skin (none: bare skin), as the browser does for a selected nerve.

        The painted skin follows the skin's visibility, cut and opacity as the scene's methods change them,
        and is at least ``PAINT_OPACITY`` opaque so that it shows on the faint skin.

        Examples
        --------
        >>> from explorer.nerve_territories import territories_for
        >>> scene = KneeScene(off_screen=True, window_size=(64, 48))
        >>> sorted(scene.paint_skin(territories_for(scene.atlas, "tibial_nerve"))._paint_actors)
        ['skin']
        """
        for sid in list(self._paint_actors):
            self.plotter.remove_actor(self._paint_actors.pop(sid), render=False)
        for sid, actor in self.actors.items():
            if self.atlas[sid].group != SKIN_GROUP:
                continue
            mesh = self.atlas[sid].mesh
            rest, painted = painted_skin(self.atlas.pain_regions, mesh, territories) if territories else (mesh, None)
            actor.mapper.SetInputData(rest)
            if painted is not None:
                self._paint_actors[sid] = self.plotter.add_mesh(
                    painted, scalars="paint", rgb=True, smooth_shading=True, specular=0.2, pickable=False,
                    name=f"{sid}-paint", render=False)
        self._follow_skin()
        return self

    def _followed(self) -> "KneeScene":
        """The scene, its painted skin made to follow the skin again (after a change of what is shown)."""
        self._follow_skin()
        return self

    def _follow_skin(self) -> None:
        for sid, paint in self._paint_actors.items():
            skin = self.actors[sid]
            paint.visibility = skin.visibility
            paint.prop.opacity = max(skin.prop.opacity, PAINT_OPACITY)
            planes = skin.mapper.GetClippingPlanes()
            if planes is None:
                paint.mapper.RemoveAllClippingPlanes()
            else:
                paint.mapper.SetClippingPlanes(planes)

    def clip(self, axis: str | None, position_mm: float = 0.0) -> "KneeScene":
        """Cut through the knee across ``axis`` (``"x"``, ``"y"``, ``"z"`` or None for no cut) at ``position_mm``.

        What lies towards the axis's positive end (lateral, anterior, superior) is cut away, as in the app,
        and the structures the plane runs through look solid: the inside of each, seen through the cut,
        is drawn flat in its colour, a little darker, as its cut face.

        Examples
        --------
        >>> scene = KneeScene(off_screen=True, window_size=(64, 48))
        >>> scene.clip("y", 10.0).actors["femur"].mapper.GetNumberOfClippingPlanes()
        1
        >>> scene.actors["femur"].GetBackfaceProperty().GetAmbient()
        1.0
        """
        if axis not in (None, "x", "y", "z"):
            raise ValueError(f"unknown clipping axis {axis!r} (use x, y, z or None)")
        for sid, actor in self.actors.items():
            actor.mapper.RemoveAllClippingPlanes()
            self._uncap(sid)
            if axis is not None:
                origin, normal = cut_plane(axis, position_mm)
                plane = pv._vtk.vtkPlane()
                plane.SetOrigin(*origin)
                plane.SetNormal(*normal)
                actor.mapper.AddClippingPlane(plane)
                low, high = actor.mapper.GetInput().GetBounds()[2 * "xyz".index(axis):][:2]
                if low < position_mm < high:
                    self._cap(sid)
        return self._followed()

    def _cap(self, structure_id: str) -> None:
        """Draw the structure's back faces (its inside, seen through a cut) as its cut face.

        The cut face follows the structure's colour and opacity as they change (highlight, ghost).
        """
        actor = self.actors[structure_id]
        shaders = actor.GetShaderProperty()
        for tag, code in _CUT_FACE_VERTEX:
            shaders.AddVertexShaderReplacement(tag, True, code, False)
        for tag, code in _CUT_FACE_FRAGMENT:
            shaders.AddFragmentShaderReplacement(tag, True, code, False)
        cut_face = pv._vtk.vtkProperty()
        cut_face.SetAmbient(1.0)
        cut_face.SetDiffuse(0.0)
        cut_face.SetSpecular(0.0)

        def follow(*_event) -> None:
            cut_face.SetColor(*(CUT_FACE_SHADE * channel for channel in actor.prop.GetColor()))
            cut_face.SetOpacity(actor.prop.GetOpacity())

        follow()
        actor.prop.BackfaceCullingOff()
        actor.SetBackfaceProperty(cut_face)
        self._cut_face_observers[structure_id] = actor.prop.AddObserver("ModifiedEvent", follow)

    def _uncap(self, structure_id: str) -> None:
        """Back faces drawn as the front ones again (no cut)."""
        actor = self.actors[structure_id]
        observer = self._cut_face_observers.pop(structure_id, None)
        if observer is None:
            return
        actor.prop.RemoveObserver(observer)
        actor.SetBackfaceProperty(None)
        shaders = actor.GetShaderProperty()
        for tag, _code in _CUT_FACE_VERTEX:
            shaders.ClearVertexShaderReplacement(tag, True)
        for tag, _code in _CUT_FACE_FRAGMENT:
            shaders.ClearFragmentShaderReplacement(tag, True)

    def reset(self) -> "KneeScene":
        """The default scene: every structure but the pathology variants, in its own colour and its group's
        default opacity (the skin faint, the rest opaque), from the front."""
        self.select(None)
        self.isolate(*(sid for sid in self.actors if not self.atlas[sid].pathology))
        for sid, actor in self.actors.items():
            actor.prop.opacity = self.atlas.groups[self.atlas[sid].group].opacity
        self.highlight()
        return self.view("anterior")

    # camera --------------------------------------------------------------------------
    def view(self, name: str, radius_mm: float = 140.0) -> "KneeScene":
        """Look from a named side (anterior, posterior, medial, lateral, superior) at the joint."""
        if name not in VIEWS:
            raise KeyError(f"unknown view {name!r} (known: {', '.join(VIEWS)})")
        camera = VIEWS[name].camera(radius_mm=radius_mm, view_angle=self.plotter.camera.view_angle)
        self.plotter.camera_position = [camera["position"], camera["focal_point"], camera["up"]]
        self.plotter.reset_camera_clipping_range()
        self.plotter.render()
        return self

    def frame(self, *ids: str, max_radius_mm: float | None = None) -> "KneeScene":
        """Turn the camera's focus onto structures or groups and move so that they fill the view.

        The viewing direction stays as it is; the central 90% of their vertices (along each axis)
        is fitted, so one long muscle does not shrink the rest; ``max_radius_mm`` caps the framed
        sphere's radius. With no id (or nothing with a mesh), nothing changes.

        Examples
        --------
        >>> scene = KneeScene(off_screen=True, window_size=(320, 240))
        >>> round(scene.frame("patella").plotter.camera.focal_point[1]) > 0
        True
        """
        chosen = self.resolve(*ids)
        if not chosen:
            return self
        points = np.concatenate([np.asarray(self.actors[sid].GetMapper().GetInput().GetPoints().GetData())
                                 for sid in chosen])
        return self.set_camera_state(framing(points, self.camera_state(), self.plotter.camera.view_angle,
                                             max_radius_mm))

    def camera_state(self) -> dict:
        """The camera as ``{"position", "focalPoint", "viewUp"}`` lists (vtk.js's names)."""
        camera = self.plotter.camera
        return {"position": [float(v) for v in camera.position], "focalPoint": [float(v) for v in camera.focal_point],
                "viewUp": [float(v) for v in camera.up]}

    def set_camera_state(self, state: dict) -> "KneeScene":
        """Place the camera from ``{"position", "focalPoint", "viewUp"}`` (see :meth:`camera_state`)."""
        self.plotter.camera_position = [tuple(state["position"]), tuple(state["focalPoint"]), tuple(state["viewUp"])]
        self.plotter.reset_camera_clipping_range()
        self.plotter.render()
        return self

    # picking -------------------------------------------------------------------------
    def pick(self, x: int, y: int) -> str | None:
        """The id of the structure drawn at window pixel (x, y), origin bottom left, or None.

        As in the browser, a faint structure (opacity under 0.5: the skin, a ghost) is picked only where no
        solid one is drawn behind it.
        """
        shown = [actor for actor in self.actors.values() if actor.visibility]
        for layer in ([a for a in shown if a.prop.opacity >= 0.5], [a for a in shown if a.prop.opacity < 0.5]):
            picker = pv._vtk.vtkPropPicker()
            picker.PickFromListOn()
            for actor in layer:
                picker.AddPickList(actor)
            if layer and picker.Pick(x, y, 0, self.plotter.renderer):
                picked = picker.GetActor()
                return next((sid for sid, actor in self.actors.items() if actor is picked or actor == picked), None)
        return None

    def select(self, structure_id: str | None) -> "KneeScene":
        """Highlight one structure and label it with its name in the window (None clears)."""
        if self._label_actor is not None:
            self.plotter.remove_actor(self._label_actor)
            self._label_actor = None
        self.selected = structure_id
        self.paint_skin(territories_for(self.atlas, structure_id) if structure_id else ())
        if structure_id is None:
            return self.highlight()
        self.highlight(*(() if self._paint_actors.keys() & {structure_id} else (structure_id,)))
        self._label_actor = self.plotter.add_text(self.atlas[structure_id].name, position="upper_left",
                                                  font_size=14, color="black", name="selection-label")
        return self

    def enable_click_selection(self, on_select: Callable[[str | None], None] | None = None) -> "KneeScene":
        """Clicking a structure in the window selects and names it; a drag only rotates.

        ``on_select`` is called with the picked id (or None for background).
        """
        def press(*_event) -> None:
            self._press_position = self.plotter.iren.get_event_position()

        def release(*_event) -> None:
            start, end = self._press_position, self.plotter.iren.get_event_position()
            self._press_position = None
            if start is None or max(abs(start[0] - end[0]), abs(start[1] - end[1])) > CLICK_TOLERANCE_PX:
                return
            picked = self.pick(*end)
            self.select(picked)
            if on_select is not None:
                on_select(picked)
            self.plotter.render()

        self.plotter.iren.add_observer("LeftButtonPressEvent", press)
        self.plotter.iren.add_observer("LeftButtonReleaseEvent", release)
        self._click_selection_enabled = True
        return self

    # output --------------------------------------------------------------------------
    def screenshot(self, path: str | Path | None = None, transparent_background: bool = False) -> np.ndarray:
        """Render and return the image as an array; also write it to ``path`` (PNG) if given."""
        self.plotter.render()
        return self.plotter.screenshot(str(path) if path else None, transparent_background=transparent_background,
                                       return_img=True)

    def show(self, inline: bool | None = None, **kwargs):
        """Draw the scene: inline and interactive in Jupyter, else in a desktop window.

        Parameters
        ----------
        inline
            Return the scene as it is for a notebook cell: an interactive page that rotates, zooms and
            answers a click with the structure's text, with nothing fetched from the network
            (:func:`explorer.export.inline`). By default, inline when running in a Jupyter kernel.
        **kwargs
            Passed to :meth:`pyvista.Plotter.show` for the desktop window, where clicking
            a structure selects and names it.
        """
        if inline is None:
            inline = _in_jupyter()
        if inline:
            from explorer.export.page import inline as inline_page

            return inline_page(self, height=self.plotter.window_size[1])
        if not self._click_selection_enabled:
            self.enable_click_selection()
        return self.plotter.show(**kwargs)

    def close(self) -> None:
        self.plotter.close()


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
