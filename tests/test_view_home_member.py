"""A signed-in reader's ``/``: the latest entries of what they follow, what they follow, and
the live and recent streams to discover."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from streams.models import Stream
from streams.services import follow_toggle
from tests import factories
from tests.fixtures_pages import (
    NOW,
    content,
    draft_entry,
    flow_ids,
    joined,
    minutes_ago,
    newest_first,
    person,
    rich_entry,
    scheduled_entry,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def reader(client_as, member):
    return client_as(member)


def _older_link(response) -> str | None:
    match = re.search(r'href="(\?before=[^"]*)"[^>]*>Load older entries<', content(response))
    return match[1] if match else None


def test_member_gets_their_own_home_not_the_visitors_landing(reader, db):
    response = reader.get("/")

    assert response.status_code == 200
    assertTemplateUsed(response, "streams/home_member.html")
    assertContains(response, "<h1>Your streams</h1>", html=True)


def test_member_home_has_the_sites_accessible_frame(reader, member, stream_a):
    factories.EntryFactory(stream=stream_a)
    follow_toggle(user=member, stream=stream_a)

    page = content(reader.get("/"))

    assert page.count("<h1") == 1
    assert '<a class="skip-link" href="#main">' in page
    # The stream page's live-update script looks for #entries; this list is not live.
    assert 'id="entries"' not in page


def test_anonymous_visitor_still_gets_the_landing(client, db):
    assertTemplateUsed(client.get("/"), "streams/home.html")


def test_member_who_follows_nothing_is_told_how_to_follow(reader, stream_a):
    response = reader.get("/")

    assertContains(response, "You do not follow anything yet.")
    assertContains(response, "<strong>Follow</strong>", html=True)
    assertNotContains(response, "You follow</h2>")
    assertContains(
        response, '<form class="follow-form" method="post" action="/streams/syria/follow/">'
    )


def test_home_lists_the_latest_entries_of_a_followed_stream_newest_first(
    reader, member, stream_a, stream_b
):
    old = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    new = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    factories.EntryFactory(stream=stream_b, title="Not followed")
    follow_toggle(user=member, stream=stream_a)

    response = reader.get("/")

    assert flow_ids(response) == [new.pk, old.pk]
    assertNotContains(response, "Not followed")
    assertContains(
        response,
        '<span class="entry__stream">in <a href="/streams/syria/">Syria: December 23</a>'
        " · The Translator's Desk</span>",
        html=True,
    )


def test_home_lists_entries_of_every_stream_of_a_followed_publisher(
    reader, member, publisher_a, stream_a, stream_b
):
    second = factories.StreamFactory(publisher=publisher_a, slug="second")
    one = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(20))
    two = factories.EntryFactory(stream=second, published_at=minutes_ago(10))
    factories.EntryFactory(stream=stream_b, published_at=minutes_ago(1))
    follow_toggle(user=member, publisher=publisher_a)

    response = reader.get("/")

    assert flow_ids(response) == [two.pk, one.pk]


def test_a_stream_followed_twice_lists_each_entry_once(reader, member, stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    follow_toggle(user=member, stream=stream_a)
    follow_toggle(user=member, publisher=stream_a.publisher)

    assert flow_ids(reader.get("/")) == [entry.pk]


def test_home_leaves_out_drafts_future_entries_and_draft_streams(
    reader, member, publisher_a, stream_a
):
    draft_entry(stream_a, title="Draft entry")
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=5), title="Embargoed")
    hidden = factories.StreamFactory(
        publisher=publisher_a, title="Draft stream", status=Stream.Status.DRAFT
    )
    factories.EntryFactory(stream=hidden, title="In a draft stream")
    follow_toggle(user=member, publisher=publisher_a)
    follow_toggle(user=member, stream=stream_a)
    follow_toggle(user=member, stream=hidden)

    response = reader.get("/")

    assert flow_ids(response) == []
    for text in ("Draft entry", "Embargoed", "In a draft stream", "Draft stream"):
        assertNotContains(response, text)
    assertContains(response, "Nothing has been published yet in what you follow.")


def test_home_shows_members_only_entries_of_followed_streams_with_a_badge(
    reader, member, publisher_a
):
    briefing = factories.StreamFactory(
        publisher=publisher_a, title="Briefing", visibility=Stream.Visibility.MEMBERS
    )
    entry = factories.EntryFactory(stream=briefing)
    follow_toggle(user=member, publisher=publisher_a)

    response = reader.get("/")

    assert flow_ids(response) == [entry.pk]
    assertContains(response, ">Members</span>", count=1)


def test_home_lists_what_the_member_follows_with_buttons_to_stop(
    reader, member, stream_a, publisher_b
):
    follow_toggle(user=member, stream=stream_a)
    follow_toggle(user=member, publisher=publisher_b)

    response = reader.get("/")

    assertContains(response, '<h2 id="following-heading" class="section-title">You follow</h2>')
    assertContains(
        response,
        '<h3 class="stream-card__title"><a href="/streams/syria/">Syria: December 23</a></h3>',
        html=True,
    )
    assertContains(
        response,
        '<h3 class="stream-card__title"><a href="/publishers/harbour-light/">Harbour Light</a>'
        "</h3>",
        html=True,
    )
    assertContains(response, '<input type="hidden" name="follow" value="0">', count=2, html=True)
    assertContains(response, '<input type="hidden" name="next" value="/">', html=True)


def test_discovery_leaves_out_the_streams_already_followed(reader, member, stream_a, stream_b):
    stream_b.last_published_at = minutes_ago(1)
    stream_b.save()
    follow_toggle(user=member, stream=stream_a)

    response = reader.get("/")

    assertContains(response, "More live and recent streams")
    assertContains(response, 'action="/streams/flood-watch/follow/"', count=1)
    # Only its "Following" button in the list of what the member follows.
    assertContains(response, 'action="/streams/syria/follow/"', count=1)
    assertContains(
        response,
        '<h3 class="stream-card__title"><a href="/streams/syria/">Syria: December 23</a></h3>',
        count=1,
        html=True,
    )


def test_discovery_leaves_out_the_streams_of_followed_publishers(
    reader, member, publisher_a, stream_a, stream_b
):
    follow_toggle(user=member, publisher=publisher_a)

    response = reader.get("/")

    assertContains(response, 'action="/streams/flood-watch/follow/"', count=1)
    assertNotContains(response, 'action="/streams/syria/follow/"')


def test_home_names_what_the_member_follows_at_the_top(reader, member, stream_a, publisher_b):
    follow_toggle(user=member, publisher=publisher_b)
    follow_toggle(user=member, stream=stream_a)

    response = reader.get("/")

    assertContains(
        response,
        '<p>You follow <a href="/streams/syria/">Syria: December 23</a> and '
        '<a href="/publishers/harbour-light/">Harbour Light</a>. '
        '<a href="#following-heading">Change what you follow</a></p>',
        html=True,
    )


@pytest.fixture
def small_pages(settings):
    settings.STREAM_PAGE_SIZE = 3


def test_home_pages_older_entries_without_repeating_or_skipping(
    reader, member, small_pages, stream_a, stream_b
):
    same_moment = minutes_ago(15)
    entries = [
        factories.EntryFactory(
            stream=stream_a if n % 2 else stream_b,
            published_at=same_moment if n in (2, 3, 4) else minutes_ago(n),
        )
        for n in range(8)
    ]
    follow_toggle(user=member, stream=stream_a)
    follow_toggle(user=member, stream=stream_b)

    pages, url = [], "/"
    while url:
        response = reader.get(url)
        assert response.status_code == 200
        pages.append(flow_ids(response))
        link = _older_link(response)
        url = f"/{link}".replace("&amp;", "&") if link else None

    assert [len(page) for page in pages] == [3, 3, 2]
    assert joined(pages) == newest_first(entries)


def test_older_pages_of_home_leave_out_the_side_lists(reader, member, small_pages, stream_a):
    for n in range(4):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n))
    follow_toggle(user=member, stream=stream_a)

    older = reader.get("/" + _older_link(reader.get("/")))

    assert len(flow_ids(older)) == 1
    assertNotContains(older, "You follow</h2>")
    assertNotContains(older, "live and recent streams")


def test_home_with_a_bad_cursor_gives_404(reader, db):
    assert reader.get("/", {"before": "abc"}).status_code == 404


def test_home_costs_the_same_queries_for_few_and_many_follows_and_entries(reader, member, settings):
    settings.STREAM_PAGE_SIZE = 20
    james = person(display_name="James Miller")
    sources = [factories.SourceFactory() for _ in range(3)]

    def fill(follows: int, entries: int) -> None:
        for _ in range(follows):
            stream = factories.StreamFactory(last_published_at=minutes_ago(1))
            follow_toggle(user=member, stream=stream)
            follow_toggle(user=member, publisher=factories.PublisherFactory())
            for n in range(entries):
                rich_entry(stream, published_at=minutes_ago(n + 1), sources=sources, profile=james)
        for _ in range(3):
            factories.StreamFactory(last_published_at=minutes_ago(2))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = reader.get("/")
        assert response.status_code == 200
        return len(queries)

    fill(1, 2)
    few = count()
    fill(5, 6)
    many = count()

    assert few == many
    # Session, user, entries, their blocks and bylines, follows, discovery streams, and
    # whatever the site header needs for a signed-in reader.
    assert many <= 9
