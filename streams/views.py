from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse

from streams.models import ENTRY_DISPLAY_PREFETCHES, Entry, Publisher, Source, Stream
from streams.paging import Cursor, cursor_from_request, page_from_request, wants_oldest_first

UPDATES_INTERVAL_MS = 10_000
UPDATES_MAX_ENTRIES = 50


def _updates_url(stream: Stream, newest: Entry | None) -> str:
    url = reverse("streams:updates", kwargs={"slug": stream.slug})
    return f"{url}?after={Cursor.of(newest).encode()}" if newest else url


def home(request: HttpRequest) -> HttpResponse:
    streams = list(Stream.objects.public().with_publisher().live_first()[:12])
    return render(request, "streams/home.html", {"streams": streams})


def publisher_detail(request: HttpRequest, slug: str) -> HttpResponse:
    publisher = get_object_or_404(Publisher, slug=slug)
    streams = publisher.streams.visible_to(request.user).live_first()
    return render(
        request, "streams/publisher_detail.html", {"publisher": publisher, "streams": streams}
    )


def stream_detail(request: HttpRequest, slug: str) -> HttpResponse:
    stream = get_object_or_404(Stream.objects.visible_to(request.user).with_publisher(), slug=slug)
    # Through the related manager every entry knows its stream without a query.
    visible = stream.entries.published()
    oldest_first = wants_oldest_first(request)
    page = page_from_request(request, visible, oldest_first=oldest_first)
    pinned = list(visible.filter(pinned=True).newest_first()) if page.is_first else []
    # One prefetch for pinned and paged entries together keeps the query count constant.
    prefetch_related_objects([*pinned, *page.entries], *ENTRY_DISPLAY_PREFETCHES)
    if page.is_first and not oldest_first:
        newest = page.entries[0] if page.entries else None
    else:
        newest = visible.newest_first().only("id", "published_at", "stream_id").first()
    return render(
        request,
        "streams/stream_detail.html",
        {
            "stream": stream,
            "publisher": stream.publisher,
            "pinned": pinned,
            "page": page,
            "updates_url": _updates_url(stream, newest),
        },
    )


def entry_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    stream = get_object_or_404(Stream.objects.visible_to(request.user).with_publisher(), slug=slug)
    visible = stream.entries.published()
    entry = get_object_or_404(visible.for_display(), pk=pk)
    cursor = Cursor.of(entry)
    lean = visible.only("id", "title", "published_at", "stream_id")
    previous = lean.filter(cursor.older_q()).newest_first().first()
    following = lean.filter(cursor.newer_q()).oldest_first().first()
    return render(
        request,
        "streams/entry_detail.html",
        {
            "stream": stream,
            "publisher": stream.publisher,
            "entry": entry,
            "previous": previous,
            "next": following,
        },
    )


def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source, slug=slug)
    quoting = Entry.objects.listed_for(request.user).quoting(source)
    page = page_from_request(request, quoting, for_display=True)
    return render(request, "streams/source_detail.html", {"source": source, "page": page})


def stream_updates(request: HttpRequest, slug: str) -> JsonResponse:
    """New entries since the reader's cursor, as rendered HTML, and where to ask next."""
    stream = get_object_or_404(Stream.objects.visible_to(request.user).with_publisher(), slug=slug)
    after = cursor_from_request(request, "after")
    newer = stream.entries.published()
    if after is not None:
        newer = newer.filter(after.newer_q())
    entries = list(newer.for_display().oldest_first()[:UPDATES_MAX_ENTRIES])
    newest = entries[-1] if entries else None
    # Newest first, like the page they are added to; rendered by the page's own template.
    html = render_to_string(
        "streams/stream_detail.html#entry-items",
        {"entries": entries[::-1], "stream": stream},
        request=request,
    )
    return JsonResponse(
        {
            "count": len(entries),
            "html": html.strip(),
            "next": _updates_url(stream, newest) if newest else request.get_full_path(),
            "interval": UPDATES_INTERVAL_MS,
            "live": stream.is_live,
        }
    )
