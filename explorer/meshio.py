"""Read and write the atlas's mesh files: binary little-endian PLY, triangles only."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

#: Vertex coordinates (mm) farther than this from the origin are refused as absurd: the knee is ~0.5 m long.
FAR_MM = 1e5
_FACE_RECORD = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
#: The one header :func:`ply_bytes` writes, but for its two counts.
_HEADER = re.compile(
    rb"ply\nformat binary_little_endian 1\.0\nelement vertex (?P<vertices>\d{1,10})\n"
    rb"property float x\nproperty float y\nproperty float z\nelement face (?P<faces>\d{1,10})\n"
    rb"property list uchar int vertex_indices\nend_header\n")


class MeshFileError(ValueError):
    """A mesh file is not the triangle PLY the atlas writes."""


def ply_bytes(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Encode a triangle mesh as binary PLY (float32 vertices, int32 indices).

    Examples
    --------
    >>> data = ply_bytes(np.eye(3), np.array([[0, 1, 2]]))
    >>> parse_ply(data)[1].tolist()
    [[0, 1, 2]]
    """
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {len(vertices)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode("ascii")
    records = np.empty(len(faces), dtype=_FACE_RECORD)
    records["n"], records["v"] = 3, faces
    return header + np.asarray(vertices, dtype="<f4").tobytes() + records.tobytes()


def parse_ply(data: bytes, name: str = "mesh") -> tuple[np.ndarray, np.ndarray]:
    """Decode bytes written by :func:`ply_bytes` into ``(vertices, faces)``.

    Raises
    ------
    MeshFileError
        Naming ``name``: the header is not the one :func:`ply_bytes` writes, the body does not match it, a
        face is not a triangle of existing vertices, or a coordinate is not finite or is absurdly far.

    Examples
    --------
    >>> parse_ply(b"ply\\nformat ascii 1.0\\nend_header\\n", "femur.ply")
    Traceback (most recent call last):
    ...
    explorer.meshio.MeshFileError: femur.ply: not the binary little-endian triangle PLY the atlas writes
    """
    header = _HEADER.match(data)
    if not header:
        raise MeshFileError(f"{name}: not the binary little-endian triangle PLY the atlas writes")
    body = memoryview(data)[header.end():]
    vertex_bytes = int(header["vertices"]) * 12
    if len(body) != vertex_bytes + int(header["faces"]) * _FACE_RECORD.itemsize:
        raise MeshFileError(f"{name}: PLY body size does not match its header (truncated or not triangles)")
    vertices = np.frombuffer(body[:vertex_bytes], dtype="<f4").reshape(-1, 3)
    if not (np.abs(vertices) <= FAR_MM).all():  # NaN fails the comparison too
        raise MeshFileError(f"{name}: vertex coordinates must be finite numbers of at most {FAR_MM:g} mm")
    records = np.frombuffer(body[vertex_bytes:], dtype=_FACE_RECORD)
    if np.any(records["n"] != 3):
        raise MeshFileError(f"{name}: faces must all be triangles")
    faces = records["v"]
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise MeshFileError(f"{name}: face refers to a vertex that does not exist")
    return vertices, faces


def write_ply(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write a triangle mesh to ``path`` (see :func:`ply_bytes`)."""
    Path(path).write_bytes(ply_bytes(vertices, faces))
