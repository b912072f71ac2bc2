"""The updates endpoint's answer: what a page that holds a stream up to a cursor and a version
has not seen yet, rendered by the stream page's own partials, and where to ask next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from live import push
from streams.models import Entry, Publisher, Stream
from streams.paging import Cursor

UPDATES_WATCHED = 50
UPDATES_MAX_ENTRIES = 50
ANSWER_TIMEOUT = 600
LIVE_EDIT_MARGIN = timedelta(minutes=2)
# Short enough for a live page; long enough for a CDN to absorb the polling.
UPDATES_PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30, stale-if-error=300"
# No shared cache may keep a members-only answer and hand it to the next reader.
UPDATES_PRIVATE_CACHE_CONTROL = "private, max-age=0"


def events_url_for(stream: Stream) -> str:
    """Where the stream page's script listens for changes, on the push engine's origin, when
    push is on; else empty."""
    if not push.is_on():
        return ""
    return settings.PUSH_EVENTS_ORIGIN + reverse("live:events", kwargs={"slug": stream.slug})


def updates_url_for(stream: Stream, cursor: Cursor | None, version: int) -> str:
    """The updates endpoint's URL for a reader who has seen up to ``cursor`` at ``version``."""
    url = reverse("live:updates", kwargs={"slug": stream.slug})
    query = {"after": cursor.encode()} if cursor else {}
    return f"{url}?{urlencode({**query, 'v': version})}"


def updates_answer(meta: dict, after: Cursor | None, held: int | None) -> dict:
    # Shared by every reader of the stream, so in the newsroom's zone, whoever asked first:
    # each page's script shows its reader's zone.
    zone = Publisher(time_zone=meta.get("time_zone", "")).zone
    with timezone.override(zone):
        return _updates_answer_in_zone(meta, after, held)


def _updates_answer_in_zone(meta: dict, after: Cursor | None, held: int | None) -> dict:
    # All the entry template needs of its stream is in the cached facts: no query for it.
    stream = Stream(
        pk=meta["id"], slug=meta["slug"], visibility=meta["visibility"], status=meta["status"]
    )
    visible = stream.entries.published()
    newer = visible.filter(after.newer_q()) if after is not None else visible
    entries = list(newer.for_display().oldest_first()[:UPDATES_MAX_ENTRIES])
    newest = entries[-1] if entries else None
    recent = dict(visible.newest_first().values_list("id", "modified_at")[:UPDATES_WATCHED])
    pinned = list(visible.filter(pinned=True).newest_first().values_list("id", flat=True))
    changed: list[Entry] = []
    removed: list[int] = []
    pinned_changed: list[Entry] = []
    if held is not None and held < meta["version"]:
        # The version is a clock in milliseconds (see versions.stream_version_bump); the
        # margin covers transactions that saved a row before an earlier bump.
        since = datetime.fromtimestamp(held / 1000, tz=UTC) - LIVE_EDIT_MARGIN
        new_ids = {entry.pk for entry in entries}
        changed_ids = [pk for pk, stamp in recent.items() if stamp >= since and pk not in new_ids]
        if changed_ids:
            changed = list(visible.filter(pk__in=changed_ids).for_display().newest_first())
        # Pinning saves the entry, so a new or edited key event is among these, however old.
        pinned_changed = list(
            visible.filter(pinned=True, modified_at__gte=since).for_display().newest_first()
        )
        # Only entries readers may have seen: a draft or a schedule nobody has met yet is
        # none of an anonymous poll's business, not even its id.
        removed = list(
            stream.entries.seen_by_readers()
            .filter(modified_at__gte=since)
            .exclude(pk__in=visible.values("pk"))
            .values_list("id", flat=True)
        )
    # A new entry may come pinned (published so, or scheduled and now due): the key events
    # need it too, however old its last save.
    sent = {entry.pk for entry in pinned_changed}
    pinned_changed += [entry for entry in entries if entry.pinned and entry.pk not in sent]
    # Newest first, like the page they are added to; rendered by the page's own template.
    html = render_to_string(
        "streams/stream_detail.html#entry-items", {"entries": entries[::-1], "stream": stream}
    )
    return {
        "count": len(entries),
        "html": html.strip(),
        "next": updates_url_for(stream, Cursor.of(newest) if newest else after, meta["version"]),
        "interval": settings.LIVE_POLL_INTERVAL_MS,
        "live": meta["live"],
        "version": meta["version"],
        "visible": {str(pk): stamp.isoformat() for pk, stamp in recent.items()},
        "changed": [entry.pk for entry in changed],
        "changed_html": _rendered_one_by_one("entry-items", changed, stream),
        "removed": removed,
        "pinned": pinned,
        "pinned_html": _rendered_one_by_one("pinned-items", pinned_changed, stream),
    }


def _rendered_one_by_one(partial: str, entries: list[Entry], stream: Stream) -> dict[str, str]:
    """Each entry's HTML by id, from the stream page's own partial, to replace it in place."""
    return {
        str(entry.pk): render_to_string(
            f"streams/stream_detail.html#{partial}", {"entries": [entry], "stream": stream}
        ).strip()
        for entry in entries
    }
