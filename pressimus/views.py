from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from notifications.queue import queue_problem

logger = logging.getLogger(__name__)

ROBOTS_TXT = """User-agent: *
Disallow: /{admin_url}
Disallow: /accounts/
Disallow: /settings/
Disallow: /streams/*/updates/
Disallow: /search/

Sitemap: {sitemap_url}
"""


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request: HttpRequest) -> HttpResponse:
    body = ROBOTS_TXT.format(
        admin_url=settings.ADMIN_URL,
        sitemap_url=request.build_absolute_uri(reverse("sitemap")),
    )
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, a page that embeds
    a stream): send them to ours rather than to a 404 in every console. Not permanent, since
    the icon's hashed name changes with it."""
    return redirect(static("favicon.svg"))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: nearly always one left open too long, or opened
    before signing in or out in another tab. Said in words, with the way back."""
    logger.warning("CSRF check failed: %s", reason)
    response = render(request, "403_csrf.html", status=403)
    response["Cache-Control"] = "no-store"
    return response


# Seconds a reader's browser (or a proxy) is asked to wait while the database is away.
DATABASE_OUTAGE_RETRY_AFTER_S = 15


def _database_unavailable(error: BaseException | None) -> bool:
    """Whether an uncaught error means the database cannot be reached, not that we have a bug.

    A restart or a failover surfaces as OperationalError (connection refused, server closed
    the connection, the server is shutting down) or InterfaceError (connection already
    closed); a bad query is a ProgrammingError or IntegrityError and stays a 500.
    """
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        if isinstance(error, DatabaseError):
            return False
        # Only an explicit "raise … from": a bug raised while handling an outage stays a 500.
        error = error.__cause__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: a broken database or session must not break it too.
    if _database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_OUTAGE_RETRY_AFTER_S)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "ok", timeout=10)
        return cache.get("healthz") == "ok"
    except Exception:
        logger.exception("healthz: cache check failed")
        return False


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when this process can reach its database and cache and the
    task queue is doing its work, else 503 (with the queue's problem in words)."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    queue_problem = _queue_problem() if checks["database"] else None
    checks["queue"] = queue_problem is None
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        **{k: "ok" if v else "down" for k, v in checks.items()},
    }
    if queue_problem is not None:
        body["queue"] = "stuck"
        body["queue_problem"] = queue_problem
    return JsonResponse(body, status=200 if healthy else 503)


def _queue_problem() -> str | None:
    try:
        return queue_problem()
    except Exception:
        logger.exception("healthz: queue check failed")
        return "the task queue cannot be checked"
