from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.admin_mfa import back_office_page
from accounts.models import User
from live import updates, versions
from pressimus.lib.zones import known_zone
from streams import changes, services, social_cards
from streams.admin_scoping import entries_for
from streams.models import (
    ENTRY_DISPLAY_PREFETCHES,
    Entry,
    Follow,
    Publisher,
    Source,
    Stream,
)
from streams.paging import Cursor, page_from_request, wants_oldest_first
from streams.search import (
    PAGE_SIZE,
    SearchForm,
    entries_matching,
    search_results,
    uses_full_text,
)

# The anonymous stream page, kept per version; short, as its entries show their age.
PAGE_TIMEOUT = 60
PAGE_PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
MEMBER_HOME_STREAMS = 8
MEMBERS_ONLY_MESSAGE = (
    "This stream is for members: sign in to read it. Pressimus accounts are by invitation."
)


def _in_the_newsrooms_time(request: HttpRequest, publisher: Publisher) -> None:
    """A reader without a zone of their own reads the newsroom's times (named on the page),
    until the page's script shows the device's; a member's own zone stays as it is."""
    user = request.user
    if not (user.is_authenticated and known_zone(user.time_zone)):
        timezone.activate(publisher.zone)


def _private_if_members_only(response: HttpResponse, stream: Stream) -> HttpResponse:
    if stream.is_members_only:
        patch_cache_control(response, private=True)
    return response


def sign_in_for_members_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous readers of a members-only stream are sent to sign in, not told it is missing.

    The view still looks the stream up among those the reader may see, so nothing of a
    members-only stream is ever rendered for them; only its existence is admitted.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
        try:
            return view(request, slug, **kwargs)
        except Http404:
            if request.user.is_authenticated:
                raise
            if not Stream.objects.members_only().filter(slug=slug).exists():
                raise
            messages.info(request, MEMBERS_ONLY_MESSAGE)
            return redirect_to_login(request.get_full_path())

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _member_home(request)
    streams = list(Stream.objects.public().with_publisher().live_first()[:12])
    return render(request, "streams/home.html", {"streams": streams})


def _member_home(request: HttpRequest) -> HttpResponse:
    """A signed-in reader's home: the latest entries of what they follow, and what else is on."""
    user = request.user
    followed = Entry.objects.listed_for(user).followed_by(user)
    page = page_from_request(request, followed, for_display=True)
    follows: list[Follow] = []
    streams: list[Stream] = []
    if page.is_first:
        follows = list(Follow.objects.shown_to(user))
        # Discovery: what the member does not get already.
        streams = list(
            Stream.objects.visible_to(user)
            .exclude(pk__in=[follow.stream_id for follow in follows if follow.stream_id])
            .exclude(
                publisher__in=[follow.publisher_id for follow in follows if follow.publisher_id]
            )
            .with_publisher()
            .live_first()[:MEMBER_HOME_STREAMS]
        )
    return render(
        request,
        "streams/home_member.html",
        {"page": page, "follows": follows, "streams": streams},
    )


def publisher_detail(request: HttpRequest, slug: str) -> HttpResponse:
    publisher = get_object_or_404(Publisher.objects.with_follow_state(request.user), slug=slug)
    _in_the_newsrooms_time(request, publisher)
    streams = publisher.streams.visible_to(request.user).live_first()
    return render(
        request, "streams/publisher_detail.html", {"publisher": publisher, "streams": streams}
    )


def _anonymous_page_name(request: HttpRequest) -> str | None:
    """The name the anonymous stream page is kept under, or None when it may not be.

    Only a GET without a session or messages cookie: nobody is signed in, and the page
    shows nobody's messages. The page depends on its paging parameters and the host.
    """
    if request.method not in ("GET", "HEAD"):
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return None
    query = request.GET
    # The order as the page reads it: a made-up ?order= value is the same page, not another.
    return versions.kept_name(
        "page",
        request.scheme,
        request.get_host(),
        "oldest" if wants_oldest_first(request) else "newest",
        query.get("before", ""),
        query.get("after", ""),
    )


