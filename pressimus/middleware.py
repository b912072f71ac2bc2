"""Response headers and the request id that every response carries."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from pressimus.lib.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it cannot smuggle anything into a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def incoming_request_id(request: HttpRequest) -> str:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if SANE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


class RequestIDMiddleware:
    """Tags the request, its log records and its response with one id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        # An answer a shared cache may keep (the edge, a CDN) would hand this one request's id
        # to every reader it is served to, naming a request theirs never was.
        if not is_shareable(response):
            response[REQUEST_ID_HEADER] = request_id
        return response


def is_shareable(response: HttpResponseBase) -> bool:
    """Whether the answer says a shared cache may keep it (``Cache-Control: public``)."""
    return "public" in response.get("Cache-Control", "").replace(" ", "").split(",")


# Read by browsers only on a document they display (framing, features, the referrer its links
# send, its browsing context group); a JSON answer is never one. The pages' CSP, with its
# frame-ancestors, and nosniff and HSTS go on every answer.
DOCUMENT_ONLY_HEADERS = (
    "X-Frame-Options",
    "Permissions-Policy",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


class DataAnswerHeadersMiddleware:
    """Keeps the headers that only concern documents off answers that are data (JSON).

    The readers' polls are JSON, thousands a second through the edge, which re-reads a kept
    answer's every header line on each hit: what the answer carries for nothing costs on
    every poll. Without these four and the request id (which a kept answer no longer carries),
    the edge's polls went from 0.81x to 0.86x of nginx serving a file (bench/edge.py, medians).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type == "application/json" or media_type.endswith("+json"):
            for header in DOCUMENT_ONLY_HEADERS:
                if header in response:
                    del response[header]
        return response


# The length every shareable answer's Content-Length and X-Header-Pad add up to.
STEADY_LENGTH = 12
HEADER_PAD = "X-Header-Pad"


class SteadyHeaderLengthMiddleware:
    """Keeps the headers of an answer a shared cache may keep at one length, whatever its size.

    nginx's cache remembers where a kept answer's body starts; when a refreshed copy's headers
    are longer (a body grown from 999 to 1 000 bytes has a longer Content-Length), a request
    another worker is serving at that moment finds the copy "has too long header", counts it
    as missing and asks Django again, and so does every request waiting behind it: measured,
    up to 26 requests to Django for one URL within a second. A filler header takes up what the
    Content-Length does not; the edge (deploy/nginx/) keeps it from the readers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        length = response.get("Content-Length", "")
        if is_shareable(response) and length and len(length) < STEADY_LENGTH:
            response[HEADER_PAD] = "0" * (STEADY_LENGTH - len(length))
        return response


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy``, which Django's SecurityMiddleware does not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


@cache
def prose_editor_importmap_hash() -> str:
    """The CSP hash of the one inline script the admin renders: the prose editor's import map.

    Computed from the tag the widget renders, so it follows hashed static file names.
    """
    from django_prose_editor.widgets import importmap

    tag = str(importmap.render())
    return _csp_hash(tag[tag.index(">") + 1 : tag.rindex("</script>")])


def _csp_hash(content: str) -> str:
    digest = hashlib.sha256(content.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@cache
def prose_editor_style_hash() -> str | None:
    """The CSP hash of the base stylesheet the prose editor's Tiptap injects as a <style>.

    Tiptap adds ProseMirror's own rules (white-space handling that editing depends on) as an
    inline style element, and django-prose-editor offers no way to turn that off. The rules
    are one template literal in the shipped editor.js; read from there, the hash follows
    upgrades, and the browser test of the admin's policy fails if the shape ever changes.
    """
    from django.contrib.staticfiles import finders

    path = finders.find("django_prose_editor/editor.js")
    if path is None:
        return None
    source = Path(path).read_text(encoding="utf-8")
    start = source.find("`.ProseMirror {")
    end = source.find("`", start + 1)
    if start == -1 or end == -1:
        return None
    css = source[start + 1 : end]
    # A template literal with escapes or substitutions is no longer the text the browser hashes.
    if "\\" in css or "${" in css:
        return None
    return _csp_hash(css)


@cache
def media_origin() -> str | None:
    """The origin uploads are served from when it is not this site's (object storage, a CDN)."""
    from django.core.files.storage import default_storage

    url = urlsplit(default_storage.url("csp-probe.webp"))
    return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, allowing what our own configuration adds to the policy.

    Images and videos may come from the media storage's origin. The admin may run the prose
    editor's import map: an import map is an inline script by CSP's rules, and the admin
    renders widget media without a nonce on Django 5.2; a hash allows exactly that map.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        # django-csp appends "update" sources to the configured ones.
        update = dict(parts.update or {})
        if origin := media_origin():
            for directive in ("img-src", "media-src"):
                update[directive] = [*update.get(directive, []), origin]
        if request.path_info.startswith(f"/{settings.ADMIN_URL}"):
            update["script-src"] = [*update.get("script-src", []), prose_editor_importmap_hash()]
            if style_hash := prose_editor_style_hash():
                update["style-src"] = [*update.get("style-src", []), style_hash]
        parts.update = update or None
        return parts
