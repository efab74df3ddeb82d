"""A drop-down list that takes from the page only one of its own options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import panel as pn

#: A refused value is quoted in the notice up to this many characters.
QUOTED_CHARS = 40


class Choice(pn.widgets.Select):
    """A :class:`panel.widgets.Select` that ignores a value from the page that is none of its options.

    Panel's own raises for such a value (a page may send anything), and in a served session a click
    that follows it before it is handled is then dropped unanswered. Here the value is ignored, the
    list keeps its choice and ``on_refused`` gets a sentence for the user.

    Parameters
    ----------
    on_refused
        Called with the sentence saying what was ignored (the app shows it as its notice).
    **params
        What :class:`panel.widgets.Select` takes (``label``, ``options``...).

    Examples
    --------
    >>> said = []
    >>> choice = Choice(label="Choose a tour", options={"PCL tear": "pcl_tear"}, on_refused=said.append)
    >>> choice._process_events({"value": None})
    >>> choice.value, said
    ('pcl_tear', ['Choose a tour: the page sent None, which is not on the list; nothing changed.'])
    """

    def __init__(self, on_refused: Callable[[str], None] | None = None, **params):
        super().__init__(**params)
        self._on_refused = on_refused

    def offers(self, value: Any) -> bool:
        """Whether the page may send ``value``: one of the options (its value or its label), or ''."""
        return isinstance(value, str) and (value == "" or value in self.unicode_values or value in self.labels)

    def _process_property_change(self, props: dict[str, Any]) -> dict[str, Any]:
        if "value" in props and not self.offers(props["value"]):
            refused = props.pop("value")
            if self._on_refused is not None:
                self._on_refused(refused_sentence(self.name, refused))
        return super()._process_property_change(props)


def refused_sentence(list_name: str, value: Any) -> str:
    """What a notice says of a value that is not on a list, quoting at most :data:`QUOTED_CHARS` of it.

    Examples
    --------
    >>> refused_sentence("Choose a tour", {"type": "map"})
    "Choose a tour: the page sent {'type': 'map'}, which is not on the list; nothing changed."
    >>> len(refused_sentence("Choose a tour", "x" * 100_000))
    113
    """
    quoted = repr(value)
    if len(quoted) > QUOTED_CHARS:
        quoted = quoted[:QUOTED_CHARS - 1] + "…"
    return f"{list_name}: the page sent {quoted}, which is not on the list; nothing changed."
