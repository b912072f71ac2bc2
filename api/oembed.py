"""oEmbed (https://oembed.com/) for stream and entry pages.

A CMS given the address of one of our streams or entries finds this endpoint through the
page's ``<link rel="alternate" type="application/json+oembed">`` and gets an iframe of the
embed route: the whole stream, or that one entry. Public streams only, as for the embed
itself: an embed is shown on pages we do not control, to readers who are not the one who
pasted it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html
from ninja.errors import HttpError

from api.http import api_view, error_response
from streams.embed import EMBED_HEIGHT, ENTRY_EMBED_HEIGHT
from streams.models import Entry, Stream
from streams.seo import entry_headline

PROVIDER_NAME = "Pressimus"
DEFAULT_WIDTH = 600
# Smaller than this no frame can show an entry; larger asks are met with our own sizes.
MIN_SIZE = 100
# Database ids are 64-bit: a larger number is no entry's, and never reaches a query.
MAX_ID = 2**63 - 1
NOT_OURS = (
    "That is not the address of a public stream or entry on this site: oEmbed here covers "
    "the pages /streams/<slug>/ and /streams/<slug>/entries/<id>/ of {host}."
)


def _size(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5 and int(raw) >= MIN_SIZE):
        raise HttpError(400, f"{name} must be a whole number of pixels, {MIN_SIZE} or more.")
    return int(raw)


def _target(request: HttpRequest, url: str) -> tuple[Stream, Entry | None]:
    """The public stream (and entry) at ``url``, an address of this very site."""
    not_ours = HttpError(404, NOT_OURS.format(host=request.get_host()))
    try:
        parts = urlsplit(url.strip())
        host = parts.netloc.lower()
    except ValueError:
        raise not_ours from None
    if parts.scheme not in ("http", "https") or host != request.get_host().lower():
        raise not_ours
    try:
        match = resolve(unquote(parts.path) or "/")
    except Resolver404:
        raise not_ours from None
    if match.view_name not in ("streams:stream", "streams:entry"):
        raise not_ours
    # Public streams only, whoever asks: the same lookup as the embed route's.
    stream = Stream.objects.public().with_publisher().filter(slug=match.kwargs["slug"]).first()
    if stream is None:
        raise not_ours
    if match.view_name == "streams:stream":
        return stream, None
    pk = match.kwargs["pk"]
    entry = stream.entries.published().filter(pk=pk).first() if pk <= MAX_ID else None
    if entry is None:
        raise not_ours
    return stream, entry


def _oembed(request: HttpRequest) -> HttpResponse:
    url = request.GET.get("url", "")
    if not url.strip():
        raise HttpError(400, "Give the address of a stream or an entry page as ?url=.")
    if request.GET.get("format", "json") != "json":
        # The status the oEmbed specification gives for a format not offered.
        raise HttpError(501, "Only format=json is offered.")
    max_width, max_height = _size(request, "maxwidth"), _size(request, "maxheight")
    stream, entry = _target(request, url)
    publisher = stream.publisher
    if entry is None:
        embed = reverse("streams:embed", kwargs={"slug": stream.slug})
        title, height = stream.title, EMBED_HEIGHT
    else:
        embed = reverse("streams:entry_embed", kwargs={"slug": stream.slug, "pk": entry.pk})
        # The time in an untitled entry's headline is the newsroom's, as its pages show it.
        with timezone.override(publisher.zone):
            title = entry_headline(entry)
        height = ENTRY_EMBED_HEIGHT
    width = min(DEFAULT_WIDTH, max_width or DEFAULT_WIDTH)
    height = min(height, max_height or height)
    return JsonResponse(
        {
            "type": "rich",
            "version": "1.0",
            "title": title,
            "author_name": publisher.name,
            "author_url": request.build_absolute_uri(publisher.get_absolute_url()),
            "provider_name": PROVIDER_NAME,
            "provider_url": request.build_absolute_uri("/"),
            "html": format_html(
                '<iframe src="{}" title="{}" width="{}" height="{}" loading="lazy"></iframe>',
                request.build_absolute_uri(embed),
                f"{title} — {publisher.name}",
                width,
                height,
            ),
            "width": width,
            "height": height,
        }
    )


@api_view
def oembed(request: HttpRequest) -> HttpResponse:
    """``/oembed/?url=…[&maxwidth=…&maxheight=…&format=json]``: errors as JSON, like the API's."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        return _oembed(request)
    except HttpError as error:
        return error_response(error.status_code, str(error))
