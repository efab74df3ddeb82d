"""The bytes the skin adds to the mesh block the browser downloads, for each geometry set built here.

Run: ``.venv/bin/python benchmarks/skin_bytes.py [--geometry NAME]`` (by default mskt, and spl once built).
For each set it packs the meshes in Python as the server does (:func:`explorer.app.meshdata.pack_meshes`,
gzip level 9) with and without the skin (the structures of id ``skin`` or group ``integument``), starts
``knee-explorer serve`` in a separate process and fetches ``/knee-meshes.bin`` with and without
``Accept-Encoding: gzip``. It prints:

- the skin's vertices and triangles;
- the block with the skin, raw and gzip, as packed in Python and as served (and whether the served
  bytes are the packed bytes);
- the block without the skin, raw and gzip, packed in Python;
- the bytes the skin adds, raw and gzip (aim: under 0.5 MB added, as served with gzip), and the size of
  its entry in the manifest, which reaches the browser over the websocket.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import urllib.request

from explorer.app.meshdata import MeshData, pack_meshes

MB = 1e6


def is_skin(structure) -> bool:
    """Whether a structure is the skin (id ``skin``, or in the ``integument`` group)."""
    return structure.id == "skin" or structure.group == "integument"


def fetch(url: str, gzip: bool) -> tuple[bytes, str]:
    """The body of ``url`` as sent (not decompressed) and its Content-Encoding."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip" if gzip else "identity"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read(), response.headers.get("Content-Encoding", "")


def measure(geometry: str) -> list[str]:
    """The figures for one geometry set, as printed lines."""
    from explorer import load_atlas
    from pain_map_in_browser import served

    atlas = load_atlas(geometry=geometry)
    skin = [s for s in atlas.structures.values() if is_skin(s) and s.mesh is not None]
    if not skin:
        return ["no skin mesh in this set: nothing added"]
    with_skin = pack_meshes(atlas)
    without: MeshData = pack_meshes(dataclasses.replace(
        atlas, structures={sid: s for sid, s in atlas.structures.items() if not is_skin(s)}))
    with served(geometry) as url:
        sent_gzip, encoding = fetch(url + "knee-meshes.bin", gzip=True)
        sent_raw, _ = fetch(url + "knee-meshes.bin", gzip=False)
    same = sent_gzip == with_skin.compressed and sent_raw == with_skin.payload and encoding == "gzip"
    manifest_bytes = sum(len(json.dumps(e, separators=(",", ":"))) for e in with_skin.manifest
                         if e["id"] in {s.id for s in skin})
    added_raw = len(with_skin.payload) - len(without.payload)
    added_gzip = len(with_skin.compressed) - len(without.compressed)
    vertices = sum(s.mesh.n_points for s in skin)
    triangles = sum(s.mesh.triangulate().n_cells for s in skin)
    return [f"skin ({', '.join(s.id for s in skin)}): {vertices} vertices, {triangles} triangles",
            f"block with skin, packed:     raw {len(with_skin.payload) / MB:6.3f} MB, gzip {len(with_skin.compressed) / MB:6.3f} MB",
            f"block with skin, as served:  raw {len(sent_raw) / MB:6.3f} MB, gzip {len(sent_gzip) / MB:6.3f} MB "
            f"(Content-Encoding {encoding or 'none'}; same bytes as packed: {'yes' if same else 'NO'})",
            f"block without skin, packed:  raw {len(without.payload) / MB:6.3f} MB, gzip {len(without.compressed) / MB:6.3f} MB",
            f"added by the skin:           raw {added_raw / MB:6.3f} MB, gzip {added_gzip / MB:6.3f} MB "
            f"(aim: under 0.5 MB added, gzip as served); manifest entry {manifest_bytes} bytes of JSON"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--geometry", action="append", help="geometry set (repeatable; default: mskt, and spl if built)")
    names = parser.parse_args().geometry or ["mskt", "spl"]
    from explorer.geometry import geometry_set

    for name in names:
        if not geometry_set(name).present():
            print(f"geometry {name}: not built here, skipped")
            continue
        print(f"geometry {name}:")
        for line in measure(name):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
