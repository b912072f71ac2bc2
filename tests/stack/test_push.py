"""Push, tried in Chromium against the stack: news reaches an open page the moment it is
committed, a page that lost its connection catches up with nothing missed and nothing twice,
and members-only streams are heard by members alone."""

from __future__ import annotations

import time
import urllib.request

import pytest

from tests.stack.conftest import (
    MEMBERS_STREAM,
    PUBLIC_STREAM,
    events_status,
    events_url,
    fetch,
    open_stream,
    publish,
    wait_for,
)

# Selected or left out as a whole: `-m 'not stack'` (.ci/run's SQLite pass).
pytestmark = [pytest.mark.stack, pytest.mark.browser]

# A page's poll interval: news that arrives sooner than this was not brought by a poll.
POLL_INTERVAL_S = 5


def _watch_updates(page) -> list[str]:
    """The updates URLs the page asks, in order."""
    asked: list[str] = []
    page.on("request", lambda request: "/updates/" in request.url and asked.append(request.url))
    return asked


def _shown(page, entry_id: int) -> int:
    return page.locator(f'#entries article[data-entry-id="{entry_id}"]').count()


def _arrival(page, published, *, timeout: float) -> float:
    """Seconds from the publish being done to the entry on the reader's screen (at once, or
    announced by the "Show new entries" button, which the reader then presses)."""
    selector = f'#entries article[data-entry-id="{published.entry_id}"]'
    button = page.locator(".live-updates__button")
    deadline = time.monotonic() + timeout
    while True:
        seen_at = page.wait_for_function(
            """selector => (document.querySelector(selector)
                || document.querySelector(".live-updates__button:not([hidden])"))
                && Date.now() / 1000""",
            arg=selector,
            timeout=max(deadline - time.monotonic(), 0.1) * 1000,
        ).json_value()
        if button.is_visible():
            # What it holds may be entries published before this one that the page had not
            # shown yet (a page the edge kept a few seconds): shown, and looked for again.
            button.click()
        if page.locator(selector).count():
            break
    page.locator(selector).wait_for(timeout=2000)
    return seen_at - published.at


def test_an_open_page_hears_of_an_entry_by_push_and_shows_it(stack, reader):
    open_stream(reader, stack, PUBLIC_STREAM)
    # On the push engine's own origin: the edge's workers never write the announcements.
    assert reader.locator("#entries").get_attribute("data-events-url") == (
        events_url(stack, PUBLIC_STREAM)
    )
    asked = _watch_updates(reader)

    published = publish(stack, PUBLIC_STREAM, "Pushed: the river crested at 4.2 m")
    seconds = _arrival(reader, published, timeout=POLL_INTERVAL_S)

    print(f"publish → on the reader's screen by push: {seconds * 1000:.0f} ms")
    expect_text = reader.locator(f'article[data-entry-id="{published.entry_id}"]').inner_text()
    assert "the river crested at 4.2 m" in expect_text
    # Brought by the push event: the page asked for the version it heard of (its own URL,
    # which the edge cache answers once for every reader).
    assert any("at=" in url for url in asked), asked
    assert _shown(reader, published.entry_id) == 1


def test_a_page_whose_engine_restarts_polls_meanwhile_and_catches_up_once(stack, reader):
    open_stream(reader, stack, PUBLIC_STREAM)

    stack.push.stop()
    try:
        reader.locator('#entries[data-live-hearing="polling"]').wait_for(timeout=10_000)
        # Published while the engine is away: the page's polls through the edge bring it
        # (within an interval, and the edge's answer may be up to an interval old).
        missed = publish(stack, PUBLIC_STREAM, "Published while the push engine was away")
        _arrival(reader, missed, timeout=3 * POLL_INTERVAL_S)
    finally:
        stack.push.start()

    # The page listens again (the browser reconnects on its own, or live.js tries again).
    reader.locator('#entries[data-live-hearing="push"]').wait_for(timeout=40_000)
    # And push works again for what comes next.
    later = publish(stack, PUBLIC_STREAM, "Published once the push engine was back")
    _arrival(reader, later, timeout=POLL_INTERVAL_S)

    assert _shown(reader, missed.entry_id) == 1
    assert _shown(reader, later.entry_id) == 1
    ids = [
        int(node)
        for node in reader.locator("#entries article[data-entry-id]").evaluate_all(
            "nodes => nodes.map(node => node.dataset.entryId)"
        )
    ]
    assert len(ids) == len(set(ids)), "an entry is shown twice"
    # Newest first: the later entry above the one the page missed.
    assert ids.index(later.entry_id) < ids.index(missed.entry_id)


