"""The browser explorer (``knee-explorer serve``): see :mod:`explorer.app.explorer`."""

from explorer.app.explorer import KneeExplorerApp
from explorer.app.server import serve

__all__ = ["KneeExplorerApp", "serve"]
