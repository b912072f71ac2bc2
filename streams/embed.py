"""A stream for other sites to frame: its entries without our chrome."""

from __future__ import annotations

from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_exempt

from live import versions
from live.updates import events_url_for, updates_url_for
from streams.models import Stream
from streams.paging import Cursor

EMBED_ENTRIES = 20
EMBED_HEIGHT = 600


# The one page any site may frame; every other keeps X-Frame-Options: DENY and
# frame-ancestors 'none'.
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def stream_embed(request: HttpRequest, slug: str) -> HttpResponse:
    # Public streams only, even for a signed-in reader: an embed is shown on pages we
    # do not control, to readers who are not the one who copied it.
    stream = get_object_or_404(Stream.objects.public().with_publisher(), slug=slug)
    # The newsroom's times, as anonymous readers get them: times.js shows the device's.
    timezone.activate(stream.publisher.zone)
    # Read before the entries, as on the stream page: the script then misses no change.
    version = versions.stream_version(stream.pk)
    entries = list(stream.entries.published().newest_first().for_display()[:EMBED_ENTRIES])
    cursor = Cursor.of(entries[0]) if entries else None
    return render(
        request,
        "streams/embed.html",
        {
            "stream": stream,
            "publisher": stream.publisher,
            "entries": entries,
            "updates_url": updates_url_for(stream, cursor, version),
            "events_url": events_url_for(stream),
        },
    )


def embed_snippet(request: HttpRequest, stream: Stream) -> str:
    """The HTML another site pastes to show ``stream``."""
    url = request.build_absolute_uri(reverse("streams:embed", kwargs={"slug": stream.slug}))
    return format_html(
        '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy"></iframe>',
        url,
        f"{stream.title} — {stream.publisher.name}",
        EMBED_HEIGHT,
    )


ENTRY_EMBED_HEIGHT = 400


# Framed like the stream's embed, for an entry's permalink pasted into another site (oEmbed).
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def entry_embed(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    # Public streams only, whoever asks, as for the stream's embed.
    stream = get_object_or_404(Stream.objects.public().with_publisher(), slug=slug)
    timezone.activate(stream.publisher.zone)
    # A number past 64 bits is no entry's: a 404, not a database error.
    if pk > 2**63 - 1:
        raise Http404
    entry = get_object_or_404(stream.entries.published().for_display(), pk=pk)
    return render(
        request,
        "streams/entry_embed.html",
        {"stream": stream, "publisher": stream.publisher, "entry": entry},
    )
