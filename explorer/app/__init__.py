"""The browser explorer (``knee-explorer serve``): see :mod:`explorer.app.explorer`.

Panel is imported only when the app is used, so exports reading saved views stay light.
"""

__all__ = ["KneeExplorerApp", "serve"]


def __getattr__(name: str):
    if name == "KneeExplorerApp":
        from explorer.app.explorer import KneeExplorerApp

        return KneeExplorerApp
    if name == "serve":
        from explorer.app.server import serve

        return serve
    raise AttributeError(f"module 'explorer.app' has no attribute {name!r}")
