"""The public read API at /api/: publishers, streams, entries, sources and search.

Built with django-ninja (rather than Django REST framework with drf-spectacular): the OpenAPI
document comes from the type hints of plain Django views, one dependency (pydantic) beside
Django, and the views stay ordinary ``HttpRequest`` functions that call the streams' own
querysets, as every page does. Who may read what is decided there, never here: each view
passes the reader (``api.http.reader_of``) to ``visible_to``, ``listed_for`` and
``SearchForm`` exactly as the pages pass ``request.user``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet, prefetch_related_objects
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import urlencode
from ninja import NinjaAPI, Path, Query
from ninja.errors import HttpError, ValidationError

from api import schemas
from api.http import error_response, reader_of
from api.representations import (
    api_path,
    entry_data,
    publisher_data,
    source_data,
    stream_data,
)
from pressimus.views import DATABASE_OUTAGE_RETRY_AFTER_S
from streams.models import ENTRY_DISPLAY_PREFETCHES, Entry, Publisher, Source, Stream
from streams.paging import Cursor, EntryPage
from streams.search import PAGE_SIZE, SearchForm, entries_matching, search_results

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Database ids are 64-bit: a larger number in a path is no entry's, and never reaches a query.
MAX_ID = 2**63 - 1
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"

DESCRIPTION = f"""
Read what Pressimus publishes: publishers, their streams, the entries of a stream (blocks of
text, quotes with their sources, images and embedded posts as cards, bylines, key events,
corrections), the sources entries quote, and search.

**Who may read what** is the same as on the site. Anyone reads public streams. Members-only
streams and their entries are answered only to a signed-in member: through the session of
their browser, or with a personal API token created in Settings → API tokens, sent as
`Authorization: Bearer pmus_…`. Anything else is answered as if it did not exist (404). A
revoked, unknown or malformed token is refused with 401, whatever else the request holds.

**Paging.** Entries come {DEFAULT_LIMIT} to a page (`limit` up to {MAX_LIMIT}; more is refused
with 400), newest first or `order=oldest`; pass a page's `next_cursor` as `cursor` for the
next. Other lists are numbered pages (`page`, `limit`).

**Caching.** Answers carry a strong `ETag` (send it back as `If-None-Match` for a 304) and
`Cache-Control`: public for a few seconds for anonymous answers, private for a member's.

**Limits.** Each client (a token, a signed-in member, else an address) has a number of
requests per window; past it the answer is 429 with `Retry-After`. Anonymous answers may be
read by scripts on any site (CORS `Access-Control-Allow-Origin: *`, never with credentials).

Errors are JSON: `{{"detail": "…"}}`, with `errors` listing the refused parameters of a 400.
"""

ERRORS = {400: schemas.Error, 401: schemas.Error, 404: schemas.Error, 429: schemas.Error}


class PressimusAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        schema["components"]["securitySchemes"] = {
            "token": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token (`pmus_…`), created in Settings.",
            }
        }
        # Optional: anonymous requests read public content.
        schema["security"] = [{}, {"token": []}]
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"]["304"] = {
                    "description": "Not modified: the `If-None-Match` ETag is current."
                }
        return schema


api = PressimusAPI(
    title="Pressimus API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    # The interactive page loads its scripts from a CDN, which our CSP refuses.
    docs_url=None,
)


@api.exception_handler(ValidationError)
def _refused_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"location": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors
    ]
    detail = "; ".join(f"{error['location']}: {error['message']}" for error in errors)
    return error_response(400, f"The request was refused: {detail}.", errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, str(exc) or "Not found.")


@api.exception_handler(Exception)
def _failed(request: HttpRequest, exc: Exception) -> HttpResponse:
    # JSON even then: a program reading the API gets an answer it can parse.
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("API: database unavailable: %s", exc)
        response = error_response(503, "The database is unavailable: try again in a moment.")
        response["Retry-After"] = str(DATABASE_OUTAGE_RETRY_AFTER_S)
        return response
    logger.exception("API: unexpected error")
    return error_response(500, "Something went wrong on our side; it has been logged.")


def bad_parameter(location: str, message: str) -> ValidationError:
    source, _, name = location.partition(".")
    return ValidationError([{"loc": (source, name), "msg": message}])


def _absolute(request: HttpRequest):
    return request.build_absolute_uri


def _with_query(request: HttpRequest, **changes: Any) -> str:
    query = {**request.GET.dict(), **changes}
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


def _numbered(request: HttpRequest, queryset: QuerySet, *, page: int, limit: int) -> tuple:
    """The page asked for of ``queryset`` and what an answer says about it."""
    paginator = Paginator(queryset, limit)
    try:
        current = paginator.page(page)
    except EmptyPage:
        raise HttpError(
            404, f"There is no page {page}: this list fills {paginator.num_pages}."
        ) from None
    return list(current.object_list), {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "next": _with_query(request, page=current.next_page_number())
        if current.has_next()
        else None,
        "previous": _with_query(request, page=current.previous_page_number())
        if current.has_previous()
        else None,
    }


def _entry_page(
    request: HttpRequest, queryset: QuerySet, *, order: str, cursor: str | None, limit: int
) -> dict[str, Any]:
    """A page of entries by the stream pages' own keyset cursors (``streams.paging``)."""
    after = None
    if cursor is not None:
        after = Cursor.decode(cursor)
        if after is None:
            raise bad_parameter(
                "query.cursor",
                "this cursor is malformed: pass a page's next_cursor as it came",
            )
    page = EntryPage.build(queryset, after=after, size=limit, oldest_first=order == "oldest")
    prefetch_related_objects(page.entries, *ENTRY_DISPLAY_PREFETCHES)
    absolute = _absolute(request)
    next_cursor = page.next_cursor.encode() if page.next_cursor else None
    return {
        "items": [entry_data(entry, absolute) for entry in page.entries],
        "order": order,
        "next_cursor": next_cursor,
        "next": _with_query(request, cursor=next_cursor) if next_cursor else None,
    }


