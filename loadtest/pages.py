"""Reading the site's HTML as a browser does: the entries, the live-update URL, forms."""

from __future__ import annotations

import html
import re
from datetime import datetime
from html.parser import HTMLParser

_ENTRY_ID = re.compile(r'<article\b[^>]*?\bdata-entry-id="(\d+)"')
# The publish time leads each entry (includes/entry_time.html); a correction's time comes later.
_TIME = re.compile(r'<time\s+class="clock"\s+datetime="([^"]+)"')
_UPDATES_URL = re.compile(r'\bdata-updates-url="([^"]+)"')


def entry_ids(fragment: str) -> list[int]:
    """The ids of the entry articles in ``fragment``, in document order."""
    return [int(match) for match in _ENTRY_ID.findall(fragment)]


def entry_times(fragment: str) -> dict[int, datetime]:
    """Each entry article's publish time, as its ``<time datetime>`` says (to the microsecond)."""
    starts = [(match.start(), int(match[1])) for match in _ENTRY_ID.finditer(fragment)]
    times = {}
    for index, (start, entry_id) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(fragment)
        match = _TIME.search(fragment, start, end)
        if match:
            times[entry_id] = datetime.fromisoformat(match[1])
    return times


def updates_url(page: str) -> str | None:
    """The poll URL a stream page's #entries element holds (``data-updates-url``)."""
    match = _UPDATES_URL.search(page)
    return html.unescape(match[1]) if match else None


class _FormParser(HTMLParser):
    """The fields a browser would submit from the form ``wanted`` picks."""

    def __init__(self, wanted) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.in_form = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._option_text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.done:
            self.in_form = self.wanted(attr)
            return
        if not self.in_form:
            return
        name = attr.get("name", "")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.fields.append((name, attr.get("value", default)))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option_value = attr.get("value")
            self._option_text = []
            self._options.append(("", "selected" in attr))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        if self._option_text is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # A browser drops the newline right after <textarea>.
            self.fields.append((self._textarea, text.removeprefix("\n")))
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None

    def _close_option(self) -> None:
        if self._option_text is None:
            return
        value = self._option_value
        if value is None:
            value = "".join(self._option_text).strip()
        self._options[-1] = (value, self._options[-1][1])
        self._option_text = None


def form_fields(
    page: str, *, form_id: str | None = None, action: str | None = None
) -> dict[str, str]:
    """The fields of a form as a browser would post them, without its empty inline templates.

    The form is the first with id ``form_id``, else with action ``action``, else the first
    that is posted.
    """

    def wanted(attr: dict[str, str]) -> bool:
        if form_id is not None:
            return attr.get("id") == form_id
        if action is not None:
            return attr.get("action") == action
        return attr.get("method", "get").lower() == "post"

    parser = _FormParser(wanted)
    parser.feed(page)
    return {name: value for name, value in parser.fields if "__prefix__" not in name}
