from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pressimus.lib.zones import known_zone


class UserTimeZoneMiddleware:
    """Shows every time in the signed-in user's time zone; the site's zone for everyone else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        # Without a session cookie nobody is signed in: skip loading the session, which
        # would cost a query and add "Vary: Cookie" to pages that need not vary.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.time_zone:
                zone = known_zone(user.time_zone)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # Worker threads serve the next request with a clean slate.
            timezone.deactivate()
