"""The landing page at ``/``: live and recent public streams, live ones first."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from streams.models import Stream
from tests import factories
from tests.fixtures_pages import content, minutes_ago

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _position(response, text: str) -> int:
    index = content(response).find(text)
    assert index != -1, f"{text!r} is not on the page"
    return index


def test_home_lists_a_public_live_stream_with_its_publisher(client, stream_a):
    stream_a.last_published_at = minutes_ago(5)
    stream_a.save()

    response = client.get("/")

    assert response.status_code == 200
    assertContains(
        response,
        '<h3 class="stream-card__title"><a href="/streams/syria/">Syria: December 23</a></h3>',
        html=True,
    )
    assertContains(
        response,
        '<p class="stream-card__publisher">Press by '
        '<a href="/publishers/translators-desk/">The Translator\'s Desk</a></p>',
        html=True,
    )
    assertContains(response, '<span class="badge badge--live">Live</span>', html=True)


def test_home_lists_live_streams_before_ended_ones_even_when_older(client, publisher_a):
    factories.StreamFactory(
        publisher=publisher_a,
        title="Ended yesterday but updated last",
        status=Stream.Status.ENDED,
        last_published_at=minutes_ago(1),
    )
    factories.StreamFactory(
        publisher=publisher_a,
        title="Still live, quiet for an hour",
        status=Stream.Status.LIVE,
        last_published_at=minutes_ago(60),
    )

    response = client.get("/")

    assert _position(response, "Still live, quiet for an hour") < _position(
        response, "Ended yesterday but updated last"
    )
    assertContains(response, '<span class="badge">Ended</span>', html=True)


def test_home_lists_the_most_recently_updated_live_stream_first(client, publisher_a):
    factories.StreamFactory(
        publisher=publisher_a, title="Updated an hour ago", last_published_at=minutes_ago(60)
    )
    factories.StreamFactory(
        publisher=publisher_a, title="Updated a minute ago", last_published_at=minutes_ago(1)
    )

    response = client.get("/")

    assert _position(response, "Updated a minute ago") < _position(response, "Updated an hour ago")


def test_home_lists_a_live_stream_without_entries_after_live_streams_with_entries(
    client, publisher_a
):
    factories.StreamFactory(publisher=publisher_a, title="Nothing yet", last_published_at=None)
    factories.StreamFactory(
        publisher=publisher_a, title="Updated an hour ago", last_published_at=minutes_ago(60)
    )

    response = client.get("/")

    assert _position(response, "Updated an hour ago") < _position(response, "Nothing yet")


def test_home_does_not_list_draft_streams(client, publisher_a):
    factories.StreamFactory(
        publisher=publisher_a, title="Secret draft stream", status=Stream.Status.DRAFT
    )

    response = client.get("/")

    assertNotContains(response, "Secret draft stream")


def test_home_does_not_list_members_only_streams(client, publisher_a):
    factories.StreamFactory(
        publisher=publisher_a,
        title="Members only briefing",
        visibility=Stream.Visibility.MEMBERS,
        last_published_at=minutes_ago(1),
    )

    response = client.get("/")

    assertNotContains(response, "Members only briefing")


def test_home_says_so_when_no_stream_has_been_published(client, publisher_a):
    factories.StreamFactory(publisher=publisher_a, status=Stream.Status.DRAFT)

    response = client.get("/")

    assert response.status_code == 200
    assertContains(
        response, '<li class="empty">No streams have been published yet.</li>', html=True
    )


def test_home_lists_at_most_twelve_streams(client, publisher_a):
    for n in range(13):
        factories.StreamFactory(
            publisher=publisher_a, title=f"Story number {n:02}", last_published_at=minutes_ago(n)
        )

    response = client.get("/")

    assertContains(response, '<li class="stream-card">', count=12)
    assertNotContains(response, "Story number 12")


def test_home_costs_one_query_however_many_streams(client, db, django_assert_num_queries):
    for n in range(12):
        factories.StreamFactory(last_published_at=minutes_ago(n))

    with django_assert_num_queries(1):
        response = client.get("/")

    assertContains(response, '<li class="stream-card">', count=12)
