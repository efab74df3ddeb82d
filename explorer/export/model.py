"""GLB models for slides: one node per structure, in metres, Y up, with the atlas colours and names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.appearance import CREASE_DEGREES, PAINT_OPACITY, appearance
from explorer.export.apply import as_view
from explorer.export.files import atomic_output
from explorer.nerve_territories import Territory

if TYPE_CHECKING:
    import pyvista as pv

    from explorer.appearance import Look
    from explorer.atlas import Atlas

#: Atlas frame (mm; +x lateral, +y anterior, +z superior) to glTF (m; +Y up): X lateral, Y superior, Z posterior.
TO_GLTF = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]) * 0.001
AXES = "+X lateral, +Y superior, +Z posterior (right knee; the default glTF view looks at the back of the knee)"


def glb(view=None, path: str | Path = "knee.glb", *, atlas: "Atlas | None" = None, force: bool = False) -> Path:
    """Write the view's visible structures as a binary glTF file (GLB) for slides.

    Each structure is one node and one mesh named by its id, with its name, group and mesh licence in
    the node's ``extras`` and a material in its colour (the highlight colour if highlighted; converted from sRGB
    to the linear ``baseColorFactor`` glTF defines) and opacity.
    Coordinates are in **metres**, Y up (see :data:`AXES`); the asset's ``extras`` say so and its
    ``copyright`` holds the attribution lines and the disclaimer.

    When the view paints nerve territories on the skin (a skin nerve or the skin selected), the skin is
    cut along their borders as in the plotter: its node holds the unpainted rest, and each territory's
    piece is a node of its own, ``<skin id>_paint_<nerve id>``, in the territory's colour at least
    ``PAINT_OPACITY`` opaque, whose ``extras`` name the nerve and say that the territory is schematic
    and which source its borders follow.

    Examples
    --------
    >>> import tempfile, trimesh
    >>> out = glb({"show": ["femur", "patella"]}, Path(tempfile.mkdtemp()) / "k.glb")
    >>> sorted(trimesh.load(out, force="scene").graph.nodes_geometry)
    ['femur', 'patella']
    """
    import trimesh

    path = Path(path)
    if path.suffix.lower() != ".glb":
        raise ValueError(f"unsupported format {path.suffix or path.name!r} for a model (use .glb)")
    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    saved = as_view(view, atlas)
    scene = trimesh.Scene(base_frame="knee")
    factors: dict[str, list[float]] = {}
    for sid, look in _looks(saved, atlas).items():
        structure = atlas[sid]
        extras = {"id": sid, "name": structure.name, "group": structure.group,
                  "group_name": atlas.groups[structure.group].name, "schematic": structure.schematic,
                  "license": structure.provenance.license if structure.provenance else None}
        rest, pieces = _painted_pieces(atlas, sid, look)
        if pieces:
            extras["painted"] = [territory.nerve for territory, _piece in pieces]
        _add_node(scene, factors, sid, rest, look.colour, look.opacity, extras)
        for territory, piece in pieces:
            name = f"{sid}_paint_{territory.nerve}"
            _add_node(scene, factors, name, piece, territory.colour, max(look.opacity, PAINT_OPACITY),
                      _territory_extras(atlas, sid, territory, name))
    units = {"units": "metres", "axes": AXES, "source_units": "millimetres (atlas frame: +x lateral, +y anterior, "
             "+z superior)", "title": saved.title or atlas.title, "disclaimer": atlas.disclaimer,
             "geometry": atlas.geometry_title, "attribution": atlas.credits(), "licence_notices": atlas.notices(),
             "view": saved.to_dict()}

    def finish(tree: dict) -> None:
        tree["asset"]["generator"] = "knee-explorer"
        tree["asset"]["copyright"] = "; ".join(atlas.credits() + atlas.notices())
        tree["asset"]["extras"] = json.loads(json.dumps(units))
        _exact_colours(tree, factors)

    data = trimesh.exchange.gltf.export_glb(scene, include_normals=True, tree_postprocessor=finish)
    with atomic_output(path, force=force) as temporary:
        temporary.write_bytes(data)
    return path


def _exact_colours(tree: dict, factors: dict[str, list[float]]) -> None:
    """Put each material's full-precision ``baseColorFactor`` back (trimesh rounds it to 8 bits)."""
    for material in tree.get("materials", []):
        if material.get("name") in factors:
            material.setdefault("pbrMetallicRoughness", {})["baseColorFactor"] = factors[material["name"]]


def srgb_to_linear(colour: str) -> tuple[float, float, float]:
    """The linear RGB that glTF's ``baseColorFactor`` takes, from an sRGB ``#rrggbb`` colour.

    Parameters
    ----------
    colour : str
        An sRGB colour as ``#rrggbb``.

    Returns
    -------
    tuple of float
        Red, green and blue in linear light, each in [0, 1], by the sRGB transfer function.

    Examples
    --------
    >>> [round(c, 3) for c in srgb_to_linear("#c8283c")]
    [0.578, 0.021, 0.045]
    """
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise ValueError(f"colour {colour!r} is not #rrggbb")
    return tuple(_channel_to_linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))


