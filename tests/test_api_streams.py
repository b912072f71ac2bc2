"""``/api/streams`` and ``/api/streams/<slug>``: streams with their status, live ones first,
as the reader may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streams.models import Stream
from tests import factories
from tests.fixtures_api import PERSONAS, bearer, members_only_stream, slugs, token_for
from tests.fixtures_pages import NOW

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


def _stream(publisher, slug, *, status=Stream.Status.LIVE, hours_ago=1, **kwargs):
    return factories.StreamFactory(
        publisher=publisher,
        slug=slug,
        status=status,
        last_published_at=NOW - timedelta(hours=hours_ago),
        **kwargs,
    )


def test_live_streams_come_first_then_the_most_recent(client, publisher_a, publisher_b):
    _stream(publisher_a, "ended-recently", status=Stream.Status.ENDED, hours_ago=1)
    _stream(publisher_a, "live-older", hours_ago=5)
    _stream(publisher_b, "live-newer", hours_ago=2)
    _stream(publisher_b, "ended-long-ago", status=Stream.Status.ENDED, hours_ago=50)

    answer = client.get("/api/streams").json()

    assert slugs(answer) == ["live-newer", "live-older", "ended-recently", "ended-long-ago"]
    assert answer["count"] == 4
    assert answer["page"] == answer["pages"] == 1
    assert answer["next"] is answer["previous"] is None


def test_a_stream_says_its_status_publisher_and_addresses(client, stream_a):
    stream_a.summary = "What happened in Syria that day."
    stream_a.save()

    answer = client.get("/api/streams/syria").json()

    assert answer == {
        "slug": "syria",
        "title": "Syria: December 23",
        "summary": "What happened in Syria that day.",
        "status": "live",
        "members_only": False,
        "publisher": {
            "slug": "translators-desk",
            "name": "The Translator's Desk",
            "url": "http://testserver/publishers/translators-desk/",
            "api_url": "http://testserver/api/publishers/translators-desk",
        },
        "started_at": None,
        "ended_at": None,
        "last_published_at": None,
        "url": "http://testserver/streams/syria/",
        "api_url": "http://testserver/api/streams/syria",
        "entries_url": "http://testserver/api/streams/syria/entries",
        "feed_url": "http://testserver/streams/syria/feed/",
        "embed_url": "http://testserver/streams/syria/embed/",
    }


def test_drafts_are_never_listed_nor_served(client_as, editor_a, publisher_a, stream_a):
    _stream(publisher_a, "unready", status=Stream.Status.DRAFT)
    client = client_as(editor_a)

    assert slugs(client.get("/api/streams").json()) == ["syria"]
    assert client.get("/api/streams/unready").status_code == 404


def test_filtering_by_publisher_and_status(client, publisher_a, publisher_b):
    _stream(publisher_a, "a-live")
    _stream(publisher_a, "a-ended", status=Stream.Status.ENDED)
    _stream(publisher_b, "b-live")

    assert slugs(client.get("/api/streams?publisher=translators-desk").json()) == [
        "a-live",
        "a-ended",
    ]
    assert slugs(client.get("/api/streams?status=ended").json()) == ["a-ended"]
    assert slugs(client.get("/api/streams?publisher=nobody").json()) == []
    assert client.get("/api/streams?status=draft").status_code == 400


def test_numbered_pages_link_to_each_other(client, publisher_a):
    for i in range(5):
        _stream(publisher_a, f"s{i}", hours_ago=i + 1)

    first = client.get("/api/streams?limit=2").json()
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()

    assert [slugs(first), slugs(second), slugs(last)] == [["s0", "s1"], ["s2", "s3"], ["s4"]]
    assert first["pages"] == 3
    assert second["previous"] == "http://testserver/api/streams?limit=2&page=1"
    assert last["next"] is None


def test_a_page_past_the_end_is_404_json(client, stream_a):
    response = client.get("/api/streams?page=7")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no page 7: this list fills 1."}


@pytest.mark.parametrize("query", ["limit=100000", "limit=0", "page=0", "page=x"])
def test_bad_paging_parameters_are_400(client, query):
    response = client.get(f"/api/streams?{query}")

    assert response.status_code == 400
    assert response.json()["errors"]


# Who sees the members-only stream


def test_anonymous_readers_never_see_a_members_stream(client, stream_a, members_stream):
    assert slugs(client.get("/api/streams").json()) == ["syria"]
    response = client.get("/api/streams/closed")
    assert response.status_code == 404
    assert b"Inside the newsroom" not in response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_signed_in_personas_see_the_members_stream(
    client_as, request, stream_a, members_stream, persona
):
    client = client_as(request.getfixturevalue(persona))

    assert sorted(slugs(client.get("/api/streams").json())) == ["closed", "syria"]
    answer = client.get("/api/streams/closed").json()
    assert answer["members_only"] is True
    # Like the page: no feed and no embed for a members-only stream.
    assert answer["feed_url"] is None
    assert answer["embed_url"] is None


def test_a_token_sees_the_members_stream(client, member, members_stream):
    response = client.get("/api/streams/closed", **bearer(token_for(member)))

    assert response.status_code == 200
    assert response.json()["slug"] == "closed"


def test_a_list_costs_the_same_queries_whatever_its_length(
    client, publisher_a, publisher_b, django_assert_num_queries
):
    _stream(publisher_a, "one")
    with django_assert_num_queries(2):  # the count, the page with its publishers
        client.get("/api/streams?limit=100")
    for i in range(30):
        _stream(publisher_b if i % 2 else publisher_a, f"more-{i}")
    with django_assert_num_queries(2):
        assert len(client.get("/api/streams?limit=100").json()["items"]) == 31
