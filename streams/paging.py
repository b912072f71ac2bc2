"""Keyset paging over entries: a cursor is an entry's publish time and id.

OFFSET paging gets slower the deeper a reader goes and skips or repeats
entries while a live stream grows; a keyset costs the same on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest

from accounts.models import User
from streams.models import ENTRY_DISPLAY_PREFETCHES

_CURSOR = re.compile(r"([0-9]{1,16})_([0-9]{1,19})")
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
        match = _CURSOR.fullmatch(value or "")
        if not match:
            return None
        micros, pk = int(match[1]), int(match[2])
        if pk > _MAX_ID:
            return None
        try:
            when = _EPOCH + micros * _MICROSECOND
        # Sixteen digits of microseconds reach the year 2286 at most: a guard should the
        # pattern ever allow more, unreachable today.
        except OverflowError:  # pragma: no mutate
            return None
        return cls(when, pk)

    def encode(self) -> str:
        micros = (self.published_at - _EPOCH) // _MICROSECOND
        return f"{micros}_{self.pk}"

    # Each comparison carries a plain bound beside the (time, id) tie-break: the OR alone
    # is no index range, and the database would scan from the newest entry to the cursor.
    def older_q(self) -> Q:
        return Q(published_at__lte=self.published_at) & (
            Q(published_at__lt=self.published_at)
            | Q(published_at=self.published_at, pk__lt=self.pk)
        )

    def newer_q(self) -> Q:
        return Q(published_at__gte=self.published_at) & (
            Q(published_at__gt=self.published_at)
            | Q(published_at=self.published_at, pk__gt=self.pk)
        )


# Nothing hashes or changes a page: "frozen" guards the code, readers see no difference.
@dataclass(frozen=True)  # pragma: no mutate: ReplaceTrueWithFalse
class EntryPage:
    """One page of entries, newest first (or oldest first), and how to reach the next."""

    entries: list
    oldest_first: bool
    after: Cursor | None
    next_cursor: Cursor | None

    @classmethod
    def build(
        cls,
        queryset,
        # "*" or "/": every caller passes the rest by name, so either reads the same.
        *,  # pragma: no mutate: Mul_Div
        after: Cursor | None,
        size: int,
        oldest_first: bool = False,
    ) -> EntryPage:
        if after is not None:
            queryset = queryset.filter(after.newer_q() if oldest_first else after.older_q())
        ordered = queryset.oldest_first() if oldest_first else queryset.newest_first()
        rows = list(ordered[: size + 1])
        entries, has_more = rows[:size], len(rows) > size
        return cls(entries, oldest_first, after, Cursor.of(entries[-1]) if has_more else None)

    @property
    def is_first(self) -> bool:
        return self.after is None

    @property
    def next_query(self) -> str:
        """The query string of the next page, for a link that works without JavaScript."""
        if self.next_cursor is None:
            return ""
        if self.oldest_first:
            return f"order=oldest&after={self.next_cursor.encode()}"
        return f"before={self.next_cursor.encode()}"

    @property
    def start_query(self) -> str:
        """The query string of the first page in this order, whatever the reader prefers.

        Explicit, because a link shared by a reader who reads oldest first must show
        the same page to one who reads newest first.
        """
        return "order=oldest" if self.oldest_first else "order=newest"


def cursor_from_request(request: HttpRequest, name: str) -> Cursor | None:
    """The cursor in query parameter ``name``; a malformed one is a 404, never a 500."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    cursor = Cursor.decode(raw)
    if cursor is None:
        raise Http404("That page does not exist: the link to it is malformed.")
    return cursor


def page_from_request(
    request: HttpRequest,
    queryset,
    # "*" or "/": every caller passes the rest by name, so either reads the same.
    *,  # pragma: no mutate: Mul_Div
    oldest_first: bool = False,
    for_display: bool = False,
) -> EntryPage:
    """The page that ``?before=`` (newest first) or ``?after=`` (oldest first) asks for.

    A cursor past the end is a 404, like any page that does not exist. With
    ``for_display`` the entries come with everything their template shows.
    """
    after = cursor_from_request(request, "after" if oldest_first else "before")
    page = EntryPage.build(
        queryset, after=after, size=settings.STREAM_PAGE_SIZE, oldest_first=oldest_first
    )
    if after is not None and not page.entries:
        raise Http404("There are no more entries past that point.")
    if for_display:
        prefetch_related_objects(page.entries, *ENTRY_DISPLAY_PREFETCHES)
    return page


def wants_oldest_first(request: HttpRequest) -> bool:
    """The order a stream page shows: ``?order=``, else the way its cursor walks, else the
    signed-in reader's preference, else newest first."""
    order = request.GET.get("order")
    if order in {"newest", "oldest"}:
        return order == "oldest"
    if "before" in request.GET:
        return False
    if "after" in request.GET:
        return True
    user = getattr(request, "user", None)
    return bool(
        user is not None and user.is_authenticated and user.entry_order == User.EntryOrder.OLDEST
    )
