"""Keyset paging over entries: a cursor is an entry's publish time and id.

OFFSET paging gets slower the deeper a reader goes and skips or repeats
entries while a live stream grows; a keyset costs the same on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest

_CURSOR = re.compile(r"^(\d{1,16})_(\d{1,18})$")
_MAX_ID = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    published_at: datetime
    pk: int

    @classmethod
    def of(cls, entry) -> Cursor:
        return cls(entry.published_at, entry.pk)

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor in ``value``, or None when it is not one we could have made."""
        match = _CURSOR.match(value or "")
        if not match:
            return None
        micros, pk = int(match[1]), int(match[2])
        if pk > _MAX_ID:
            return None
        try:
            when = _EPOCH + micros * _MICROSECOND
        except OverflowError:
            return None
        return cls(when, pk)

    def encode(self) -> str:
        micros = (self.published_at - _EPOCH) // _MICROSECOND
        return f"{micros}_{self.pk}"

    def older_q(self) -> Q:
        return Q(published_at__lt=self.published_at) | Q(
            published_at=self.published_at, pk__lt=self.pk
        )

    def newer_q(self) -> Q:
        return Q(published_at__gt=self.published_at) | Q(
            published_at=self.published_at, pk__gt=self.pk
        )


@dataclass(frozen=True)
class EntryPage:
    """A page of entries, newest first, and the cursor of the page after it (if any)."""

    entries: list
    older: Cursor | None

    @classmethod
    def newest_first(cls, queryset, *, before: Cursor | None, size: int) -> EntryPage:
        if before is not None:
            queryset = queryset.filter(before.older_q())
        rows = list(queryset.newest_first()[: size + 1])
        entries, has_more = rows[:size], len(rows) > size
        return cls(entries, Cursor.of(entries[-1]) if has_more else None)


def cursor_from_request(request: HttpRequest, name: str) -> Cursor | None:
    """The cursor in query parameter ``name``; a malformed one is a 404, never a 500."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    cursor = Cursor.decode(raw)
    if cursor is None:
        raise Http404("That page does not exist: the link to it is malformed.")
    return cursor


def page_from_request(request: HttpRequest, queryset) -> EntryPage:
    """The page of ``queryset`` that ``?before=`` asks for; past the end is a 404."""
    before = cursor_from_request(request, "before")
    page = EntryPage.newest_first(queryset, before=before, size=settings.STREAM_PAGE_SIZE)
    if before is not None and not page.entries:
        raise Http404("There are no entries older than that.")
    return page
