"""/invitations/accept/<token>/ and sign-up: what a link allows, and every way to misuse it."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from accounts.models import Profile
from invitations import services
from invitations.models import Invitation, InvitationRequest
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import (
    BASE_URL,
    SIGNUP_PATH,
    accept_into_session,
    accept_path,
    approve,
    make_request,
    sign_up,
    token_of,
)

User = get_user_model()


def _invitee():
    return User.objects.filter(email="anna@example.net").first()


def test_get_shows_the_invitation_and_spends_nothing(client, invited):
    response = client.get(invited)

    assert response.status_code == 200
    assertContains(response, "<h1>Welcome to Pressimus, Anna Kowalska</h1>", html=True)
    assertContains(response, "<strong>anna@example.net</strong>", html=True)
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is None
    assert not Session.objects.exists()


def test_the_page_names_its_origin_but_never_its_url_to_anyone(client, invited):
    # "no-referrer" made browsers post "Origin: null", which the CSRF check refuses.
    response = client.get(invited)

    assert response["Referrer-Policy"] == "strict-origin"
    assertContains(response, '<meta name="referrer" content="strict-origin">', html=True)


def test_accepting_with_the_origin_a_browser_sends_passes_the_csrf_check(invited):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(invited, secure=True)
    token = page.context["csrf_token"]

    response = browser.post(
        invited,
        {"csrfmiddlewaretoken": token},
        secure=True,
        headers={"Origin": "https://testserver"},
    )

    assertRedirects(response, SIGNUP_PATH, fetch_redirect_response=False)


def test_accepting_with_a_null_origin_is_refused_with_a_readable_page(invited):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(invited, secure=True)

    response = browser.post(
        invited,
        {"csrfmiddlewaretoken": page.context["csrf_token"]},
        secure=True,
        headers={"Origin": "null"},
    )

    assert response.status_code == 403
    assertContains(response, "<h1>This form has expired</h1>", html=True, status_code=403)
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()


def test_a_mail_scanner_opening_the_link_twice_spends_nothing(client, invited):
    client.get(invited)
    client.get(invited)

    accept_into_session(client, invited)
    assert sign_up(client).status_code == 302
    assert _invitee() is not None


def test_post_exchanges_the_token_for_the_session_and_leaves_the_url(client, invited):
    response = client.post(invited)

    assertRedirects(response, SIGNUP_PATH)
    assert response["Referrer-Policy"] == "strict-origin"
    assert client.session["invitation_id"] == Invitation.objects.get().pk
    assert token_of(invited) not in str(dict(client.session))


def test_signup_without_an_invitation_is_closed_and_says_how_to_get_one(client, db):
    response = client.get(SIGNUP_PATH)

    assertContains(response, "<h1>Accounts are by invitation</h1>", html=True)
    assertContains(response, 'href="/invitations/request/"')
    response = sign_up(client, email="intruder@example.net")
    assertContains(response, "Accounts are by invitation")
    assert not User.objects.filter(email="intruder@example.net").exists()


def test_a_different_posted_address_is_ignored(client, invited):
    accept_into_session(client, invited)

    response = sign_up(client, email="someone-else@example.net")

    assert response.status_code == 302
    assert not User.objects.filter(email="someone-else@example.net").exists()
    user = _invitee()
    assert EmailAddress.objects.get(user=user).email == "anna@example.net"
    assert not EmailAddress.objects.filter(email="someone-else@example.net").exists()


def test_the_signup_form_shows_the_invited_address_fixed(client, invited):
    accept_into_session(client, invited)

    response = client.get(SIGNUP_PATH)

    assertContains(response, 'value="anna@example.net"')
    assertContains(response, "disabled")


def test_a_used_link_is_gone_and_explained(client, invited):
    accept_into_session(client, invited)
    sign_up(client)
    client.logout()

    for response in (client.get(invited), client.post(invited)):
        assertContains(
            response, "<h1>This invitation has already been used</h1>", html=True, status_code=410
        )
    assert User.objects.filter(email="anna@example.net").count() == 1


def test_an_expired_link_is_gone_and_explained(client, invited):
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        get = client.get(invited)
        post = client.post(invited)

    assertContains(get, "<h1>This invitation has expired</h1>", html=True, status_code=410)
    assertContains(post, 'href="/invitations/request/"', status_code=410)
    assert "invitation_id" not in client.session


def test_an_invitation_that_expires_after_accepting_cannot_sign_up(client, invited):
    accept_into_session(client, invited)

    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = sign_up(client)

    assertContains(response, "Accounts are by invitation")
    assert _invitee() is None


def test_a_tampered_token_is_unknown(client, invited):
    token = token_of(invited)
    tampered = invited.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    response = client.get(tampered)

    assertContains(
        response, "<h1>We do not recognise this invitation link</h1>", html=True, status_code=404
    )
    assert client.post(tampered).status_code == 404
    assert "invitation_id" not in client.session


def test_an_unknown_or_absurd_token_is_unknown(client, db):
    assert client.get("/invitations/accept/not-a-real-token/").status_code == 404
    assert client.get(f"/invitations/accept/{'x' * 5000}/").status_code == 404


def test_the_invalid_page_explains_how_to_request_an_invitation(client, db):
    response = client.get("/invitations/invalid/")

    assertContains(response, "<h1>This invitation cannot be used</h1>", html=True)
    assertContains(response, 'href="/invitations/request/"')
    assert client.get("/invitations/invalid/", {"reason": "used"}).status_code == 410
    assert client.get("/invitations/invalid/", {"reason": "<script>"}).status_code == 200


def test_a_resent_invitation_kills_the_old_link(client, invited, reviewer):
    request = InvitationRequest.objects.get()
    old_expiry = Invitation.objects.get().expires_at

    with time_machine.travel(timezone.now() + timedelta(days=3)):
        invitation = services.invitation_resend(
            request=request, reviewer=reviewer, base_url=BASE_URL
        )
    new_link = accept_path(mail.outbox[-1])

    assert new_link != invited
    assert invitation.expires_at > old_expiry
    assert client.get(invited).status_code == 404
    assert client.get(new_link).status_code == 200


def test_a_signed_in_member_is_told_to_sign_out_first(client_as, invited, member):
    member_client = client_as(member)

    response = member_client.get(invited)
    assertContains(response, "You are signed in as member@example.org")
    assert "Accept invitation</button>" not in response.content.decode()

    response = member_client.post(invited)
    assert response.status_code == 200
    assert "invitation_id" not in member_client.session


def test_an_invitation_for_an_address_that_got_an_account_meanwhile_makes_none(client, invited):
    factories.UserFactory(email="anna@example.net")
    accept_into_session(client, invited)

    response = sign_up(client)

    # allauth's enumeration-proof answer; no second account, the invitation still unspent.
    assert response.status_code == 302
    assert User.objects.filter(email="anna@example.net").count() == 1
    assert Invitation.objects.get().accepted_at is None


def test_a_lost_race_inside_signup_leaves_no_account(client, invited, monkeypatch):
    """Spent between the sign-up form's checks and its save: the account is rolled back."""
    accept_into_session(client, invited)
    real_accept = services.invitation_accept

    def spent_meanwhile(*, invitation_id, user):
        Invitation.objects.filter(pk=invitation_id).update(accepted_at=timezone.now())
        return real_accept(invitation_id=invitation_id, user=user)

    monkeypatch.setattr("accounts.adapter.invitation_accept", spent_meanwhile)

    response = sign_up(client)

    assertRedirects(response, "/invitations/invalid/?reason=used", target_status_code=410)
    assert _invitee() is None
    assert not Profile.objects.filter(display_name="Anna Kowalska").exists()
    assert not EmailAddress.objects.filter(email="anna@example.net").exists()
    assert "invitation_id" not in client.session
    assert client.session.get("account_verified_email") is None


def test_two_signups_with_one_invitation_in_turn_make_one_account(client, invited, db):
    second = Client()
    accept_into_session(client, invited)
    accept_into_session(second, invited)

    first_response = sign_up(client)
    second_response = sign_up(second)

    assert first_response["Location"] == "/"
    assertContains(second_response, "Accounts are by invitation")
    assert User.objects.filter(email="anna@example.net").count() == 1


def test_same_names_get_distinct_handles(client, reviewer, db):
    factories.ProfileFactory(display_name="Anna Kowalska", handle="anna-kowalska")
    path = approve(make_request(email="anna@example.net"), reviewer)
    accept_into_session(client, path)
    sign_up(client)

    assert _invitee().profile.handle == "anna-kowalska-2"