def _visible_stream(request: HttpRequest, slug: str) -> Stream:
    # The same 404 for a stream that does not exist and one the reader may not see.
    return get_object_or_404(
        Stream.objects.visible_to(reader_of(request)).with_publisher(), slug=slug
    )


def read(path: str, name: str, schema: type, *, tag: str, summary: str):
    """A GET operation answering ``schema``, its errors documented; ``name`` names its URL
    and its operation in the document."""
    return api.get(
        path,
        response={200: schema, **ERRORS},
        url_name=name,
        operation_id=name,
        summary=summary,
        tags=[tag],
    )


# Parameters shared by several operations.
SLUG = Path(..., pattern=SLUG_PATTERN, max_length=100, description="Its address (slug).")
PAGE = Query(1, ge=1, le=MAX_ID, description="Which page, from 1.")
LIMIT = Query(
    DEFAULT_LIMIT,
    ge=1,
    le=MAX_LIMIT,
    description=f"How many to a page: 1 to {MAX_LIMIT} ({DEFAULT_LIMIT} if not given). "
    "More is refused with 400, not quietly cut.",
)
ORDER = Query("newest", description="`newest` first (as streams are read) or `oldest` first.")
CURSOR = Query(
    None,
    max_length=40,
    description="Where the page starts: the `next_cursor` of the page before. Opaque.",
)
Order = Literal["newest", "oldest"]


@read("/", "index", schemas.Index, tag="index", summary="Where everything is")
def index(request: HttpRequest):
    absolute = _absolute(request)
    return {
        name: absolute(api_path(name)) for name in ("publishers", "streams", "sources", "search")
    } | {"openapi": absolute(api_path("openapi-json"))}


@read(
    "/publishers",
    "publishers",
    schemas.PublisherPage,
    tag="publishers",
    summary="Publishers, by name",
)
def publishers(request: HttpRequest, page: int = PAGE, limit: int = LIMIT):
    items, about = _numbered(
        request, Publisher.objects.order_by("name", "id"), page=page, limit=limit
    )
    absolute = _absolute(request)
    return {**about, "items": [publisher_data(publisher, absolute) for publisher in items]}


@read(
    "/publishers/{slug}", "publisher", schemas.Publisher, tag="publishers", summary="One publisher"
)
def publisher(request: HttpRequest, slug: str = SLUG):
    return publisher_data(get_object_or_404(Publisher, slug=slug), _absolute(request))


@read(
    "/streams",
    "streams",
    schemas.StreamPage,
    tag="streams",
    summary="Streams the reader may read, live ones first",
)
def streams(
    request: HttpRequest,
    publisher: str | None = Query(None, max_length=100, description="Only this publisher's."),
    status: Literal["live", "ended"] | None = Query(None, description="Only live or ended ones."),
    page: int = PAGE,
    limit: int = LIMIT,
):
    visible = Stream.objects.visible_to(reader_of(request)).with_publisher()
    if publisher is not None:
        visible = visible.filter(publisher__slug=publisher)
    if status is not None:
        visible = visible.filter(status=status)
    items, about = _numbered(request, visible.live_first(), page=page, limit=limit)
    absolute = _absolute(request)
    return {**about, "items": [stream_data(stream, absolute) for stream in items]}


