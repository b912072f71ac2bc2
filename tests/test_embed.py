"""The embeddable stream at ``/streams/<slug>/embed/`` and the framing rules of every other page."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from streams.models import Entry, Stream
from streams.paging import Cursor
from tests import factories
from tests.fixtures_pages import (
    content,
    flow_ids,
    minutes_ago,
    person,
    rich_entry,
    updates_url,
)

URL = "/streams/syria/embed/"
SNIPPET = re.compile(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', re.DOTALL)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_a):
    return factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )


# Framing


def test_embed_may_be_framed_by_any_site(client, stream_a):
    response = client.get(URL)

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "frame-ancestors 'none'" not in policy


@pytest.mark.parametrize("path", ["/", "/streams/syria/", "/publishers/translators-desk/"])
def test_other_pages_refuse_framing(client, stream_a, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_entry_permalink_refuses_framing(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    response = client.get(entry.get_absolute_url())

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_feed_refuses_framing(client, stream_a):
    assert client.get("/streams/syria/feed/")["X-Frame-Options"] == "DENY"


# What it shows


def test_embed_shows_the_entries_without_the_site_chrome(client, stream_a, source):
    rich_entry(
        stream_a,
        published_at=minutes_ago(5),
        sources=[source],
        profile=person(display_name="James Miller"),
        title="Amnesty reports on Syria",
    )

    response = client.get(URL)

    assertContains(response, "Amnesty reports on Syria")
    assertContains(response, "Amnesty International</a> reports:")
    assertContains(response, "James Miller")
    assertNotContains(response, 'class="site-header"')
    assertNotContains(response, 'class="site-footer"')
    assertNotContains(response, "Request invitation")
    assertContains(response, "css/pressimus.css")


def test_embed_links_open_in_a_new_tab(client, stream_a):
    response = client.get(URL)

    assertContains(response, '<base target="_blank">')
    assertContains(
        response, '<a href="/streams/syria/" target="_blank">Syria: December 23</a>', html=True
    )
    assertContains(response, "by The Translator&#x27;s Desk")
    assertContains(response, "Read the whole stream on Pressimus")


def test_embed_holds_the_latest_twenty_newest_first(client, stream_a):
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(100 - i))
        for i in range(25)
    ]

    response = client.get(URL)

    assert flow_ids(response) == [e.pk for e in reversed(entries[5:])]


def test_embed_carries_the_updates_url_of_its_newest_entry_and_the_live_script(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))
    newest = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))

    response = client.get(URL)

    url = updates_url(response)
    assert url is not None
    assert url.startswith(f"/streams/syria/updates/?after={Cursor.of(newest).encode()}&v=")
    assertContains(response, 'data-live-updates="button"')
    assertContains(response, '<script src="/static/js/live.js" defer></script>', html=True)
    # The script may ask our own origin from inside another site's frame.
    assert "connect-src 'self'" in response["Content-Security-Policy"]


def test_embed_leaves_out_drafts(client, stream_a):
    shown = factories.EntryFactory(stream=stream_a)
    factories.EntryFactory(stream=stream_a, status=Entry.Status.DRAFT, published_at=None)

    assert flow_ids(client.get(URL)) == [shown.pk]


def test_embed_query_count_does_not_grow_with_entries(client, stream_a, source):
    james = person(display_name="James Miller")

    def queries_for(count: int) -> int:
        Entry.objects.all().delete()
        for i in range(count):
            rich_entry(stream_a, published_at=minutes_ago(i + 1), sources=[source], profile=james)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    assert queries_for(3) == queries_for(15)


# What it never shows


def test_members_only_embed_is_404_for_everyone(client, client_as, member, members_stream):
    factories.EntryFactory(stream=members_stream)

    assert client.get("/streams/closed/embed/").status_code == 404
    assert client_as(member).get("/streams/closed/embed/").status_code == 404


@pytest.mark.parametrize("status", [Stream.Status.DRAFT])
def test_draft_stream_embed_is_404(client, publisher_a, status):
    factories.StreamFactory(publisher=publisher_a, slug="unready", status=status)

    assert client.get("/streams/unready/embed/").status_code == 404


def test_unknown_stream_embed_is_404(client, db):
    assert client.get("/streams/nowhere/embed/").status_code == 404


# The snippet on the stream page


def test_stream_page_offers_the_embed_snippet(client, stream_a):
    response = client.get("/streams/syria/")

    assertContains(response, "<summary>Embed this stream</summary>", html=True)
    [snippet] = SNIPPET.findall(content(response))
    assert html.unescape(snippet) == (
        '<iframe src="http://testserver/streams/syria/embed/" '
        'title="Syria: December 23 — The Translator&#x27;s Desk" '
        'width="100%" height="600" loading="lazy"></iframe>'
    )


def test_snippet_is_escaped_so_it_shows_as_code(client, stream_a):
    body = content(client.get("/streams/syria/"))

    [snippet] = SNIPPET.findall(body)
    assert "<iframe" not in snippet
    assert "&lt;iframe" in snippet


def test_members_only_stream_page_offers_no_embed(client_as, member, members_stream):
    response = client_as(member).get("/streams/closed/")

    assert response.status_code == 200
    assertNotContains(response, "Embed this stream")
    assertNotContains(response, "/embed/")
