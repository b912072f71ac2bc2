"""The back office: signed in through allauth; staff need two-factor used in this session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from accounts.admin_mfa import CONFIRM_MESSAGE, SETUP_MESSAGE
from tests import factories

ADMIN = "/admin/"
STREAMS_ADMIN = "/admin/streams/stream/"
LOGIN = "/accounts/login/"
# On the boundary of a TOTP period, so that shifting the clock by one period gives a new code.
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.ADMIN_REQUIRE_MFA = True


@pytest.fixture(autouse=True)
def _clock():
    # allauth remembers used codes and counts attempts in the cache, shared between tests.
    cache.clear()
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
    cache.clear()


@pytest.fixture(params=["staff", "editor_a", "superuser"])
def staff_person(request):
    """Everyone who may enter the admin: a staff reviewer, an editor, a superuser."""
    user = request.getfixturevalue(request.param)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def totp_secret_for(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def code_now(secret: str) -> str:
    counter = int(datetime.now(tz=UTC).timestamp()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client, user, secret: str, *, next_url: str = ADMIN):
    """Sign in as allauth asks: e-mail and password, then the authenticator app's code."""
    response = client.post(
        f"{LOGIN}?next={next_url}",
        {"login": user.email, "password": factories.PASSWORD, "next": next_url},
    )
    assertRedirects(response, reverse("mfa_authenticate"), fetch_redirect_response=False)
    return client.post(reverse("mfa_authenticate"), {"code": code_now(secret)})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Who is let in at all


def test_anonymous_visitor_of_the_admin_is_sent_to_the_sites_login(client, db):
    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain[-1] == (f"{LOGIN}?next=%2Fadmin%2F", 302)
    assert response.status_code == 200


def test_admin_login_page_hands_over_to_allauth(client, db):
    response = client.get(f"/admin/login/?next={STREAMS_ADMIN}")

    assertRedirects(
        response, f"{LOGIN}?next=%2Fadmin%2Fstreams%2Fstream%2F", fetch_redirect_response=False
    )


def test_member_is_refused_by_the_admin(client_as, member):
    response = client_as(member).get(ADMIN, follow=True)

    assert response.status_code == 403


def test_member_with_two_factor_is_still_refused(client, member):
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    secret = totp_secret_for(member)
    sign_in(client, member, secret)

    response = client.get(ADMIN, follow=True)

    assert response.status_code == 403


# Staff without an authenticator


def test_staff_without_an_authenticator_is_sent_to_set_up_two_factor(client_as, staff_person):
    response = client_as(staff_person).get(ADMIN)

    assertRedirects(response, reverse("mfa_index"), fetch_redirect_response=False)
    assert messages_of(response) == [SETUP_MESSAGE]


def test_every_admin_page_asks_for_two_factor_not_only_the_index(client_as, staff):
    response = client_as(staff).get(STREAMS_ADMIN)

    assertRedirects(response, reverse("mfa_index"), fetch_redirect_response=False)


def test_setup_page_explains_that_the_back_office_requires_two_factor(client_as, staff):
    response = client_as(staff).get(ADMIN, follow=True)

    assert response.status_code == 200
    assertContains(response, "requires two-factor authentication")


def test_recovery_codes_alone_are_no_second_factor(client_as, staff):
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "0" * 40}
    )

    response = client_as(staff).get(ADMIN)

    assertRedirects(response, reverse("mfa_index"), fetch_redirect_response=False)


def test_staff_without_two_factor_still_reads_the_site(client_as, staff, stream_a):
    client = client_as(staff)

    assert client.get("/").status_code == 200
    assert client.get(stream_a.get_absolute_url()).status_code == 200


# Staff with an authenticator, not used this session


def test_staff_with_totp_not_used_this_session_is_asked_to_confirm_it(client_as, staff_person):
    totp_secret_for(staff_person)

    response = client_as(staff_person).get(STREAMS_ADMIN)

    assertRedirects(
        response,
        f"{reverse('mfa_reauthenticate')}?next=%2Fadmin%2Fstreams%2Fstream%2F",
        fetch_redirect_response=False,
    )
    assert messages_of(response) == [CONFIRM_MESSAGE]


def test_staff_with_a_security_key_only_is_asked_for_the_key(client_as, staff):
    Authenticator.objects.create(user=staff, type=Authenticator.Type.WEBAUTHN, data={})

    response = client_as(staff).get(ADMIN)

    assertRedirects(
        response,
        f"{reverse('mfa_reauthenticate_webauthn')}?next=%2Fadmin%2F",
        fetch_redirect_response=False,
    )


def test_confirming_with_a_code_leads_back_to_the_admin_page_asked_for(client_as, superuser):
    secret = totp_secret_for(superuser)
    client = client_as(superuser)
    asked = client.get(STREAMS_ADMIN)

    confirmed = client.post(asked["Location"], {"code": code_now(secret)})

    assertRedirects(confirmed, STREAMS_ADMIN, fetch_redirect_response=False)
    assert client.get(STREAMS_ADMIN).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed(client_as, staff):
    secret = totp_secret_for(staff)
    wrong = f"{(int(code_now(secret)) + 1) % 10**6:06}"
    client = client_as(staff)
    asked = client.get(ADMIN)

    refused = client.post(asked["Location"], {"code": wrong})

    assert refused.status_code == 200
    assertContains(refused, "Incorrect code")
    assert client.get(ADMIN).status_code == 302