def _channel_to_linear(value: float) -> float:
    """One sRGB channel in [0, 1] to linear light."""
    return value / 12.92 if value < 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _appearance(saved, atlas: "Atlas") -> dict[str, tuple[str, float]]:
    """Structure id -> (colour, opacity) of what the view shows, as the scene and app draw it."""
    return {sid: (look.colour, look.opacity) for sid, look in _looks(saved, atlas).items()}


def _looks(saved, atlas: "Atlas") -> "dict[str, Look]":
    """Structure id -> :class:`~explorer.appearance.Look` of what the view shows (the skin's with its paint)."""
    state = saved.state
    looks = appearance(atlas, state.visible, state.selected, state.cause, state.opacity, state.ghost)
    return {sid: look for sid, look in looks.items() if look.visible}


def _painted_pieces(atlas: "Atlas", sid: str,
                    look: "Look") -> "tuple[pv.PolyData, list[tuple[Territory, pv.PolyData]]]":
    """A structure's mesh as its unpainted rest and the piece each nerve territory painted on it covers.

    Parameters
    ----------
    atlas
        The atlas, whose ``pain_regions`` hold the leg's axis the territories lie round.
    sid
        The structure's id.
    look
        How the view shows it: only the skin's look carries territories.

    Returns
    -------
    tuple
        The rest (the whole mesh when nothing is painted) and ``[(territory, piece), ...]``, the territories
        in the order they are painted, with no piece for one that covers none of this mesh.
    """
    mesh = atlas[sid].mesh.triangulate()
    territories = [paint for paint in look.paint if isinstance(paint, Territory)]
    if not territories:
        return mesh, []
    from explorer.skin_paint import split_by_territories

    rest, pieces = split_by_territories(atlas.pain_regions, mesh, territories)
    return rest, [(territory, piece.triangulate()) for territory, piece in pieces]


def _add_node(scene, factors: dict[str, list[float]], name: str, polydata: "pv.PolyData", colour: str,
              opacity: float, extras: dict) -> None:
    """Add one mesh as a node named ``name`` with its own material in ``colour`` at ``opacity``.

    Parameters
    ----------
    scene : trimesh.Scene
        The scene being built.
    factors
        Material name -> linear RGBA, filled here, put back at full precision when the file is written.
    name
        The node's, mesh's and material's name.
    polydata
        The mesh in the atlas frame (mm); normals are computed here, split at creases.
    colour
        ``#rrggbb`` (sRGB).
    opacity
        From 0 to 1; under 1 the material blends.
    extras
        The node's ``extras``.
    """
    import trimesh

    polydata = polydata.triangulate().compute_normals(
        split_vertices=True, feature_angle=CREASE_DEGREES, consistent_normals=False, auto_orient_normals=False)
    faces = polydata.faces.reshape(-1, 4)[:, 1:]
    vertices = np.asarray(polydata.points, dtype=float) @ TO_GLTF.T
    normals = unit_normals(np.asarray(polydata.point_data["Normals"], dtype=float) @ TO_GLTF.T)
    mesh = trimesh.Trimesh(vertices, faces, vertex_normals=normals, process=False)
    rgba = factors[name] = [*srgb_to_linear(colour), float(opacity)]
    material = trimesh.visual.material.PBRMaterial(
        name=name, baseColorFactor=rgba, metallicFactor=0.0, roughnessFactor=0.6, doubleSided=False,
        alphaMode="BLEND" if opacity < 1 else "OPAQUE")
    mesh.visual = trimesh.visual.TextureVisuals(material=material)
    scene.add_geometry(mesh, geom_name=name, node_name=name, metadata=extras)


def unit_normals(normals: np.ndarray) -> np.ndarray:
    """Vertex normals scaled to length 1; one of length 0 (a vertex only zero-area triangles use) becomes +Y.

    Such a vertex draws nothing, but a NaN in its normal would make the file invalid glTF.

    Examples
    --------
    >>> unit_normals(np.array([[0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])).tolist()
    [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.where(length > 0, normals / np.where(length > 0, length, 1.0), np.array([0.0, 1.0, 0.0]))


def _territory_extras(atlas: "Atlas", sid: str, territory: Territory, name: str) -> dict:
    """The ``extras`` of the node painting a nerve's territory on a skin structure: the nerve, the area, the source.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> atlas = load_atlas(meshes=False)
    >>> sural = atlas.nerve_territories.territories["sural_nerve"]
    >>> extras = _territory_extras(atlas, "skin", sural, "skin_paint_sural_nerve")
    >>> extras["nerve_name"], extras["schematic"], extras["painted_on"]
    ('Sural nerve', True, 'skin')
    """
    nerve = atlas[territory.nerve].name
    in_text = nerve[0].lower() + nerve[1:]
    source = atlas.nerve_territories.sources.get(territory.source, territory.source)
    return {"id": name, "name": f"Skin supplied by the {in_text}", "group": atlas[sid].group,
            "group_name": atlas.groups[atlas[sid].group].name, "painted_on": sid, "nerve": territory.nerve,
            "nerve_name": nerve, "colour": territory.colour, "area": territory.area, "schematic": True,
            "territory": f"Schematic skin territory of the {in_text}: {territory.area}. "
                         f"The borders follow {source} and vary from person to person.",
            "source": source, "numbness": territory.numbness}
