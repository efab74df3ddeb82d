"""The atlas's meshes packed once for the browser: one compact binary block and a small manifest.

Each structure's vertices are stored as three unsigned 16-bit integers in its bounding box
(a step under 0.01 mm for the longest bone) and its triangles as 16- or 32-bit indices; the
browser computes normals itself. Every session shares the one block, served gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

import numpy as np

from explorer.atlas import Atlas

_LEVELS = 65535


@dataclass(frozen=True)
class MeshData:
    """The packed meshes (``payload``, gzip-compressed in ``compressed``) and what the browser needs to read them."""

    manifest: list[dict]
    payload: bytes
    compressed: bytes
    etag: str


def label_anchor(points: np.ndarray) -> list[float]:
    """Where a structure's label sits: its vertex nearest the mesh's centre.

    Examples
    --------
    >>> label_anchor(np.array([[0.0, 0, 0], [1, 0, 0], [10, 0, 0]]))
    [1.0, 0.0, 0.0]
    """
    nearest = points[np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1))]
    return [round(float(v), 2) for v in nearest]


def pack_meshes(atlas: Atlas) -> MeshData:
    """Pack every structure with a mesh, in atlas order.

    Examples
    --------
    >>> from explorer import load_atlas
    >>> data = pack_meshes(load_atlas())
    >>> "femur" in [entry["id"] for entry in data.manifest], len(data.compressed) < len(data.payload)
    (True, True)
    """
    manifest, chunks, offset = [], [], 0
    for structure in atlas.structures.values():
        if structure.mesh is None:
            continue
        mesh = structure.mesh.triangulate()
        points = np.asarray(mesh.points, dtype=np.float64)
        faces = np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]
        low, high = points.min(axis=0), points.max(axis=0)
        step = np.maximum(high - low, 1e-6) / _LEVELS
        quantised = np.round((points - low) / step).astype("<u2")
        index_type = "<u2" if len(points) <= _LEVELS else "<u4"
        blocks = [quantised.tobytes(), faces.astype(index_type).tobytes()]
        entry = {"id": structure.id, "name": structure.name, "vertices": len(points), "triangles": len(faces),
                 "index_bytes": np.dtype(index_type).itemsize, "origin": low.round(4).tolist(),
                 "step": step.tolist(), "anchor": label_anchor(points)}
        for key, block in zip(("positions_at", "indices_at"), blocks):
            entry[key] = offset
            padded = block + b"\0" * (-len(block) % 4)
            chunks.append(padded)
            offset += len(padded)
        manifest.append(entry)
    payload = b"".join(chunks)
    compressed = gzip.compress(payload, compresslevel=9, mtime=0)
    return MeshData(manifest, payload, compressed, hashlib.sha256(payload).hexdigest()[:16])
