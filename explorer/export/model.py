"""GLB models for slides: one node per structure, in metres, Y up, with the atlas colours and names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.export.apply import as_view
from explorer.export.files import atomic_output

if TYPE_CHECKING:
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

    Examples
    --------
    >>> import tempfile, trimesh
    >>> out = glb({"show": ["femur", "patella"]}, Path(tempfile.mkdtemp()) / "k.glb")
    >>> sorted(trimesh.load(out, force="scene").graph.nodes_geometry)
    ['femur', 'patella']
    """
    import trimesh

    from explorer.appearance import CREASE_DEGREES

    path = Path(path)
    if path.suffix.lower() != ".glb":
        raise ValueError(f"unsupported format {path.suffix or path.name!r} for a model (use .glb)")
    if atlas is None:
        from explorer.atlas import load_atlas

        atlas = load_atlas()
    saved = as_view(view, atlas)
    appearance = _appearance(saved, atlas)
    scene = trimesh.Scene(base_frame="knee")
    factors: dict[str, list[float]] = {}
    for sid, (colour, opacity) in appearance.items():
        structure = atlas[sid]
        polydata = structure.mesh.triangulate().compute_normals(
            split_vertices=True, feature_angle=CREASE_DEGREES, consistent_normals=False, auto_orient_normals=False)
        faces = polydata.faces.reshape(-1, 4)[:, 1:]
        vertices = np.asarray(polydata.points, dtype=float) @ TO_GLTF.T
        normals = np.asarray(polydata.point_data["Normals"], dtype=float) @ TO_GLTF.T
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        mesh = trimesh.Trimesh(vertices, faces, vertex_normals=normals, process=False)
        rgba = factors[sid] = [*srgb_to_linear(colour), float(opacity)]
        material = trimesh.visual.material.PBRMaterial(
            name=sid, baseColorFactor=rgba, metallicFactor=0.0, roughnessFactor=0.6, doubleSided=False,
            alphaMode="BLEND" if opacity < 1 else "OPAQUE")
        mesh.visual = trimesh.visual.TextureVisuals(material=material)
        scene.add_geometry(mesh, geom_name=sid, node_name=sid, metadata={
            "id": sid, "name": structure.name, "group": structure.group,
            "group_name": atlas.groups[structure.group].name, "schematic": structure.schematic,
            "license": structure.provenance.license if structure.provenance else None})
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
    from explorer.appearance import appearance

    state = saved.state
    looks = appearance(atlas, state.visible, state.selected, state.cause, state.opacity, state.ghost)
    return {sid: (look.colour, look.opacity) for sid, look in looks.items() if look.visible}
