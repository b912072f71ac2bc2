"""``/api/publishers`` and ``/api/publishers/<slug>``."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fixtures_api import PERSONAS, slugs


def test_publishers_are_listed_by_name(client, publisher_a, publisher_b):
    answer = client.get("/api/publishers").json()

    assert slugs(answer) == ["harbour-light", "translators-desk"]
    assert answer["count"] == 2


def test_a_publisher_says_what_it_is_and_where_its_streams_are(client, publisher_a):
    publisher_a.website = "https://desk.example/"
    publisher_a.time_zone = "Europe/London"
    publisher_a.save()

    answer = client.get("/api/publishers/translators-desk").json()

    assert answer == {
        "slug": "translators-desk",
        "name": "The Translator's Desk",
        "url": "http://testserver/publishers/translators-desk/",
        "api_url": "http://testserver/api/publishers/translators-desk",
        "description": "Russian-to-English translation journal, with original analysis.",
        "website": "https://desk.example/",
        "logo_url": None,
        "time_zone": "Europe/London",
        "streams_url": "http://testserver/api/streams?publisher=translators-desk",
        "feed_url": "http://testserver/publishers/translators-desk/feed/",
    }


def test_an_unknown_publisher_is_404_json(client, db):
    response = client.get("/api/publishers/nobody")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize("slug", ["bad%20slug", "%00", "é", "x" * 101])
def test_a_malformed_slug_is_refused_without_a_query(client, db, slug, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(f"/api/publishers/{slug}")

    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_reads_the_same_publishers(client_as, request, publisher_a, persona):
    client = client_as(request.getfixturevalue(persona))

    assert client.get("/api/publishers/translators-desk").status_code == 200


def test_the_list_costs_the_same_queries_whatever_its_length(client, db, django_assert_num_queries):
    factories.PublisherFactory()
    with django_assert_num_queries(2):
        client.get("/api/publishers?limit=100")
    factories.PublisherFactory.create_batch(40)
    with django_assert_num_queries(2):
        assert len(client.get("/api/publishers?limit=100").json()["items"]) == 41
