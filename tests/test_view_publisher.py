"""A publisher's page at ``/publishers/<slug>/``: who they are and their streams."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from streams.models import Stream
from tests import factories
from tests.fixtures_pages import content, minutes_ago

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_publisher_page_shows_name_description_and_logo_initials(client, publisher_a):
    response = client.get("/publishers/translators-desk/")

    assert response.status_code == 200
    assertContains(response, "<h1>The Translator's Desk</h1>", html=True)
    assertContains(
        response,
        "<p>Russian-to-English translation journal, with original analysis.</p>",
        html=True,
    )
    assertContains(
        response, '<span class="logo logo--initials" aria-hidden="true">TT</span>', html=True
    )


def test_publisher_page_lists_its_streams_live_first(client, publisher_a):
    factories.StreamFactory(
        publisher=publisher_a,
        title="An ended story",
        status=Stream.Status.ENDED,
        last_published_at=minutes_ago(1),
    )
    factories.StreamFactory(
        publisher=publisher_a, title="A live story", last_published_at=minutes_ago(90)
    )

    response = client.get("/publishers/translators-desk/")

    page = content(response)
    assert "A live story" in page
    assert "An ended story" in page
    assert page.index("A live story") < page.index("An ended story")


def test_publisher_page_links_each_stream(client, stream_a):
    response = client.get("/publishers/translators-desk/")

    assertContains(
        response,
        '<h3 class="stream-card__title"><a href="/streams/syria/">Syria: December 23</a></h3>',
        html=True,
    )


def test_publisher_page_does_not_list_draft_or_members_only_streams(client, publisher_a):
    factories.StreamFactory(publisher=publisher_a, title="Draft story", status="draft")
    factories.StreamFactory(
        publisher=publisher_a, title="Members briefing", visibility=Stream.Visibility.MEMBERS
    )

    response = client.get("/publishers/translators-desk/")

    assertNotContains(response, "Draft story")
    assertNotContains(response, "Members briefing")
    assertContains(
        response,
        '<li class="empty">The Translator\'s Desk has not published a stream yet.</li>',
        html=True,
    )


def test_publisher_page_does_not_list_another_publishers_streams(client, publisher_a, stream_b):
    response = client.get("/publishers/translators-desk/")

    assertNotContains(response, "Flood watch")


def test_unknown_publisher_gives_the_sites_404_page(client, db):
    response = client.get("/publishers/no-such-journal/")

    assertContains(response, "We could not find that page", status_code=404)
