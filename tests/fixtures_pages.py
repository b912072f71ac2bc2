"""Helpers for the page tests: a frozen clock, entries rich in blocks, reading a rendered page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import time_machine

from streams.models import Block, Entry
from tests import factories

NOW = datetime(2015, 12, 23, 18, 0, tzinfo=UTC)

_FLOW_ID = re.compile(r'<article [^>]*\bid="entry-(\d+)"')
_PINNED_ID = re.compile(r'<li class="key-event" data-entry-id="(\d+)"')
_OLDER_LINK = re.compile(r'href="(\?before=[^"]*)"[^>]*>Load older entries<')
_UPDATES_URL = re.compile(r'data-updates-url="([^"]*)"')
_BYLINES = re.compile(r'<p class="entry__bylines">(.*?)</p>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def frozen(when: datetime = NOW) -> time_machine.travel:
    """The clock stopped at ``when`` (by default 23 December 2015, 18:00 UTC)."""
    return time_machine.travel(when, tick=False)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def content(response) -> str:
    return response.content.decode()


def flow_ids(response) -> list[int]:
    """Ids of the entries in the page's main list (not the key events), in page order."""
    return [int(pk) for pk in _FLOW_ID.findall(content(response))]


def pinned_ids(response) -> list[int]:
    return [int(pk) for pk in _PINNED_ID.findall(content(response))]


def visible_text(markup: str) -> str:
    """Markup as a browser shows it: without tags, whitespace collapsed to single spaces."""
    return " ".join(html.unescape(_TAG.sub("", markup)).split())


def bylines_text(response) -> list[str]:
    """The byline line of each entry on the page, as readers see it."""
    return [visible_text(match) for match in _BYLINES.findall(content(response))]


def older_link(response) -> str | None:
    """The query string of the "Load older entries" link, or None on the last page."""
    match = _OLDER_LINK.search(content(response))
    return html.unescape(match[1]) if match else None


def updates_url(response) -> str | None:
    match = _UPDATES_URL.search(content(response))
    return html.unescape(match[1]) if match else None


def walk_pages(client, path: str, *, limit: int = 50) -> list[list[int]]:
    """The entry ids of every page, following "Load older entries" until it is gone."""
    pages = []
    url = path
    for _ in range(limit):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(flow_ids(response))
        link = older_link(response)
        if link is None:
            return pages
        url = path + link
    raise AssertionError(f"More than {limit} pages of {path}: the pager never ends.")


def joined(pages: list[list[int]]) -> list[int]:
    return [pk for page in pages for pk in page]


def newest_first(entries) -> list[int]:
    return [e.pk for e in sorted(entries, key=lambda e: (e.published_at, e.pk), reverse=True)]


def rich_entry(stream, *, published_at: datetime, sources, profile, pinned=False, **kwargs):
    """A published entry with text blocks, a quote from each source and two bylines."""
    entry = factories.EntryFactory(
        stream=stream,
        published_at=published_at,
        pinned=pinned,
        quotes=sources,
        bylines=[profile, "Anna Guest"],
        **kwargs,
    )
    for offset in (1, 2):
        Block.objects.create(
            entry=entry,
            position=len(sources) + offset,
            kind=Block.Kind.TEXT,
            body=f"<p>More of the writer's text, part {offset}.</p>",
        )
    return entry


def person(**kwargs):
    """A profile for bylines; its user never signs in, so no password is hashed (slow)."""
    return factories.ProfileFactory(user__password=None, **kwargs)


def draft_entry(stream, **kwargs) -> Entry:
    return factories.EntryFactory(
        stream=stream, status=Entry.Status.DRAFT, published_at=None, **kwargs
    )


def scheduled_entry(stream, *, published_at: datetime, **kwargs) -> Entry:
    return factories.EntryFactory(
        stream=stream, status=Entry.Status.SCHEDULED, published_at=published_at, **kwargs
    )
