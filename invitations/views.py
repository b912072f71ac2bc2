from __future__ import annotations

import functools
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from allauth.core import ratelimit
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language_info
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from invitations import services
from invitations.forms import InvitationRequestForm
from invitations.models import Explainer, Invitation
from invitations.session import invitation_remember

# The token is in the accept page's URL, so no Referer may ever carry that URL, not even to
# our own server (its logs). "no-referrer" would do that, but it also makes browsers send
# "Origin: null" with the page's own POST (Fetch standard, serializing a request origin), which
# Django's CSRF check rightly refuses: nobody could accept. "strict-origin" sends the origin
# alone, in Origin and Referer, for every request from the page (the POST passes the origin
# check; links and subresources name no path), and nothing when leaving HTTPS for HTTP.
# "same-origin" would send the whole URL, token included, with every same-site request.
TOKEN_PAGE_REFERRER_POLICY = "strict-origin"
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not ours.
_TOKEN_MAX_LENGTH = 100
_INVALID_STATUS = {
    "unknown": HTTPStatus.NOT_FOUND,
    "expired": HTTPStatus.GONE,
    "used": HTTPStatus.GONE,
}


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


@dataclass(frozen=True)
class VideoSource:
    src: str
    type: str = ""
    """The MIME type with its codecs, so that a browser skips a file it cannot play unread."""


@dataclass(frozen=True)
class ExplainerVideo:
    """What /about/ plays: the explainer staff gave in the admin, or the one that ships."""

    title: str
    sources: tuple[VideoSource, ...]
    poster: str = ""
    captions: str = ""
    captions_language: str = ""
    transcript: str = ""

    @property
    def download_url(self) -> str:
        """For a browser that plays none: the last source, the one most players open."""
        return self.sources[-1].src

    @property
    def captions_label(self) -> str:
        return _language_name(self.captions_language)

    @classmethod
    def from_explainer(cls, explainer: Explainer) -> ExplainerVideo:
        return cls(
            title=explainer.title,
            sources=(VideoSource(explainer.video_src),),
            poster=explainer.poster.url if explainer.poster else "",
            captions=explainer.captions.url if explainer.captions else "",
            captions_language=explainer.captions_language,
            transcript=explainer.transcript,
        )


# The explainer that ships with Pressimus, made from the demo site by `make explainer`
# (explainer/make.py) into static/explainer/. The WebM first, for every browser that plays it
# (a Chromium built without proprietary codecs plays nothing else); the MP4 for the others,
# Safari above all.
SHIPPED_EXPLAINER = "explainer/explainer"
SHIPPED_SOURCES = (
    (".webm", 'video/webm; codecs="vp9, opus"'),
    # H.264 High profile, level 4.0, and AAC-LC: what explainer/make.py encodes.
    (".mp4", 'video/mp4; codecs="avc1.640028, mp4a.40.2"'),
)


def shipped_explainer() -> ExplainerVideo:
    return ExplainerVideo(
        title="What is Pressimus?",
        sources=tuple(
            VideoSource(static(SHIPPED_EXPLAINER + suffix), mime_type)
            for suffix, mime_type in SHIPPED_SOURCES
        ),
        poster=static(SHIPPED_EXPLAINER + "-poster.webp"),
        captions=static(SHIPPED_EXPLAINER + ".en.vtt"),
        captions_language="en",
        transcript=_shipped_transcript(),
    )


@functools.cache
def _shipped_transcript() -> str:
    path = finders.find(SHIPPED_EXPLAINER + ".en.txt")
    return Path(path).read_text(encoding="utf-8").strip() if path else ""


def about(request: HttpRequest) -> HttpResponse:
    explainer = Explainer.objects.first()
    # Until staff give a video of their own (a file or an address), the shipped one plays.
    if explainer is not None and explainer.video_src:
        video = ExplainerVideo.from_explainer(explainer)
    else:
        video = shipped_explainer()
    return render(request, "invitations/about.html", {"video": video})


@require_http_methods(["GET", "HEAD", "POST"])
def request_invitation(request: HttpRequest) -> HttpResponse:
    form = InvitationRequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_from_bot:
            # Told it worked, so a bot learns nothing to adapt to; nothing is stored.
            ratelimit.consume(request, action="invitation_request")
            return redirect("invitations:request_sent")
        if form.is_valid():
            if not ratelimit.consume(request, action="invitation_request"):
                return render(
                    request,
                    "invitations/request.html",
                    {"form": form, "rate_limited": True},
                    status=HTTPStatus.TOO_MANY_REQUESTS,
                )
            services.invitation_request_submit(**form.submission())
            # The same answer whether the address is new, pending, invited or has an account.
            return redirect("invitations:request_sent")
    return render(request, "invitations/request.html", {"form": form})


@require_GET
def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "invitations/request_sent.html")


def _invalid_page(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "invitations/invalid.html",
        {"reason": reason, "referrer_policy": TOKEN_PAGE_REFERRER_POLICY},
        status=_INVALID_STATUS.get(reason, HTTPStatus.OK),
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation and spends nothing (mail scanners follow links); POST
    exchanges the token for the invitation's id in the session and leaves this URL."""
    invitation = (
        Invitation.objects.by_token(token).select_related("request").first()
        if len(token) <= _TOKEN_MAX_LENGTH
        else None
    )
    if invitation is None:
        response = _invalid_page(request, "unknown")
    elif invitation.accepted_at is not None:
        response = _invalid_page(request, "used")
    elif invitation.is_expired:
        response = _invalid_page(request, "expired")
    elif request.method == "POST" and not request.user.is_authenticated:
        invitation_remember(request, invitation)
        response = redirect("account_signup")
    else:
        response = render(
            request,
            "invitations/accept.html",
            {"invitation": invitation, "referrer_policy": TOKEN_PAGE_REFERRER_POLICY},
        )
    response["Referrer-Policy"] = TOKEN_PAGE_REFERRER_POLICY
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def invalid(request: HttpRequest) -> HttpResponse:
    reason = request.GET.get("reason", "")
    return _invalid_page(request, reason if reason in _INVALID_STATUS else "")