@read("/streams/{slug}", "stream", schemas.Stream, tag="streams", summary="One stream")
def stream(request: HttpRequest, slug: str = SLUG):
    return stream_data(_visible_stream(request, slug), _absolute(request))


@read(
    "/streams/{slug}/entries",
    "stream_entries",
    schemas.EntryPage,
    tag="entries",
    summary="A stream's published entries, a page at a time",
)
def stream_entries(
    request: HttpRequest,
    slug: str = SLUG,
    order: Order = ORDER,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
    key_events: bool = Query(False, description="Only the key events (pinned entries)."),
):
    # Through the related manager every entry knows its stream without a query.
    published = _visible_stream(request, slug).entries.published()
    if key_events:
        published = published.filter(pinned=True)
    return _entry_page(request, published, order=order, cursor=cursor, limit=limit)


@read(
    "/streams/{slug}/entries/{entry_id}", "entry", schemas.Entry, tag="entries", summary="One entry"
)
def entry(
    request: HttpRequest,
    slug: str = SLUG,
    entry_id: int = Path(..., ge=1, le=MAX_ID, description="The entry's id."),
):
    published = _visible_stream(request, slug).entries.published().for_display()
    return entry_data(get_object_or_404(published, pk=entry_id), _absolute(request))


@read("/sources", "sources", schemas.SourcePage, tag="sources", summary="Quoted sources, by name")
def sources(request: HttpRequest, page: int = PAGE, limit: int = LIMIT):
    items, about = _numbered(request, Source.objects.order_by("name", "id"), page=page, limit=limit)
    absolute = _absolute(request)
    return {**about, "items": [source_data(source, absolute) for source in items]}


@read("/sources/{slug}", "source", schemas.Source, tag="sources", summary="One quoted source")
def source(request: HttpRequest, slug: str = SLUG):
    return source_data(get_object_or_404(Source, slug=slug), _absolute(request))


@read(
    "/sources/{slug}/entries",
    "source_entries",
    schemas.EntryPage,
    tag="sources",
    summary="Entries quoting a source, across every stream the reader may read",
)
def source_entries(
    request: HttpRequest,
    slug: str = SLUG,
    order: Order = ORDER,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    quoted = get_object_or_404(Source, slug=slug)
    quoting = Entry.objects.listed_for(reader_of(request)).quoting(quoted)
    return _entry_page(request, quoting, order=order, cursor=cursor, limit=limit)


# The search page's parameter names, for errors about them.
SEARCH_PARAMETERS = {"date_from": "from", "date_to": "to"}
WORDS = Query(
    ...,
    min_length=1,
    max_length=1000,
    description='Words to find, as on /search/: on PostgreSQL also "a phrase", or, -word.',
)


@read(
    "/search",
    "search",
    schemas.SearchPage,
    tag="search",
    summary="Full-text search over published entries",
)
def search(
    request: HttpRequest,
    q: str = WORDS,
    publisher: str | None = Query(None, max_length=100, description="A publisher's slug."),
    stream: str | None = Query(None, max_length=100, description="A stream's slug."),
    source: str | None = Query(None, max_length=100, description="Only entries quoting it."),
    date_from: str | None = Query(None, alias="from", max_length=10, description="YYYY-MM-DD"),
    date_to: str | None = Query(
        None, alias="to", max_length=10, description="YYYY-MM-DD, included"
    ),
    page: int = PAGE,
):
    """Best matches first, 20 to a page: the same search, filters and visibility as /search/."""
    reader = reader_of(request)
    form = SearchForm(request.GET, user=reader)
    if not form.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", SEARCH_PARAMETERS.get(name, name)), "msg": message}
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    query = form.cleaned_data["q"]
    listed = form.filter(Entry.objects.listed_for(reader))
    matching = entries_matching(listed, query) if query else listed.none()
    found, about = _numbered(request, matching, page=page, limit=PAGE_SIZE)
    prefetch_related_objects(found, *ENTRY_DISPLAY_PREFETCHES)
    absolute = _absolute(request)
    return {
        **about,
        "query": query,
        "items": [
            {
                "heading": result.heading,
                "snippet_html": str(result.snippet),
                "entry": entry_data(result.entry, absolute),
            }
            for result in search_results(found, query)
        ],
    }
