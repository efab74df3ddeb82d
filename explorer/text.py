"""Annotation Markdown to HTML that can only format: raw HTML is escaped, unsafe links dropped."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def markdown_to_html(text: str) -> str:
    """Render annotation Markdown as HTML formatting only.

    Raw HTML in the text is shown as text, never interpreted, and ``javascript:`` or
    other unsafe link targets are not turned into links.

    Examples
    --------
    >>> markdown_to_html("**Tibia** <script>alert(1)</script>")
    '<p><strong>Tibia</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\\n'
    """
    return _renderer().render(text)
