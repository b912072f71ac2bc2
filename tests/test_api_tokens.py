"""Personal API tokens: created and revoked in /settings/, only a hash kept, and how the API
treats a good, revoked, unknown or malformed one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from api.models import TOKENS_PER_USER, ApiToken, hash_token
from api.services import api_token_authenticate, api_token_create
from tests import factories
from tests.fixtures_api import PERSONAS, bearer, members_only_stream, token_for

SETTINGS = "/settings/"
SECRET = re.compile(r'id="new-api-token" type="text" value="(pmus_[A-Za-z0-9_-]+)"')


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


def _create(client, name="Newsroom dashboard"):
    return client.post(SETTINGS, {"form": "api-token", "api-token-name": name})


# The settings page


def test_settings_offer_api_tokens(client_as, member):
    response = client_as(member).get(SETTINGS)

    assertContains(response, '<h2 id="api-tokens-heading">API tokens</h2>', html=True)
    assertContains(response, "You have no API tokens.")


def test_creating_a_token_shows_its_secret_once_and_keeps_only_its_hash(client_as, member):
    client = client_as(member)

    response = _create(client)

    assert response.status_code == 200
    secret = SECRET.search(response.content.decode())[1]
    token = ApiToken.objects.get(user=member)
    assert token.name == "Newsroom dashboard"
    assert token.token_hash == hash_token(secret)
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(secret in value or secret.removeprefix("pmus_") in value for value in stored)
    assert response["Cache-Control"].startswith("max-age=0")
    # Never again: the page lists it by name and hint only.
    again = client.get(SETTINGS)
    assertNotContains(again, secret)
    assertContains(again, "Newsroom dashboard")
    assertContains(again, token.display_hint)


def test_the_new_token_reads_members_only_content(client_as, client, member, members_stream):
    secret = SECRET.search(_create(client_as(member)).content.decode())[1]

    assert client.get("/api/streams/closed", **bearer(secret)).status_code == 200


def test_a_token_needs_a_name(client_as, member):
    response = _create(client_as(member), name="  ")

    assertContains(response, "Name the token")
    assert not ApiToken.objects.exists()


def test_a_person_holds_a_bounded_number_of_tokens(client_as, member):
    for i in range(TOKENS_PER_USER):
        token_for(member, name=f"t{i}")

    response = _create(client_as(member))

    assertContains(response, "revoke one you no longer use first")
    assert ApiToken.objects.filter(user=member).count() == TOKENS_PER_USER


def test_revoking_a_token_refuses_it_from_then_on(client_as, client, member, members_stream):
    secret = token_for(member)
    token = ApiToken.objects.get(user=member)
    assert client.get("/api/streams/closed", **bearer(secret)).status_code == 200

    response = client_as(member).post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/settings/#api-tokens"
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = client.get("/api/streams/closed", **bearer(secret))
    assert refused.status_code == 401
    assertNotContains(client_as(member).get(SETTINGS), token.display_hint)


def test_nobody_revokes_anothers_token(client_as, member, editor_b):
    token_for(member)
    token = ApiToken.objects.get(user=member)

    response = client_as(editor_b).post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_takes_a_post(client_as, member):
    token_for(member)
    token = ApiToken.objects.get(user=member)

    response = client_as(member).get(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.post(reverse("accounts:api_token_revoke", args=[1])).status_code == 302


def test_deleting_the_account_deletes_its_tokens(client_as, member):
    token_for(member)
    member.delete()

    assert not ApiToken.objects.exists()


# What the API makes of a token


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_personas_token_reads_members_streams(client, request, members_stream, persona):
    secret = token_for(request.getfixturevalue(persona))

    assert client.get("/api/streams/closed", **bearer(secret)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pmus_unknownunknownunknownunknownunknownunknown12",
        "Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "Bearer ",
        "Bearer",
        "Basic bWVtYmVyOnBhc3N3b3Jk",
        "pmus_without_a_scheme",
    ],
)
def test_an_unknown_or_malformed_token_is_401_json_whatever_else_the_request_holds(
    client, stream_a, members_stream, header
):
    # Even for a public stream, and for one that does not exist: a 401 says nothing of either.
    for path in ("/api/streams/syria", "/api/streams/closed", "/api/streams/nowhere"):
        response = client.get(path, HTTP_AUTHORIZATION=header)

        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": response.json()["detail"]}
        assert "not valid" in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer ")
        assert b"Inside the newsroom" not in response.content


def test_a_bad_token_is_refused_even_beside_a_good_session(client_as, member, members_stream):
    client = client_as(member)

    response = client.get("/api/streams/closed", **bearer("pmus_wrong"))

    assert response.status_code == 401


def test_a_token_of_a_deactivated_account_is_refused(client, member, members_stream):
    secret = token_for(member)
    member.is_active = False
    member.save()

    assert client.get("/api/streams/closed", **bearer(secret)).status_code == 401


def test_a_wrong_prefix_is_refused_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_token_authenticate(secret="sk_live_" + "x" * 40) is None


def test_last_used_is_kept_to_the_hour(client, member, stream_a, django_assert_num_queries):
    secret = token_for(member)

    client.get("/api/streams/syria", **bearer(secret))
    token = ApiToken.objects.get(user=member)
    assert token.last_used_at is not None
    with django_assert_num_queries(1):  # the token and its user, no write
        api_token_authenticate(secret=secret)


def test_a_secret_is_prefixed_and_long(db):
    created = api_token_create(user=factories.UserFactory(), name="x")

    assert created.secret.startswith("pmus_")
    assert len(created.secret) >= 45
    assert created.token.hint == created.secret[5:9]