def _anonymous_page_response(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = PAGE_PUBLIC_CACHE_CONTROL
    patch_vary_headers(response, ["Cookie"])
    return response


@sign_in_for_members_only
def stream_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page_name = _anonymous_page_name(request)
    if page_name is not None:
        kept = versions.kept(slug, page_name)
        if kept is not None:
            return _anonymous_page_response(HttpResponse(kept["body"]))
    # Read before the stream, so that a page kept under the meta's version was rendered
    # from rows at least as new; the meta also says when a scheduled entry comes due.
    meta = versions.stream_meta(slug) if page_name else None
    stream = get_object_or_404(
        Stream.objects.visible_to(request.user).with_publisher().with_follow_state(request.user),
        slug=slug,
    )
    if meta is not None and (meta["members_only"] or stream.is_members_only):
        meta = None
    _in_the_newsrooms_time(request, stream.publisher)
    # Through the related manager every entry knows its stream without a query.
    visible = stream.entries.published()
    oldest_first = wants_oldest_first(request)
    # Read before the entries: the page's script then never misses a change after it.
    version = meta["version"] if meta else versions.stream_version(stream.pk)
    page = page_from_request(request, visible, oldest_first=oldest_first)
    pinned = list(visible.filter(pinned=True).newest_first()) if page.is_first else []
    # One prefetch for pinned and paged entries together keeps the query count constant.
    prefetch_related_objects([*pinned, *page.entries], *ENTRY_DISPLAY_PREFETCHES)
    if page.is_first and not oldest_first:
        newest = page.entries[0] if page.entries else None
    else:
        newest = visible.newest_first().only("id", "published_at", "stream_id").first()
    response = render(
        request,
        "streams/stream_detail.html",
        {
            "stream": stream,
            "publisher": stream.publisher,
            "pinned": pinned,
            "page": page,
            "events_url": updates.events_url_for(stream),
            "updates_url": updates.updates_url_for(
                stream, Cursor.of(newest) if newest else None, version
            ),
            "live_updates": _live_updates(request),
        },
    )
    if meta is not None and meta["id"] == stream.pk and _keepable(request, response):
        versions.keep(meta, page_name, {"body": response.content}, PAGE_TIMEOUT)
        return _anonymous_page_response(response)
    return _private_if_members_only(response, stream)


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    """A page any anonymous reader may be handed: no cookie, no CSRF token, nobody's own."""
    return (
        response.status_code == 200
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and b"csrfmiddlewaretoken" not in response.content
        # A per-request CSP nonce would not match the next reader's header.
        and b'nonce="' not in response.content
        and not request.user.is_authenticated
    )


def _live_updates(request: HttpRequest) -> str:
    """How the stream page's script shows new entries: the reader's choice, or a button."""
    if request.user.is_authenticated:
        return request.user.live_updates
    return User.LiveUpdates.BUTTON


@sign_in_for_members_only
def entry_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    stream = get_object_or_404(Stream.objects.visible_to(request.user).with_publisher(), slug=slug)
    _in_the_newsrooms_time(request, stream.publisher)
    visible = stream.entries.published()
    entry = get_object_or_404(visible.for_display(), pk=pk)
    cursor = Cursor.of(entry)
    lean = visible.only("id", "title", "published_at", "stream_id")
    previous = lean.filter(cursor.older_q()).newest_first().first()
    following = lean.filter(cursor.newer_q()).oldest_first().first()
    response = render(
        request,
        "streams/entry_detail.html",
        {
            "stream": stream,
            "publisher": stream.publisher,
            "entry": entry,
            "previous": previous,
            "next": following,
        },
    )
    return _private_if_members_only(response, stream)


@never_cache
@back_office_page
def entry_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An entry as readers will see it, for those who may open it in the back office."""
    entry = get_object_or_404(
        entries_for(request).filter(stream__slug=slug).with_stream().for_display(), pk=pk
    )
    response = render(
        request,
        "streams/entry_preview.html",
        {"stream": entry.stream, "publisher": entry.stream.publisher, "entry": entry},
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source, slug=slug)
    quoting = Entry.objects.listed_for(request.user).quoting(source)
    page = page_from_request(request, quoting, for_display=True)
    return render(request, "streams/source_detail.html", {"source": source, "page": page})


# Follows ---------------------------------------------------------------------------------


def _wanted_state(request: HttpRequest) -> bool | None:
    """The state the reader's button asked for; None (flip it) for a form that does not say."""
    return {"1": True, "0": False}.get(request.POST.get("follow", ""))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on, if it is one of ours."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(default)


@require_POST
def stream_follow(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        # Back to the stream after signing in, where the button is: this URL takes no GET.
        return redirect_to_login(reverse("streams:stream", kwargs={"slug": slug}))
    stream = get_object_or_404(Stream.objects.visible_to(request.user), slug=slug)
    following = services.follow_toggle(
        user=request.user, stream=stream, follow=_wanted_state(request)
    )
    if following:
        messages.success(
            request, f"You follow “{stream.title}”: its new entries appear on your home page."
        )
    else:
        messages.success(request, f"You no longer follow “{stream.title}”.")
    return _back(request, stream.get_absolute_url())


@require_POST
def publisher_follow(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("streams:publisher", kwargs={"slug": slug}))
    publisher = get_object_or_404(Publisher, slug=slug)
    following = services.follow_toggle(
        user=request.user, publisher=publisher, follow=_wanted_state(request)
    )
    if following:
        messages.success(
            request,
            f"You follow {publisher.name}: new entries in all its streams appear on your "
            "home page.",
        )
    else:
        messages.success(request, f"You no longer follow {publisher.name}.")
    return _back(request, publisher.get_absolute_url())


# Search ----------------------------------------------------------------------------------


def search(request: HttpRequest) -> HttpResponse:
    """Published entries of the streams the reader may see, matching ``?q=``, best first."""
    form = SearchForm(request.GET or None, user=request.user)
    context: dict = {
        "form": form,
        "results": None,
        "page": None,
        "problem": "",
        "full_text": uses_full_text(),
    }
    status = 200
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        entries = form.filter(Entry.objects.listed_for(request.user))
        matching = entries_matching(entries, query)
        paginator = Paginator(matching, PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page, status = None, 400
            context["problem"] = "That page number is not a number."
        except EmptyPage:
            page, status = None, 404
            context["problem"] = (
                "There is no such page of results: "
                f"they fill {paginator.num_pages} page{'s' if paginator.num_pages != 1 else ''}."
                if paginator.count
                else "There is no such page of results."
            )
        if page is not None:
            context["results"] = search_results(page.object_list, query)
            context["page"] = page
            if page.has_next():
                context["next_query"] = form.query_string(page=page.next_page_number())
            if page.has_previous():
                context["previous_query"] = form.query_string(page=page.previous_page_number())
        context["first_query"] = form.query_string()
        context["query"] = query
    return render(request, "streams/search.html", context, status=status)


# Social cards ----------------------------------------------------------------------------

# Asked for with its digest (?v=), a card never changes: any cache may keep it for good.
CARD_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Asked for without it, or with an old one, it is the current card: kept for a while only.
CARD_CURRENT_CACHE_CONTROL = "public, max-age=3600"


def _card_response(request: HttpRequest, card: social_cards.SocialCard | None) -> HttpResponse:
    if card is None:
        raise Http404
    response = HttpResponse(social_cards.card_png(card), content_type="image/png")
    current = request.GET.get("v") == card.digest
    response["Cache-Control"] = CARD_CACHE_CONTROL if current else CARD_CURRENT_CACHE_CONTROL
    return response


def stream_card(request: HttpRequest, slug: str) -> HttpResponse:
    """The stream page's link-preview image (``og:image``), drawn on first request."""
    # Public streams only, whoever asks, as for feeds: a card is for sharing, and a
    # members-only stream has none.
    stream = get_object_or_404(Stream.objects.public().with_publisher(), slug=slug)
    return _card_response(request, social_cards.stream_card(stream))


def entry_card(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An entry's link-preview image (``og:image``), drawn on first request."""
    stream = get_object_or_404(Stream.objects.public().with_publisher(), slug=slug)
    entry = get_object_or_404(stream.entries.published(), pk=pk)
    return _card_response(request, social_cards.entry_card(entry, stream))


@sign_in_for_members_only
def entry_changes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What changed in a published entry: its published versions, newest first, each with
    what changed from the one before. An entry readers have had in one version only has
    no such page."""
    stream = get_object_or_404(Stream.objects.visible_to(request.user).with_publisher(), slug=slug)
    _in_the_newsrooms_time(request, stream.publisher)
    entry = get_object_or_404(stream.entries.published(), pk=pk)
    history = changes.entry_history(entry)
    if history is None:
        raise Http404("This entry has not changed since it was published.")
    response = render(
        request,
        "streams/entry_changes.html",
        {"stream": stream, "publisher": stream.publisher, "entry": entry, "history": history},
    )
    return _private_if_members_only(response, stream)
