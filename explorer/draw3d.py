"""The WebGL drawing helpers (``draw3d.js``) that the browser explorer and the offline page share."""

from __future__ import annotations

from importlib import resources


def drawing_helpers() -> str:
    """The helpers' JavaScript, to put before a script that draws the knee.

    Examples
    --------
    >>> "function cameraMatrices" in drawing_helpers()
    True
    """
    return resources.files("explorer").joinpath("draw3d.js").read_text(encoding="utf-8")
