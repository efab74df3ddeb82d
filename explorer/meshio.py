"""Read and write the atlas's mesh files: binary little-endian PLY, triangles only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_FACE_RECORD = np.dtype([("n", "u1"), ("v", "<i4", (3,))])


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
    """Decode bytes written by :func:`ply_bytes` into ``(vertices, faces)``."""
    end = data.find(b"end_header\n")
    if not data.startswith(b"ply\n") or end < 0:
        raise MeshFileError(f"{name}: not a PLY file")
    counts = {}
    for line in data[:end].decode("ascii", "replace").splitlines():
        parts = line.split()
        if parts[:1] == ["format"] and parts[1] != "binary_little_endian":
            raise MeshFileError(f"{name}: PLY format {parts[1]} is not binary_little_endian")
        if parts[:1] == ["element"]:
            counts[parts[1]] = int(parts[2])
    if set(counts) != {"vertex", "face"}:
        raise MeshFileError(f"{name}: PLY must hold exactly vertex and face elements")
    body = memoryview(data)[end + len(b"end_header\n"):]
    vertex_bytes = counts["vertex"] * 12
    if len(body) != vertex_bytes + counts["face"] * _FACE_RECORD.itemsize:
        raise MeshFileError(f"{name}: PLY body size does not match its header (truncated or not triangles)")
    vertices = np.frombuffer(body[:vertex_bytes], dtype="<f4").reshape(-1, 3)
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