def test_confirming_with_the_password_does_not_open_the_admin(client_as, staff):
    totp_secret_for(staff)
    client = client_as(staff)
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})

    response = client.get(ADMIN)

    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


# Signing in with two-factor


def test_staff_signing_in_with_password_and_code_enters_the_admin(client, staff_person):
    secret = totp_secret_for(staff_person)

    response = sign_in(client, staff_person, secret)

    assertRedirects(response, ADMIN, fetch_redirect_response=False)
    assert client.get(ADMIN).status_code == 200


def test_signing_in_leads_to_the_admin_page_asked_for(client, superuser):
    EmailAddress.objects.create(user=superuser, email=superuser.email, verified=True, primary=True)
    secret = totp_secret_for(superuser)
    first = client.get(STREAMS_ADMIN, follow=True)
    assert first.redirect_chain[-1][0].startswith(LOGIN)

    response = sign_in(client, superuser, secret, next_url=STREAMS_ADMIN)

    assertRedirects(response, STREAMS_ADMIN, fetch_redirect_response=False)
    assert client.get(STREAMS_ADMIN).status_code == 200


def test_two_factor_stays_valid_for_the_rest_of_the_session(client, staff, _clock):
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    secret = totp_secret_for(staff)
    sign_in(client, staff, secret)

    _clock.shift(timedelta(hours=3))

    assert client.get(ADMIN).status_code == 200


def test_the_password_alone_does_not_sign_staff_with_two_factor_in(client, staff):
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    totp_secret_for(staff)
    client.post(LOGIN, {"login": staff.email, "password": factories.PASSWORD, "next": ADMIN})

    response = client.get(ADMIN, follow=True)

    # Still at the second step of signing in, never in the admin.
    assert response.redirect_chain[-1] == (reverse("mfa_authenticate"), 302)
    assert "_auth_user_id" not in client.session


def test_removing_the_last_authenticator_closes_the_admin_again(client, staff):
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    secret = totp_secret_for(staff)
    sign_in(client, staff, secret)

    Authenticator.objects.filter(user=staff).delete()

    assertRedirects(client.get(ADMIN), reverse("mfa_index"), fetch_redirect_response=False)


# Turned off, and signing out


def test_with_mfa_not_required_staff_enter_the_admin_as_before(settings, client_as, staff):
    settings.ADMIN_REQUIRE_MFA = False

    assert client_as(staff).get(ADMIN).status_code == 200


def test_admin_log_out_signs_out_through_allauth_even_without_two_factor(client_as, staff):
    client = client_as(staff)

    response = client.post("/admin/logout/")

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert messages_of(response) == ["You have signed out."]
    assert "_auth_user_id" not in client.session


def test_admin_log_out_link_opened_by_get_asks_to_confirm_on_the_sites_page(client_as, staff):
    response = client_as(staff).get("/admin/logout/")

    assertRedirects(response, reverse("account_logout"), fetch_redirect_response=False)


# Back-office pages outside the admin's URLs: an entry's preview


@pytest.fixture
def draft(stream_a):
    return factories.EntryFactory(stream=stream_a, title="Embargoed until noon", status="draft")


def _preview_url(entry) -> str:
    return reverse("streams:entry_preview", kwargs={"slug": entry.stream.slug, "pk": entry.pk})


@pytest.fixture(params=["writer_a", "editor_a", "superuser"])
def back_office_person(request):
    """Everyone who may preview an entry of publisher A."""
    user = request.getfixturevalue(request.param)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_a_preview_asks_for_two_factor_like_the_admin_does(client_as, back_office_person, draft):
    response = client_as(back_office_person).get(_preview_url(draft))

    assertRedirects(response, reverse("mfa_index"), fetch_redirect_response=False)
    assert messages_of(response) == [SETUP_MESSAGE]


def test_a_session_without_two_factor_never_shows_a_draft_in_preview(
    client_as, back_office_person, draft
):
    totp_secret_for(back_office_person)

    response = client_as(back_office_person).get(_preview_url(draft))

    assert response.status_code == 302
    assert "Embargoed until noon" not in response.content.decode()
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_a_preview_opens_once_two_factor_was_used_this_session(client, back_office_person, draft):
    secret = totp_secret_for(back_office_person)
    sign_in(client, back_office_person, secret, next_url=_preview_url(draft))

    response = client.get(_preview_url(draft))

    assertContains(response, "Embargoed until noon")


def test_a_member_gets_no_preview_whatever_their_two_factor(client, member, draft):
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    secret = totp_secret_for(member)
    sign_in(client, member, secret, next_url="/")

    assert client.get(_preview_url(draft)).status_code == 404
