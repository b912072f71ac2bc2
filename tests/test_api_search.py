"""``/api/search?q=``: the search page's search, filters and visibility, as JSON.

Holds on SQLite (every word matched) and PostgreSQL (full-text search).
"""

from __future__ import annotations

import pytest

from streams import search
from tests import factories
from tests.fixtures_api import PERSONAS, bearer, members_only_stream, token_for
from tests.fixtures_pages import minutes_ago

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


URL = "/api/search"


@pytest.fixture(autouse=True)
def _documents_refresh_at_once(monkeypatch):
    # Tests run in a transaction that never commits: documents are refreshed at once.
    monkeypatch.setattr(search, "_after_commit", lambda refresh: refresh())


def found(answer: dict) -> list[int]:
    return [item["entry"]["id"] for item in answer["items"]]


def test_entries_are_found_by_their_words_and_quoted_sources(client, stream_a, source):
    quoting = factories.EntryFactory(
        stream=stream_a, text="<p>Shelling near the market.</p>", quotes=[source]
    )
    factories.EntryFactory(stream=stream_a, text="<p>Nothing to see.</p>")

    assert found(client.get(URL, {"q": "shelling"}).json()) == [quoting.pk]
    assert found(client.get(URL, {"q": "amnesty"}).json()) == [quoting.pk]


def test_a_result_has_a_heading_a_snippet_and_the_whole_entry(client, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, title="", text="<p>Witnesses describe shelling near the market.</p>"
    )

    answer = client.get(URL, {"q": "shelling"}).json()

    assert answer["query"] == "shelling"
    assert answer["count"] == 1
    result = answer["items"][0]
    assert result["heading"] == "Witnesses describe shelling near the market."
    assert "<mark>shelling</mark>" in result["snippet_html"]
    assert result["entry"]["id"] == entry.pk
    assert result["entry"]["blocks"][0]["kind"] == "text"


def test_the_filters_of_the_search_page_apply(client, stream_a, stream_b, source):
    in_a = factories.EntryFactory(stream=stream_a, text="<p>Flood warning.</p>", quotes=[source])
    factories.EntryFactory(stream=stream_b, text="<p>Flood warning.</p>")

    assert found(client.get(URL, {"q": "flood", "stream": "syria"}).json()) == [in_a.pk]
    assert found(client.get(URL, {"q": "flood", "publisher": "translators-desk"}).json()) == [
        in_a.pk
    ]
    assert found(client.get(URL, {"q": "flood", "source": "amnesty"}).json()) == [in_a.pk]


def test_dates_filter_by_day(client, stream_a):
    factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>", published_at=minutes_ago(5))

    assert client.get(URL, {"q": "flood", "from": "2015-12-23"}).json()["count"] == 1
    assert client.get(URL, {"q": "flood", "to": "2015-12-22"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ({"q": "x", "from": "yesterday"}, "query.from"),
        ({"q": "x", "from": "2015-12-24", "to": "2015-12-01"}, "query.to"),
        ({"q": "x", "stream": "no-such-stream"}, "query.stream"),
        ({"q": "x", "page": "0"}, "query.page"),
        ({}, "query.q"),
    ],
)
def test_bad_parameters_are_400_with_the_search_pages_words(client, db, query, location):
    response = client.get(URL, query)

    assert response.status_code == 400
    assert location in [error["location"] for error in response.json()["errors"]]


def test_a_page_past_the_results_is_404(client, stream_a):
    factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>")

    assert client.get(URL, {"q": "flood", "page": "2"}).status_code == 404


def test_results_page_twenty_at_a_time(client, stream_a):
    for i in range(23):
        factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>", published_at=minutes_ago(i))

    first = client.get(URL, {"q": "flood"}).json()
    second = client.get(first["next"]).json()

    assert (len(first["items"]), len(second["items"])) == (20, 3)
    assert second["next"] is None
    assert set(found(first)).isdisjoint(found(second))


def test_members_only_entries_are_not_found_anonymously(client, stream_a, members_stream):
    public = factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>")
    factories.EntryFactory(stream=members_stream, text="<p>Flood.</p>")

    assert found(client.get(URL, {"q": "flood"}).json()) == [public.pk]
    # Naming the members-only stream tells nothing either: the search page's own words.
    response = client.get(URL, {"q": "flood", "stream": "closed"})
    assert response.status_code == 400
    assert "No stream has the address “closed”" in response.json()["detail"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_members_only_entries_are_found_by_signed_in_personas(
    client_as, request, members_stream, persona
):
    closed = factories.EntryFactory(stream=members_stream, text="<p>Flood.</p>")
    client = client_as(request.getfixturevalue(persona))

    assert found(client.get(URL, {"q": "flood"}).json()) == [closed.pk]


def test_members_only_entries_are_found_with_a_token(client, member, members_stream):
    closed = factories.EntryFactory(stream=members_stream, text="<p>Flood.</p>")

    answer = client.get(URL, {"q": "flood"}, **bearer(token_for(member))).json()

    assert found(answer) == [closed.pk]


def test_a_page_of_results_costs_the_same_queries_whatever_its_length(
    client, stream_a, source, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>", quotes=[source])
    with django_assert_num_queries(4):  # the count, the page, its blocks, its bylines
        client.get(URL, {"q": "flood"})
    for _ in range(15):
        factories.EntryFactory(stream=stream_a, text="<p>Flood.</p>", quotes=[source])
    with django_assert_num_queries(4):
        assert client.get(URL, {"q": "flood"}).json()["count"] == 16
