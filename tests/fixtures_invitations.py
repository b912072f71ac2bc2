"""Fixtures and helpers for the invitation tests: a reviewer, requests in each state, the link.

A test module takes the fixtures with ``from tests.fixtures_invitations import *`` (only
those in ``__all__``) and imports the helpers by name; ``_fresh_cache`` is autouse there,
so throttles never carry over between tests.
"""

from __future__ import annotations

import re
import smtplib
from importlib import import_module
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend

from invitations import services
from invitations.models import InvitationRequest
from tests import factories

__all__ = ["_fresh_cache", "failing_mail", "invited", "pending_request", "reviewer"]

BASE_URL = "http://testserver"
SIGNUP_PATH = "/accounts/signup/"
_ACCEPT_LINK = re.compile(r"https?://[^\s\"<>]+/invitations/accept/[^\s\"<>/]+/")


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that refuses every message, as a broken SMTP relay does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available, closing transmission channel")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The rate limits live in the cache, keyed by the client's address (always 127.0.0.1).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = "tests.fixtures_invitations.FailingEmailBackend"


def reviewers_group() -> Group:
    """The group migration 0002 makes; made again after a transactional test's flush."""
    group, created = Group.objects.get_or_create(name="Reviewers")
    if created:
        codenames = import_module("invitations.migrations.0002_reviewers_group").PERMISSIONS
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="invitations", codename__in=codenames)
        )
    return group


@pytest.fixture
def reviewer(db):
    """The staff reviewer persona: staff, in the Reviewers group."""
    user = factories.UserFactory(email="reviewer@example.org", is_staff=True)
    user.groups.add(reviewers_group())
    return user


def make_request(**fields) -> InvitationRequest:
    values = {
        "name": "Anna Kowalska",
        "email": "anna@example.net",
        "organisation": "The Interpreter",
        "reason": "I translate Russian press for a living.",
        **fields,
    }
    return InvitationRequest.objects.create(**values)


@pytest.fixture
def pending_request(db) -> InvitationRequest:
    return make_request()


def accept_link(message) -> str:
    """The accept link of an invitation e-mail, checked to be the same in text and HTML."""
    text_links = _ACCEPT_LINK.findall(message.body)
    html_body = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    html_links = _ACCEPT_LINK.findall(html_body)
    assert text_links, "the text body has no accept link"
    assert set(html_links) == {text_links[0]}, "the HTML body links elsewhere"
    return text_links[0]


def accept_path(message) -> str:
    return urlsplit(accept_link(message)).path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def approve(invitation_request: InvitationRequest, reviewer=None) -> str:
    """Approve through the service; returns the accept path from the e-mail sent."""
    sent_before = len(mail.outbox)
    services.invitation_approve(request=invitation_request, reviewer=reviewer, base_url=BASE_URL)
    assert len(mail.outbox) == sent_before + 1
    return accept_path(mail.outbox[-1])


@pytest.fixture
def invited(pending_request, reviewer) -> str:
    """An approved request: the path of its accept link."""
    return approve(pending_request, reviewer)


def accept_into_session(client, path: str):
    response = client.post(path)
    assert response.status_code == 302, response.status_code
    assert response["Location"] == SIGNUP_PATH
    return response


def sign_up(client, password: str = "a-long-enough-passphrase", **extra):
    return client.post(SIGNUP_PATH, {"password1": password, "password2": password, **extra})
