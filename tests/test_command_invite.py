"""manage.py invite EMAIL: approve (or create and approve) a request and send the invitation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from invitations.models import Invitation, InvitationRequest
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import accept_link, approve, make_request


def invite(*args: str) -> str:
    out = StringIO()
    call_command("invite", *args, stdout=out)
    return out.getvalue()


def test_inviting_a_new_address_creates_and_approves_a_request(db):
    output = invite(
        "Boris@Example.net", "--name", "Boris Petrov", "--base-url", "https://p.example"
    )

    assert "Invitation sent to boris@example.net; it expires" in output
    request = InvitationRequest.objects.get()
    assert (request.name, request.email, request.status) == (
        "Boris Petrov",
        "boris@example.net",
        "approved",
    )
    [message] = mail.outbox
    assert accept_link(message).startswith("https://p.example/invitations/accept/")
    assert "Hello Boris Petrov" in message.body


def test_inviting_approves_a_pending_request_and_records_the_reviewer(pending_request, reviewer):
    invite("anna@example.net", "--base-url", "https://p.example", "--reviewer", reviewer.email)

    pending_request.refresh_from_db()
    assert pending_request.status == "approved"
    assert pending_request.reviewed_by == reviewer
    assert pending_request.name == "Anna Kowalska"


def test_inviting_an_approved_address_resends_with_a_new_link(pending_request, reviewer):
    first = approve(pending_request, reviewer)

    output = invite("anna@example.net", "--base-url", "http://testserver")

    assert "Invitation resent to anna@example.net" in output
    assert accept_link(mail.outbox[-1]) != "http://testserver" + first
    assert Invitation.objects.get().send_count == 2


def test_inviting_after_a_decline_makes_a_new_request(db):
    make_request(email="anna@example.net", status="declined")

    invite("anna@example.net", "--base-url", "https://p.example")

    assert list(InvitationRequest.objects.values_list("status", flat=True).order_by("id")) == [
        "declined",
        "approved",
    ]


def test_the_base_url_defaults_to_the_sites_address(db, settings):
    # Its port too: `make stack` serves on one, and SITE_URL names it.
    settings.SITE_URL = "http://127.0.0.1:8443"

    invite("anna@example.net")

    assert accept_link(mail.outbox[0]).startswith("http://127.0.0.1:8443/invitations/accept/")


@pytest.mark.parametrize("address", ["not-an-address", "anna@", "@example.net"])
def test_a_bad_address_is_a_clear_error(db, address):
    with pytest.raises(CommandError, match="is not a valid e-mail address"):
        invite(address, "--base-url", "https://p.example")
    assert not InvitationRequest.objects.exists()


def test_an_address_with_an_account_is_a_clear_error(db):
    factories.UserFactory(email="anna@example.net")

    with pytest.raises(CommandError, match=r"An account with the address anna@example\.net"):
        invite("ANNA@example.net", "--base-url", "https://p.example")
    assert not mail.outbox


def test_a_bad_base_url_is_a_clear_error(db):
    with pytest.raises(CommandError, match="is not the address of a site"):
        invite("anna@example.net", "--base-url", "pressimus.example")


def test_an_unknown_reviewer_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"There is no staff account nobody@example\.org"):
        invite(
            "anna@example.net",
            "--base-url",
            "https://p.example",
            "--reviewer",
            "nobody@example.org",
        )


def test_a_mail_failure_changes_nothing(db, failing_mail):
    with pytest.raises(CommandError, match=r"could not be sent .*421.*nothing was changed"):
        invite("anna@example.net", "--base-url", "https://p.example")

    assert not InvitationRequest.objects.exists()
    assert not Invitation.objects.exists()
