"""The back office is entered only with two-factor authentication used in this very session.

allauth.mfa gives every user two-factor authentication but has no setting that makes
it mandatory, so ``ADMIN_REQUIRE_MFA`` is enforced here, for every page only staff may see:
the admin's URLs, and the views outside them marked with ``back_office_page`` (an entry's
preview). The admin's own login and logout go through allauth (wired in
``pressimus/urls.py``), so its rate limits, its two-factor stage and its sign-out apply to
the back office as well.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.account.authentication import get_authentication_records
from allauth.account.views import logout as account_logout
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# What proves a second factor by itself; recovery codes only stand in for these.
SECOND_FACTORS = frozenset({Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN})
# What allauth's code form accepts; a user with security keys only is asked for a key.
CODE_FACTORS = frozenset({Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES})

SETUP_MESSAGE = (
    "The back office requires two-factor authentication. Set up an authenticator app "
    "or a security key here, then go back to the admin."
)
CONFIRM_MESSAGE = "To enter the back office, confirm it is you with your two-factor authentication."


def used_second_factor(request: HttpRequest) -> bool:
    """Whether the signed-in user passed a two-factor check in this session.

    allauth records each authentication step in the session: a sign-in with a code
    or a security key, a passkey sign-in, a two-factor reauthentication.
    """
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def reauthentication_url(kinds: set[str], next_url: str) -> str:
    name = "mfa_reauthenticate" if kinds & CODE_FACTORS else "mfa_reauthenticate_webauthn"
    return f"{reverse(name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def is_back_office_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def back_office_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the back office outside the admin's URLs: staff only (anyone else gets a
    404, as for a page that does not exist), behind the same two-factor requirement."""

    @wraps(view)
    def staff_only(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_back_office_user(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    staff_only.back_office = True  # type: ignore[attr-defined]
    return staff_only


def is_back_office_view(match, view_func) -> bool:
    return "admin" in match.namespaces or getattr(view_func, "back_office", False)


class AdminRequiresMFAMiddleware:
    """Staff reach the back office only once they have an authenticator and used it this
    session.

    Anyone else is left to the page itself: the admin sends anonymous visitors to sign in
    and refuses signed-in non-staff (``secure_admin_login``); ``back_office_page`` answers 404.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # After URL resolution, so that every other page (robots.txt is the benchmark's
        # baseline) pays one attribute check and no session or database read.
        match = request.resolver_match
        if match is None or not settings.ADMIN_REQUIRE_MFA:
            return None
        if not is_back_office_view(match, view_func) or match.url_name == "logout":
            return None
        user = request.user
        if not is_back_office_user(user):
            return None
        kinds = set(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
        if not kinds & SECOND_FACTORS:
            messages.warning(request, SETUP_MESSAGE)
            return redirect("mfa_index")
        if used_second_factor(request):
            return None
        messages.info(request, CONFIRM_MESSAGE)
        return HttpResponseRedirect(reauthentication_url(kinds, request.get_full_path()))


def admin_logout(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's "Log out" signs out through allauth, like every other way out."""
    if request.method == "POST":
        return account_logout(request)
    return redirect("account_logout")
