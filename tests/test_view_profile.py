"""A person's page at ``/people/<handle>/``: who they are and what they have bylined."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from streams.models import Stream
from tests import factories
from tests.fixtures_pages import (
    NOW,
    draft_entry,
    flow_ids,
    minutes_ago,
    person,
    scheduled_entry,
)

URL = "/people/james-miller/"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def james(db):
    return person(
        display_name="James Miller",
        handle="james-miller",
        bio="Managing editor. Covers Russia and Syria.",
    )


def test_profile_shows_display_name_and_bio(client, james):
    response = client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>James Miller</h1>", html=True)
    assertContains(response, "<p>Managing editor. Covers Russia and Syria.</p>", html=True)
    assertContains(
        response, '<span class="avatar avatar--initials" aria-hidden="true">JM</span>', html=True
    )


def test_profile_lists_published_entries_bylined_by_the_person_newest_first(
    client, james, stream_a, stream_b
):
    older = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30), bylines=[james])
    newer = factories.EntryFactory(
        stream=stream_b, published_at=minutes_ago(10), bylines=["Anna Guest", james]
    )

    response = client.get(URL)

    assert flow_ids(response) == [newer.pk, older.pk]
    assertContains(
        response,
        '<span class="entry__stream">in <a href="/streams/syria/">Syria: December 23</a>'
        " · The Translator's Desk</span>",
        html=True,
    )


def test_profile_does_not_list_unpublished_entries(client, james, stream_a):
    draft_entry(stream_a, title="Draft by James", bylines=[james])
    scheduled_entry(
        stream_a, published_at=NOW + timedelta(hours=1), title="Later by James", bylines=[james]
    )

    response = client.get(URL)

    assert flow_ids(response) == []
    assertNotContains(response, "Draft by James")
    assertNotContains(response, "Later by James")
    assertContains(response, "No published entries yet.")


@pytest.mark.parametrize(
    "hidden",
    [{"status": Stream.Status.DRAFT}, {"visibility": Stream.Visibility.MEMBERS}],
    ids=["draft stream", "members-only stream"],
)
def test_profile_does_not_list_entries_of_hidden_streams(client, james, publisher_a, hidden):
    stream = factories.StreamFactory(publisher=publisher_a, **hidden)
    factories.EntryFactory(stream=stream, bylines=[james])

    response = client.get(URL)

    assert flow_ids(response) == []


def test_profile_does_not_list_entries_by_others_or_by_a_plain_name_alike(client, james, stream_a):
    factories.EntryFactory(stream=stream_a, bylines=[person()])
    factories.EntryFactory(stream=stream_a, bylines=["James Miller"])

    response = client.get(URL)

    assert flow_ids(response) == []


def test_unknown_handle_gives_404(client, james):
    response = client.get("/people/nobody/")

    assertContains(response, "We could not find that page", status_code=404)


def test_profile_costs_a_bounded_number_of_queries(
    client, james, stream_a, source, django_assert_max_num_queries
):
    for n in range(5):
        factories.EntryFactory(
            stream=stream_a, published_at=minutes_ago(n), quotes=[source], bylines=[james, "Anna"]
        )

    with django_assert_max_num_queries(5):
        response = client.get(URL)

    assert len(flow_ids(response)) == 5
