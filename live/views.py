"""The updates endpoint the stream page's script polls (static/js/live.js)."""

from __future__ import annotations

import hashlib
import json

from csp.decorators import csp
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.gzip import gzip_page

from live import edge, push, versions
from live.updates import (
    ANSWER_TIMEOUT,
    UPDATES_PRIVATE_CACHE_CONTROL,
    UPDATES_PUBLIC_CACHE_CONTROL,
    updates_answer,
)
from streams.models import reads_members_only
from streams.paging import cursor_from_request


def _client_version(request: HttpRequest) -> int | None:
    """The version the reader's page holds (``?v=``); a malformed one is a 404."""
    raw = request.GET.get("v")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise Http404("That update link is malformed.")
    return int(raw)


def _announced_version(request: HttpRequest) -> int | None:
    """The version the answer must be at least as new as, if any: announced to the page by push
    (``?at=``, which the edge cache keys on) or named by the edge's refresh after a change
    (live.edge). A malformed one is ignored."""
    found = [
        int(raw)
        for raw in (request.GET.get("at", ""), request.headers.get(edge.VERSION_HEADER, ""))
        if raw.isascii() and raw.isdigit() and len(raw) <= 18
    ]
    return max(found, default=None)


def _updates_response(request: HttpRequest, kept: dict) -> HttpResponse:
    etag = kept["etag"]
    # Compressed, the answer goes out with the weak form of its tag (gzip_page): either matches.
    asked = request.headers.get("If-None-Match", "").split(",")
    if etag in [tag.strip().removeprefix("W/") for tag in asked]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(kept["body"], content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = (
        UPDATES_PRIVATE_CACHE_CONTROL if kept["members_only"] else UPDATES_PUBLIC_CACHE_CONTROL
    )
    return response


# JSON, never a document: the pages' long policy (frames, media, styles) would only weigh on
# every one of the readers' polls; this one allows nothing at all.
@csp({"default-src": ["'none'"], "frame-ancestors": ["'none'"]})
# Compressed once per URL by Django, kept compressed by the edge (Vary: Accept-Encoding): a
# busy stream's answers are 10-30 kB of HTML that shrink some fivefold, and the edge's TLS is
# what its CPU goes to. The answer holds nothing secret to guess at (BREACH): the entries are
# what every reader of the stream gets.
@gzip_page
def stream_updates(request: HttpRequest, slug: str) -> HttpResponse:
    """New entries since the reader's cursor as rendered HTML, what changed, where to ask next.

    An unchanged stream is answered from the cache without a query, in one round trip:
    the answer is kept with the stream's content version, which every change moves on.
    """
    name = versions.kept_name("updates", request.GET.get("after", ""), request.GET.get("v", ""))
    kept = versions.kept(slug, name)
    announced = _announced_version(request)
    if kept is not None and announced is not None and kept["version"] < announced:
        # Push (or the edge's refresh) named a newer version than this process remembers:
        # never answer "nothing new" to a page that knows better.
        kept = None
    if kept is not None:
        if kept["members_only"] and not reads_members_only(request.user):
            raise Http404
        return _updates_response(request, kept)
    after = cursor_from_request(request, "after")
    held = _client_version(request)
    meta = versions.stream_meta(slug)
    if meta is None:
        versions.forget_slug(slug)
        raise Http404
    # A members-only stream is a plain 404 here for anonymous readers: a script polls
    # this, and a redirect to an HTML sign-in page would help nobody.
    if meta["members_only"] and not reads_members_only(request.user):
        raise Http404
    answer = updates_answer(meta, after, held)
    if not meta["members_only"]:
        # The URL readers of this answer poll next: its copy at the edge is replaced when the
        # stream changes (members-only answers are never kept there).
        edge.note_next(slug, answer["next"])
    body = json.dumps(answer, cls=DjangoJSONEncoder).encode()
    kept = {
        "body": body,
        "etag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "members_only": meta["members_only"],
    }
    versions.keep(meta, name, kept, ANSWER_TIMEOUT)
    return _updates_response(request, kept)


def stream_events(request: HttpRequest, slug: str) -> HttpResponse:
    """May this reader listen to the stream? Asked by the push engine (Nchan's
    ``nchan_authorize_request``) for every page that opens an EventSource on this URL, with the
    reader's cookies: 204 yes (members-only streams: signed-in members only, as the page);
    404 otherwise, as for a stream that does not exist.

    Asked directly (no engine in front) it answers 204 too, with no body: an EventSource told
    "no content" stops, and the page goes on polling.
    """
    if not push.is_on():
        raise Http404
    meta = versions.stream_meta(slug)
    if meta is None or (meta["members_only"] and not reads_members_only(request.user)):
        raise Http404
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response
