"""``/api/sources``, ``/api/sources/<slug>`` and the entries quoting a source, across every
stream the reader may read."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fixtures_api import (
    PERSONAS,
    bearer,
    ids,
    members_only_stream,
    slugs,
    token_for,
)
from tests.fixtures_pages import minutes_ago

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


def test_sources_are_listed_by_name(client, source):
    factories.SourceFactory(name="Al Jazeera", slug="al-jazeera")

    assert slugs(client.get("/api/sources").json()) == ["al-jazeera", "amnesty"]


def test_a_source_says_what_it_is(client, source):
    answer = client.get("/api/sources/amnesty").json()

    assert answer == {
        "slug": "amnesty",
        "name": "Amnesty International",
        "home_page": "https://www.amnesty.org/",
        "url": "http://testserver/sources/amnesty/",
        "api_url": "http://testserver/api/sources/amnesty",
        "kind": "ngo",
        "kind_name": "NGO",
        "domain": "amnesty.org",
        "description": "",
        "entries_url": "http://testserver/api/sources/amnesty/entries",
    }


def test_an_unknown_source_is_404(client, db):
    assert client.get("/api/sources/nobody").status_code == 404
    assert client.get("/api/sources/nobody/entries").status_code == 404


def test_entries_quoting_a_source_come_from_every_public_stream(client, stream_a, stream_b, source):
    older = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(9), quotes=[source])
    newer = factories.EntryFactory(stream=stream_b, published_at=minutes_ago(2), quotes=[source])
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    # Quoted twice, listed once.
    twice = factories.EntryFactory(
        stream=stream_b, published_at=minutes_ago(5), quotes=[source, source]
    )

    answer = client.get("/api/sources/amnesty/entries").json()

    assert ids(answer) == [newer.pk, twice.pk, older.pk]
    assert [item["stream"]["slug"] for item in answer["items"]] == [
        "flood-watch",
        "flood-watch",
        "syria",
    ]


def test_entries_quoting_a_source_page_by_cursor_oldest_first(client, stream_a, source):
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10 - i), quotes=[source])
        for i in range(5)
    ]

    first = client.get("/api/sources/amnesty/entries?order=oldest&limit=3").json()
    second = client.get(first["next"]).json()

    assert ids(first) + ids(second) == [entry.pk for entry in entries]
    assert second["next_cursor"] is None


def test_a_malformed_cursor_is_400(client, source):
    response = client.get("/api/sources/amnesty/entries?cursor=yesterday")

    assert response.status_code == 400


def test_members_only_quotes_are_left_out_for_anonymous_readers(
    client, stream_a, members_stream, source
):
    public = factories.EntryFactory(stream=stream_a, quotes=[source])
    factories.EntryFactory(stream=members_stream, quotes=[source])

    assert ids(client.get("/api/sources/amnesty/entries").json()) == [public.pk]


@pytest.mark.parametrize("persona", PERSONAS)
def test_members_only_quotes_are_listed_for_signed_in_personas(
    client_as, request, stream_a, members_stream, source, persona
):
    factories.EntryFactory(stream=stream_a, quotes=[source], published_at=minutes_ago(9))
    closed = factories.EntryFactory(
        stream=members_stream, quotes=[source], published_at=minutes_ago(1)
    )
    client = client_as(request.getfixturevalue(persona))

    answer = client.get("/api/sources/amnesty/entries").json()

    assert ids(answer)[0] == closed.pk
    assert answer["items"][0]["stream"]["members_only"] is True


def test_members_only_quotes_are_listed_for_a_token(client, member, members_stream, source):
    closed = factories.EntryFactory(stream=members_stream, quotes=[source])

    answer = client.get("/api/sources/amnesty/entries", **bearer(token_for(member))).json()

    assert ids(answer) == [closed.pk]


def test_entries_quoting_cost_the_same_queries_whatever_their_number(
    client, stream_a, stream_b, source, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, quotes=[source])
    # The source, the page (with streams and publishers), its blocks, its bylines.
    with django_assert_num_queries(4):
        client.get("/api/sources/amnesty/entries?limit=100")
    for i in range(20):
        factories.EntryFactory(stream=stream_a if i % 2 else stream_b, quotes=[source])
    with django_assert_num_queries(4):
        assert len(client.get("/api/sources/amnesty/entries?limit=100").json()["items"]) == 21


def test_the_list_costs_the_same_queries_whatever_its_length(
    client, source, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the count, the page
        client.get("/api/sources?limit=100")
    factories.SourceFactory.create_batch(30)
    with django_assert_num_queries(2):
        assert len(client.get("/api/sources?limit=100").json()["items"]) == 31
