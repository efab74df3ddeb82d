"""Knee explorer: an interactive 3D anatomy atlas of the right knee.

>>> from explorer import load_atlas
>>> load_atlas()["patella"].name
'Patella'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.atlas import Atlas, PainCause, Structure, load_atlas
from explorer.problems import AtlasError, Problem

if TYPE_CHECKING:
    from explorer.scene import KneeScene

__all__ = ["Atlas", "AtlasError", "KneeScene", "PainCause", "Problem", "Structure", "load_atlas"]


def __getattr__(name: str):
    if name == "KneeScene":  # imported on first use: it loads the rendering stack
        from explorer.scene import KneeScene

        return KneeScene
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
