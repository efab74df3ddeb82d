"""Nerve territories painted on a skin mesh for the plotter and the exports: the mesh split along their borders.

The browser paints each pixel in its shader (``draw3d.js``); a mesh drawn by VTK is cut instead, along the
line where :func:`explorer.nerve_territories.inside_mm` is zero, so the borders are as sharp as there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyvista as pv

from explorer.nerve_territories import Territory, inside_mm
from explorer.pain_regions import PainRegions


def split_by_territories(regions: PainRegions, mesh: pv.PolyData,
                         territories: Sequence[Territory]) -> tuple[pv.PolyData, list[tuple[Territory, pv.PolyData]]]:
    """The skin cut into what no territory covers and the piece each territory paints, whose ``paint`` point
    array holds its colour (RGB, 0-255). Where territories overlap the later one is painted, as in the browser;
    a territory with nothing on this skin has no piece.

    Examples
    --------
    >>> from explorer.nerve_territories import Patch
    >>> tube = pv.Cylinder(radius=50.0, height=200.0, direction=(0, 0, 1), resolution=72, capping=False)
    >>> back = Territory("n", "#ff0000", "the back", (Patch((-50.0, 50.0), (135.0, 225.0)),), "", "s")
    >>> rest, [(_, piece)] = split_by_territories(PainRegions(), tube.triangulate().subdivide(3), [back])
    >>> round(piece.area / (rest.area + piece.area), 2), piece["paint"][0].tolist()
    (0.12, [255, 0, 0])
    """
    rest = pv.PolyData(mesh.points.copy(), mesh.faces.copy()) if mesh.n_cells else pv.PolyData()
    pieces = []
    for territory in reversed(list(territories)):
        if not rest.n_cells:
            break
        rest.point_data["inside"] = inside_mm(regions, territory, rest.points)
        piece = rest.clip_scalar(scalars="inside", value=0.0, invert=False)
        rest = rest.clip_scalar(scalars="inside", value=0.0, invert=True)
        if piece.n_cells:
            del piece.point_data["inside"]
            colour = [int(territory.colour[i:i + 2], 16) for i in (1, 3, 5)]
            piece.point_data["paint"] = np.tile(np.array(colour, dtype=np.uint8), (piece.n_points, 1))
            pieces.append((territory, piece))
    if "inside" in rest.point_data:
        del rest.point_data["inside"]
    return rest, pieces[::-1]


def painted_skin(regions: PainRegions, mesh: pv.PolyData,
                 territories: Sequence[Territory]) -> tuple[pv.PolyData, pv.PolyData | None]:
    """The skin's unpainted rest and all its painted pieces as one mesh (``None`` when nothing is painted)."""
    rest, pieces = split_by_territories(regions, mesh, territories)
    return rest, (pv.merge([piece for _, piece in pieces]) if pieces else None)
