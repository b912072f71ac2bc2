from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications.links import unsubscribe_read
from notifications.models import AlertChoice
from notifications.services import alerts_unsubscribe, follow_alerts_set
from streams.models import Follow

FIELD_PREFIX = "alerts-"


def _back(request: HttpRequest) -> str:
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("accounts:settings") + "#alerts"


def _followed_name(follow: Follow) -> str:
    return f"“{follow.stream.title}”" if follow.stream_id else follow.publisher.name


@require_POST
@login_required
def follow_alerts(request: HttpRequest) -> HttpResponse:
    """Save the alert choice of one follow (its page's control) or of several (settings)."""
    wanted = {
        int(name.removeprefix(FIELD_PREFIX)): value
        for name, value in request.POST.items()
        if name.startswith(FIELD_PREFIX) and name.removeprefix(FIELD_PREFIX).isdigit()
    }
    follows = list(
        Follow.objects.filter(user=request.user, pk__in=wanted).select_related(
            "stream", "publisher"
        )
    )
    if not follows:
        messages.error(request, "You no longer follow that: there was nothing to save.")
        return redirect(_back(request))
    try:
        for follow in follows:
            follow_alerts_set(follow=follow, choice=wanted[follow.pk])
    except ValidationError:
        messages.error(request, "That is not one of the choices offered: nothing was changed.")
        return redirect(_back(request))
    if len(follows) == 1:
        label = AlertChoice(wanted[follows[0].pk]).label
        messages.success(request, f"E-mail from {_followed_name(follows[0])}: {label.lower()}.")
    else:
        messages.success(request, "Your alert choices are saved.")
    return redirect(_back(request))


def _private(response: HttpResponse) -> HttpResponse:
    # The link is a key of sorts: kept out of search engines and other sites' logs.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# RFC 8058: mail programs POST here from outside any session, so no CSRF token can come with
# it; the signed link is what authorises, and all it can do is turn alerts off.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page asking to confirm. POST (the button, or a mail program's one click): done."""
    try:
        wanted = unsubscribe_read(token)
    except signing.SignatureExpired:
        return _private(
            render(request, "notifications/unsubscribe_invalid.html", {"expired": True}, status=410)
        )
    except signing.BadSignature:
        return _private(
            render(
                request, "notifications/unsubscribe_invalid.html", {"expired": False}, status=400
            )
        )
    if request.method == "POST":
        follows = alerts_unsubscribe(user_id=wanted.user_id, follow_ids=wanted.follow_ids)
        return _private(
            render(request, "notifications/unsubscribe_done.html", {"follows": follows})
        )
    follows = list(
        Follow.objects.filter(
            pk__in=wanted.follow_ids, user_id=wanted.user_id, user__is_active=True
        )
        .select_related("stream", "publisher", "alert_setting")
        .order_by("pk")
    )
    already_off = all(
        getattr(getattr(follow, "alert_setting", None), "choice", None) == AlertChoice.OFF
        for follow in follows
    )
    return _private(
        render(
            request,
            "notifications/unsubscribe.html",
            {"follows": follows, "already_off": already_off, "token": token},
        )
    )
