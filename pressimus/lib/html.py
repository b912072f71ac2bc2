"""The one place that sanitises HTML.

Every rich-text field is cleaned here when it is saved and rendered as stored.
Nothing else in the code base imports bleach, so the sanitiser can be swapped
in this file alone (bleach 6.4 is its last release).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark",
        "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "q", "cite", "abbr",
        "code", "pre", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "hreflang"],
    "abbr": ["title"],
    "blockquote": ["cite"],
    "q": ["cite"],
    "ol": ["start", "reversed"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# C0 controls (but tab, newline, carriage return) and DEL are invalid in XML,
# so one of them in an entry would break every feed that carries it.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Whose text is code, not prose: dropped whole rather than left behind as words. An element
# never closed runs to the end, as a browser reads it; an end tag ends it as a browser's does,
# at the name followed by a space, "/" or ">".
_DROPPED_ELEMENTS = re.compile(
    r"<(script|style|template|noscript|iframe|object|textarea)\b.*?(?:</\1(?:[\s/][^<>]*)?>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")
_BLANK_CONTENT = re.compile(r"(&nbsp;|&#160;|\s|\u200b|\ufeff)+")


# bleach always passes ``new``: its default is never used.
def _set_link_rel(attrs: dict, new: bool = False) -> dict:  # pragma: no mutate
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[
        lambda source: LinkifyFilter(source, callbacks=[_set_link_rel], skip_tags={"pre", "code"})
    ],
)


def strip_control_characters(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", text)


# A memo: whatever its size, or without it, the same markup comes out.
@lru_cache(maxsize=4096)  # pragma: no mutate
def clean_html(html: str) -> str:
    """Return ``html`` reduced to the markup news text needs, safe to render as is."""
    html = _DROPPED_ELEMENTS.sub("", strip_control_characters(html))
    return _cleaner.clean(html).strip()


def is_blank_html(html: str) -> bool:
    """True when cleaned markup shows no text at all (tags and white space only)."""
    return not _BLANK_CONTENT.sub("", _TAG.sub("", html))


def html_to_text(html: str) -> str:
    """Plain text of cleaned markup, for summaries and search snippets."""
    # Characters, not entities: "1 < 2" must not reach a preview as "1 &lt; 2", since every
    # caller escapes the text again (templates, JSON-LD).
    text = unescape(bleach.clean(html, tags=set(), strip=True))
    return re.sub(r"\s+", " ", text).strip()
