"""accounts.adapter.AccountAdapter: sign-up gate, profiles, and security notices by preference."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context
from django.core import mail
from django.test import RequestFactory

from accounts.services import handle_base, profile_create
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403


@pytest.fixture
def http_request(db):
    request = RequestFactory().get("/")
    request.session = {}
    return request


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Anna Kowalska", "anna@example.net", "anna-kowalska"),
        ("Анна Ковальская", "anna.k@example.net", "annak"),
        ("!!!", "+++@example.net", "member"),
        ("A" * 80, "a@example.net", "a" * 34),
    ],
)
def test_handles_come_from_the_name_then_the_address(name, email, expected):
    assert handle_base(name, email) == expected


def test_profile_handles_get_a_number_on_a_clash(db):
    factories.ProfileFactory(handle="anna")
    factories.ProfileFactory(handle="anna-2")
    user = factories.UserFactory(email="anna@example.net")

    profile = profile_create(user=user, display_name="Anna")

    assert (profile.display_name, profile.handle) == ("Anna", "anna-3")


def test_signup_is_closed_without_an_invitation_in_the_session(http_request):
    assert get_adapter(http_request).is_open_for_signup(http_request) is False


def test_signup_is_closed_for_a_stale_session_value(http_request):
    http_request.session["invitation_id"] = "1; DROP TABLE"
    assert get_adapter(http_request).is_open_for_signup(http_request) is False


@pytest.mark.parametrize(("wants", "sent"), [(True, 1), (False, 0)])
def test_security_notices_follow_the_preference(http_request, wants, sent):
    user = factories.UserFactory(email="anna@example.net", email_security_notices=wants)
    http_request.META["REMOTE_ADDR"] = "127.0.0.1"
    with context.request_context(http_request):
        get_adapter(http_request).send_notification_mail(
            "account/email/password_changed", user, email="anna@example.net"
        )

    assert len(mail.outbox) == sent
