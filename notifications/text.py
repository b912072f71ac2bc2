"""Entries as e-mail: the plain-text version of their cleaned markup."""

from __future__ import annotations

import re
import textwrap

from pressimus.lib.html import html_to_text

# Where one paragraph (or item, or line) of cleaned markup ends and the next begins.
_BREAKS = re.compile(r"<br\s*/?>|</(?:p|li|h2|h3|h4|blockquote|pre)>|<hr\s*/?>", re.IGNORECASE)
_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
MAIL_TEXT_WIDTH = 72


def mail_text(html: str, *, indent: str = "") -> str:
    """Cleaned markup as plain text in paragraphs, wrapped for e-mail; ``indent`` starts
    every line (``"> "`` for a quote)."""
    marked = _ITEM.sub("<li>• ", html)
    paragraphs = [html_to_text(part) for part in _BREAKS.split(marked)]
    return "\n\n".join(
        textwrap.fill(
            paragraph,
            width=MAIL_TEXT_WIDTH,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for paragraph in paragraphs
        if paragraph
    )
