"""What every answer under /api/ shares: JSON errors, ETags and 304, Cache-Control, CORS,
the rate limit, and the OpenAPI document."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fixtures_api import bearer, members_only_stream, token_for

PUBLIC = "public, max-age=5, stale-while-revalidate=30"
PRIVATE = "private, max-age=0"


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


# The document


def test_the_openapi_document_is_at_api_openapi_json(client, db):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Pressimus API"
    assert set(document["paths"]) == {
        "/api/",
        "/api/publishers",
        "/api/publishers/{slug}",
        "/api/streams",
        "/api/streams/{slug}",
        "/api/streams/{slug}/entries",
        "/api/streams/{slug}/entries/{entry_id}",
        "/api/sources",
        "/api/sources/{slug}",
        "/api/sources/{slug}/entries",
        "/api/search",
    }
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    limit = next(
        parameter
        for parameter in document["paths"]["/api/streams/{slug}/entries"]["get"]["parameters"]
        if parameter["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 100


def test_the_index_names_every_collection(client, db):
    assert client.get("/api/").json() == {
        "publishers": "http://testserver/api/publishers",
        "streams": "http://testserver/api/streams",
        "sources": "http://testserver/api/sources",
        "search": "http://testserver/api/search",
        "openapi": "http://testserver/api/openapi.json",
    }


# Errors are JSON everywhere


@pytest.mark.parametrize(
    "path", ["/api/nowhere", "/api/streams/syria/entries/1/extra", "/api/streams/"]
)
def test_an_unknown_address_under_api_is_404_json(client, db, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "openapi.json" in response.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_writing_methods_are_405_json_even_with_a_session_and_no_csrf_token(
    client_as, member, stream_a, method
):
    client = client_as(member)
    client.handler.enforce_csrf_checks = True

    response = getattr(client, method)("/api/streams/syria")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD"


def test_a_write_to_an_unknown_address_is_404_json(client, db):
    response = client.post("/api/nowhere")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_head_answers_as_get_without_the_body(client, stream_a):
    get = client.get("/api/streams/syria")
    head = client.head("/api/streams/syria")

    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]
    assert head["Content-Length"] == str(len(get.content))


# ETag and 304


def test_an_answer_has_a_strong_etag_from_its_content(client, stream_a):
    first = client.get("/api/streams/syria")
    again = client.get("/api/streams/syria")
    stream_a.title = "Syria: December 24"
    stream_a.save()
    changed = client.get("/api/streams/syria")

    assert first["ETag"].startswith('"')
    assert first["ETag"] == again["ETag"]
    assert changed["ETag"] != first["ETag"]


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_with_the_current_etag_is_304(client, stream_a, form):
    etag = client.get("/api/streams/syria/entries")["ETag"]

    response = client.get("/api/streams/syria/entries", HTTP_IF_NONE_MATCH=form.format(etag=etag))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == PUBLIC


def test_if_none_match_with_an_old_etag_is_the_new_answer(client, stream_a):
    etag = client.get("/api/streams/syria/entries")["ETag"]
    factories.EntryFactory(stream=stream_a)

    response = client.get("/api/streams/syria/entries", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_a_members_304_stays_private(client, member, members_stream):
    secret = token_for(member)
    etag = client.get("/api/streams/closed", **bearer(secret))["ETag"]

    response = client.get("/api/streams/closed", HTTP_IF_NONE_MATCH=etag, **bearer(secret))

    assert response.status_code == 304
    assert response["Cache-Control"] == PRIVATE


# Cache-Control and CORS


def test_anonymous_answers_are_public_and_open_to_any_site(client, stream_a):
    response = client.get("/api/streams/syria", HTTP_ORIGIN="https://elsewhere.example")

    assert response["Cache-Control"] == PUBLIC
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert set(response["Vary"].split(", ")) >= {"Authorization", "Cookie"}


def test_the_document_is_public_and_open_to_any_site(client, db):
    response = client.get("/api/openapi.json")

    assert response["Cache-Control"] == PUBLIC
    assert response["Access-Control-Allow-Origin"] == "*"


def test_anonymous_errors_are_readable_by_any_site_and_never_cached(client, db):
    response = client.get("/api/streams/nowhere")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


def test_a_token_holders_answers_are_private_and_not_open_to_other_sites(client, member, stream_a):
    response = client.get("/api/streams/syria", **bearer(token_for(member)))

    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE
    assert "Access-Control-Allow-Origin" not in response


def test_a_signed_in_members_answers_are_private_and_not_open_to_other_sites(
    client_as, member, stream_a
):
    response = client_as(member).get("/api/streams/syria")

    assert response["Cache-Control"] == PRIVATE
    assert "Access-Control-Allow-Origin" not in response


def test_a_refused_token_is_not_open_to_other_sites(client, stream_a):
    response = client.get("/api/streams/syria", **bearer("pmus_nothing"))

    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response
    assert response["Cache-Control"] == "no-store"


# Rate limit


@pytest.fixture
def three_a_minute(settings):
    settings.API_RATE_LIMIT = "3/m"


@pytest.mark.usefixtures("three_a_minute")
def test_past_the_limit_a_client_gets_429_json_with_retry_after(client, stream_a):
    for _ in range(3):
        assert client.get("/api/streams/syria").status_code == 200

    response = client.get("/api/streams/syria")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "try again in" in response.json()["detail"]
    assert response["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("three_a_minute")
def test_the_limit_is_counted_per_client(client, member, stream_a):
    secret = token_for(member)
    for _ in range(3):
        client.get("/api/streams/syria")
    assert client.get("/api/streams/syria").status_code == 429

    # Another address, and a token, each have their own count.
    assert client.get("/api/streams/syria", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/api/streams/syria", **bearer(secret)).status_code == 200


@pytest.mark.usefixtures("three_a_minute")
def test_one_ipv6_client_is_counted_by_its_64(client, stream_a):
    for suffix in ("1", "2", "3"):
        client.get("/api/streams/syria", REMOTE_ADDR=f"2001:db8::{suffix}")

    assert client.get("/api/streams/syria", REMOTE_ADDR="2001:db8::ff").status_code == 429
    assert client.get("/api/streams/syria", REMOTE_ADDR="2001:db8:0:1::1").status_code == 200


@pytest.mark.usefixtures("three_a_minute")
def test_guessing_tokens_counts_against_the_address(client, stream_a):
    for _ in range(3):
        assert client.get("/api/streams/syria", **bearer("pmus_guess")).status_code == 401

    assert client.get("/api/streams/syria", **bearer("pmus_guess")).status_code == 429


def test_the_window_starts_again(client, stream_a, settings, time_machine):
    settings.API_RATE_LIMIT = "2/m"
    time_machine.move_to("2015-12-23 18:00:10Z", tick=False)
    client.get("/api/streams/syria")
    client.get("/api/streams/syria")
    assert client.get("/api/streams/syria").status_code == 429

    time_machine.move_to("2015-12-23 18:01:00Z", tick=False)

    assert client.get("/api/streams/syria").status_code == 200
