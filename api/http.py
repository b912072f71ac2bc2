"""What every answer under /api/ shares: who asks, how often, caching, CORS and JSON errors.

Every URL of the API (and the catch-all behind them) is wrapped by ``api_view``, so that no
path, method or refusal under /api/ ever answers with an HTML page.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from accounts.models import User
from api.models import ApiToken
from api.services import api_token_authenticate
from live.updates import UPDATES_PRIVATE_CACHE_CONTROL
from streams.models import reads_members_only
from streams.views import PAGE_PUBLIC_CACHE_CONTROL

# Public answers are cached like the stream pages; members' answers never by a shared cache.
PUBLIC_CACHE_CONTROL = PAGE_PUBLIC_CACHE_CONTROL
PRIVATE_CACHE_CONTROL = UPDATES_PRIVATE_CACHE_CONTROL
ERROR_CACHE_CONTROL = "no-store"
# A browser script on another site may read these, beside the headers CORS always exposes.
EXPOSED_HEADERS = "ETag, Retry-After"
READ_METHODS = "GET, HEAD"
INVALID_TOKEN = (
    "That API token is not valid. Send `Authorization: Bearer pmus_…` with a token you "
    "created in your settings and have not revoked, or no Authorization header at all."
)
_RATE = re.compile(r"([1-9][0-9]*)/([smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Reader:
    """Who an answer is for: a member (by session or token), or anyone."""

    user: User | None = None
    token: ApiToken | None = None

    @property
    def is_member(self) -> bool:
        return self.user is not None


ANYONE = Reader()


def reader_of(request: HttpRequest) -> User | None:
    """The member the API answers for, or None: what the streams' querysets take as ``user``."""
    return getattr(request, "api_reader", ANYONE).user


class InvalidToken(Exception):
    pass


def _reader(request: HttpRequest) -> Reader:
    header = request.headers.get("Authorization")
    if header is None:
        # A signed-in member's own browser reads through the session, like the pages.
        user = request.user
        return Reader(user=user) if reads_members_only(user) else ANYONE
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken
    token = api_token_authenticate(secret=secret.strip())
    if token is None:
        raise InvalidToken
    return Reader(user=token.user, token=token)


def error_response(status: int, detail: str, errors: list[dict] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status)


# Rate limit ----------------------------------------------------------------------------------


def rate_limit() -> tuple[int, int]:
    """``API_RATE_LIMIT`` as (requests, seconds)."""
    match = _RATE.fullmatch(settings.API_RATE_LIMIT)
    if match is None:  # settings.py refuses to start with a malformed value
        raise ValueError(settings.API_RATE_LIMIT)
    return int(match[1]), _SECONDS[match[2]]


def _client_address(request: HttpRequest) -> str:
    try:
        # allauth's reading of the address (ALLAUTH_TRUSTED_PROXY_COUNT), as its own limits use.
        address = get_adapter().get_client_ip(request)
    except PermissionDenied:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    # One machine on IPv6 holds a whole /64: counted as one client.
    if ip.version == 6:
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _client(request: HttpRequest, reader: Reader) -> str:
    if reader.token is not None:
        return f"token:{reader.token.pk}"
    if reader.user is not None:
        return f"user:{reader.user.pk}"
    return f"ip:{_client_address(request)}"


def rate_limit_wait(request: HttpRequest, reader: Reader) -> int | None:
    """Count the request against its client's window; the seconds to wait once it is spent.

    A fixed window counted in the shared cache: one increment per request, the same for
    every web process. (allauth's limiter keeps every hit's time, and skips GETs.)
    """
    amount, period = rate_limit()
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(_client(request, reader).encode()).hexdigest()[:32]
    key = f"api:rate:{digest}:{window}"
    try:
        count = cache.incr(key)
    except ValueError:
        # The window's first request (or the key just expired): start it, unless another
        # process did in between.
        count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
    if count <= amount:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def _too_many(wait: int) -> HttpResponse:
    response = error_response(
        429, f"Too many requests from this client: try again in {wait} seconds."
    )
    response["Retry-After"] = str(wait)
    return response


def _refused_token(request: HttpRequest) -> HttpResponse:
    # Counted against the address, so that guessing tokens is as slow as reading.
    if (wait := rate_limit_wait(request, ANYONE)) is not None:
        return _too_many(wait)
    response = error_response(401, INVALID_TOKEN)
    response["WWW-Authenticate"] = 'Bearer realm="Pressimus API", error="invalid_token"'
    return response


# Answers -------------------------------------------------------------------------------------


def _etag(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    # If-None-Match compares weakly: W/"x" matches "x".
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def _finished(
    request: HttpRequest, response: HttpResponse, *, reader: Reader | None
) -> HttpResponse:
    """The answer with its caching, CORS and conditional-request headers."""
    if isinstance(response, HttpResponseNotAllowed):
        response = error_response(405, "The API only reads: use GET (or HEAD).")
        response["Allow"] = READ_METHODS
    ok = response.status_code == 200
    if ok and request.method == "GET":
        etag = _etag(response.content)
        if _matches(request, etag):
            response = HttpResponse(status=304)
            del response["Content-Type"]
        response["ETag"] = etag
    if ok or response.status_code == 304:
        public = reader is not None and not reader.is_member
        response["Cache-Control"] = PUBLIC_CACHE_CONTROL if public else PRIVATE_CACHE_CONTROL
    else:
        response["Cache-Control"] = ERROR_CACHE_CONTROL
    patch_vary_headers(response, ["Authorization", "Cookie"])
    # Open to scripts on any site, for what anyone may read: never with credentials, and
    # never for an answer made for a member (nor for a refused token).
    if reader is not None and not reader.is_member:
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` as an API endpoint: the reader known, the rate limit counted, the answer
    finished by ``_finished``; HEAD answered as GET without the body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        reader: Reader | None
        try:
            reader = _reader(request)
        except InvalidToken:
            reader = None
            response = _refused_token(request)
        else:
            request.api_reader = reader  # type: ignore[attr-defined]
            wait = rate_limit_wait(request, reader)
            response = _too_many(wait) if wait is not None else view(request, *args, **kwargs)
        response = _finished(request, response, reader=reader)
        if head:
            request.method = "HEAD"
            if not response.streaming:
                response["Content-Length"] = str(len(response.content))
                response.content = b""
        return response

    # JSON errors for every method, not the CSRF middleware's HTML page: the API only reads.
    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


@api_view
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other address under /api/."""
    return error_response(
        404, "There is nothing at this address of the API: see /api/openapi.json for its paths."
    )
