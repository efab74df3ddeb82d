"""Geometry sets: the named collections of meshes an atlas can draw, and the one place that picks one.

A geometry set is a folder of ``<structure id>.ply`` meshes with its ``PROVENANCE.toml`` and
``frame.toml``. The texts under ``annotations/`` are shared by every set; a structure without a
mesh in the chosen set is simply not drawn.

``mskt``
    Committed in ``meshes/``: the MRI segmentation of a right knee (bones, cartilage, menisci),
    with every soft tissue modelled on landmarks of its bones.
``spl``
    The SPL Knee Atlas, one person's knee with its ligaments, muscles, tendons, nerves and
    vessels segmented by hand, mirrored into the right knee's frame. It is built by
    ``knee-explorer build-meshes --geometry spl`` into the user's cache (never the repository).

A built set carries a ``manifest.json`` (build version, the sha256 of every source and of the build's
code); it is written last, so a set without one is incomplete, and one whose sums differ is stale:
either is rebuilt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from explorer.safe_read import read_text

MANIFEST = "manifest.json"
#: Bumped whenever the build of a cached set changes what it writes; older sets are then stale.
SPL_BUILD_VERSION = "1"
ENVIRONMENT_VARIABLE = "KNEE_EXPLORER_GEOMETRY"


@dataclass(frozen=True)
class GeometrySet:
    """One named set of meshes: where it lives and what it is.

    Examples
    --------
    >>> committed = geometry_set("mskt")
    >>> committed.name, committed.folder.name, committed.built
    ('mskt', 'meshes', False)
    """

    name: str
    title: str
    folder: Path
    built: bool

    @property
    def manifest(self) -> dict:
        """The build manifest of a cached set (empty for the committed set or an unbuilt one)."""
        try:
            return json.loads(read_text(self.folder / MANIFEST))
        except (OSError, ValueError):
            return {}

    def present(self) -> bool:
        """True when the set's meshes are there and, for a built set, complete and current."""
        if not self.built:
            return (self.folder / "PROVENANCE.toml").exists()  # the loader says if it is not a regular file
        manifest = self.manifest
        return (manifest.get("version") == SPL_BUILD_VERSION and manifest.get("sources") == expected_spl_sources()
                and manifest.get("build") == build_fingerprint())


TITLES = {
    "mskt": "MRI knee (mskt) with modelled soft tissues",
    "spl": "SPL Knee Atlas: segmented soft tissues of one knee",
}


def cache_dir() -> Path:
    """Where built geometry sets live: ``$KNEE_EXPLORER_CACHE``, else ``$XDG_CACHE_HOME/knee-explorer``,
    else ``~/.cache/knee-explorer``.

    Examples
    --------
    >>> cache_dir().name in ("knee-explorer",) or "KNEE_EXPLORER_CACHE" in os.environ
    True
    """
    if os.environ.get("KNEE_EXPLORER_CACHE"):
        return Path(os.environ["KNEE_EXPLORER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "knee-explorer"


def geometry_set(name: str, root: Path | None = None) -> GeometrySet:
    """The geometry set called ``name`` (``mskt`` or ``spl``), present or not.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    from explorer.atlas import default_root

    if name == "mskt":
        return GeometrySet(name, TITLES[name], (Path(root) if root else default_root()) / "meshes", built=False)
    if name == "spl":
        return GeometrySet(name, TITLES[name], cache_dir() / "geometry" / "spl" / f"v{SPL_BUILD_VERSION}", built=True)
    raise ValueError(f"unknown geometry {name!r} (known: {', '.join(TITLES)})")


def choose_geometry(name: str | None = None, root: Path | None = None) -> GeometrySet:
    """Pick the geometry set: ``name`` if given, else ``$KNEE_EXPLORER_GEOMETRY``, else the best one present.

    The best is the SPL knee when it is built and current, else the committed MRI knee.

    Raises
    ------
    ValueError
        For an unknown name, or a named set that is not built (naming the folder it was looked for in).

    Examples
    --------
    >>> choose_geometry("mskt").name
    'mskt'
    """
    name = name or os.environ.get(ENVIRONMENT_VARIABLE) or None
    if name is None:
        best = geometry_set("spl", root)
        return best if best.present() else geometry_set("mskt", root)
    chosen = geometry_set(name, root)
    if not chosen.present():
        raise ValueError(f"geometry {name!r} is not built in {chosen.folder} "
                         f"(build it with: knee-explorer build-meshes --geometry {name})")
    return chosen


def expected_spl_sources() -> dict[str, str]:
    """File name -> sha256 of every SPL Knee Atlas file the spl build is to read, as pinned in the package."""
    from explorer.build.spl_sources import PINNED_SUMS

    return dict(PINNED_SUMS)


def build_fingerprint() -> str:
    """sha256 of the build's code (``explorer/build/*.py``): a cached set built by other code is stale.

    Examples
    --------
    >>> len(build_fingerprint())
    64
    """
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((Path(__file__).parent / "build").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
