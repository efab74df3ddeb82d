"""The learning modes of the explorer's *Learn* tab, and what each must offer the app.

A mode is built with the app (:class:`~explorer.app.explorer.KneeExplorerApp`) and drives it through
its public parameters and methods (``selected``, ``cause``, ``visible``, ``camera``,
``show_structure``...). It may take clicks on the 3D view through ``app.pick_handler`` (the click's
ray is ``app.canvas.last_ray``), and it adds its own arguments to the view's link.
"""

from __future__ import annotations

from typing import Protocol

import panel as pn

from explorer.app.pain_map import PainMapMode
from explorer.app.quiz import QuizMode
from explorer.app.tours import GuidedTours


class LearningMode(Protocol):
    """What the app needs of a mode (see the module's docstring)."""

    #: The mode's name in the Learn tab.
    title: str

    def __init__(self, app) -> None: ...

    def __panel__(self) -> pn.viewable.Viewable: ...

    def link_args(self) -> dict[str, str]:
        """The link's arguments that restore the mode's state (none when it is idle)."""

    def restore(self, query: dict[str, list[bytes]]) -> None:
        """Take the mode's state back from a link's arguments (``pn.state.session_args``); ignore the others."""


#: The modes, in the order the Learn tab shows them.
MODES: tuple[type[LearningMode], ...] = (GuidedTours, QuizMode, PainMapMode)