def test_a_member_hears_a_members_only_stream_and_nobody_else_does(stack, member):
    open_stream(member, stack, MEMBERS_STREAM)
    published = publish(stack, MEMBERS_STREAM, "For members: the figures behind the budget")
    _arrival(member, published, timeout=POLL_INTERVAL_S)

    cookies = {cookie["name"]: cookie["value"] for cookie in member.context.cookies()}
    session = f"__Host-sessionid={cookies['__Host-sessionid']}"
    assert events_status(stack, MEMBERS_STREAM, cookie=session) == 200

    # Without a session, with a forged one, and with one replayed after signing out: the
    # channel does not exist for them (as the stream's page does not).
    assert events_status(stack, MEMBERS_STREAM) == 404
    assert events_status(stack, MEMBERS_STREAM, cookie="__Host-sessionid=forged" + "x" * 24) == 404
    member.locator(".account-menu__toggle").click()
    member.get_by_role("button", name="Sign out", exact=True).click()
    member.wait_for_load_state()
    assert events_status(stack, MEMBERS_STREAM, cookie=session) == 404
    # A stream that does not exist is not a channel anyone may open either.
    assert events_status(stack, "no-such-stream") == 404


def test_only_the_sites_own_pages_may_listen(stack):
    """The engine is on an origin of its own, so every page's EventSource is cross-origin
    there: it answers the site's pages (with their cookies) and refuses any other."""
    assert events_status(stack, PUBLIC_STREAM) == 200
    for other in ("https://evil.example", "null", stack.url.replace("https:", "http:")):
        assert events_status(stack, PUBLIC_STREAM, origin=other) == 403, other

    request = urllib.request.Request(
        events_url(stack, PUBLIC_STREAM),
        headers={"Accept": "text/event-stream", "Origin": stack.url},
    )
    with urllib.request.urlopen(request, context=stack.client_tls, timeout=2) as response:
        assert response.headers["Access-Control-Allow-Origin"] == stack.url
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
    # And the site's pages may connect there (Content-Security-Policy connect-src).
    status, headers, _ = fetch(stack, f"/streams/{PUBLIC_STREAM}/")
    assert status == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
        if " " in directive.strip()
    )
    assert stack.events_origin in policy["connect-src"].split()


def _heard(stack, last_event_id: str, seconds: float = 2) -> bytes:
    """What a (re)connecting EventSource with that Last-Event-ID receives in its first
    seconds."""
    request = urllib.request.Request(
        events_url(stack, PUBLIC_STREAM),
        headers={
            "Accept": "text/event-stream",
            "Origin": stack.url,
            "Last-Event-ID": last_event_id,
        },
    )
    received = b""
    with urllib.request.urlopen(request, context=stack.client_tls, timeout=seconds) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        try:
            while chunk := response.read1(4096):
                received += chunk
        except TimeoutError:
            pass
    return received


def test_a_reconnecting_page_given_any_last_event_id_is_answered_calmly(stack):
    published = publish(stack, PUBLIC_STREAM, "An entry to be announced")
    version = wait_for(
        lambda: (heard := _heard(stack, "1:0")).count(b"event: change") == 1 and heard,
        timeout=10,
        what="the newest announcement, once, for a Last-Event-ID far in the past",
    )
    assert b'"v":' in version, version
    assert published.entry_id
    # From the future, or garbage: the connection is held, nothing is replayed and nothing
    # fails; the page's own poll on connecting brings it up to date (live.js).
    for odd in ("9999999999:0", "garbage"):
        assert b"event: change" not in _heard(stack, odd)
