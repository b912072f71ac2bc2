"""invitations.services: each decision, who made it and when, and nothing half-done."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from invitations import services
from invitations.models import Invitation, InvitationRequest, hash_token
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import BASE_URL, accept_link, make_request, token_of

NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 30))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_approve_creates_an_invitation_and_mails_its_link(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url="https://pressimus.example/ignored"
    )

    [message] = mail.outbox
    link = accept_link(message)
    assert link.startswith("https://pressimus.example/invitations/accept/")
    token = token_of(link)
    assert len(token) >= 43  # 32 random bytes: 256 bits
    assert invitation.token_hash == hash_token(token)
    assert invitation.email == "anna@example.net"
    assert invitation.expires_at == NOW + timedelta(days=14)
    assert (invitation.sent_at, invitation.send_count) == (NOW, 1)
    pending_request.refresh_from_db()
    assert pending_request.status == "approved"
    assert (pending_request.reviewed_by, pending_request.reviewed_at) == (reviewer, NOW)


def test_expiry_follows_the_setting(pending_request, reviewer, settings):
    settings.INVITATION_EXPIRY_DAYS = 3

    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )

    assert invitation.expires_at == NOW + timedelta(days=3)


def test_the_database_holds_only_the_hash(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    token = token_of(accept_link(mail.outbox[0]))

    stored = Invitation.objects.values().get()
    assert token not in str(stored)
    assert Invitation.objects.by_token(token).exists()


def test_a_failed_send_leaves_the_request_pending_and_no_invitation(
    pending_request, reviewer, failing_mail
):
    with pytest.raises(smtplib.SMTPException):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    pending_request.refresh_from_db()
    assert pending_request.status == "pending"
    assert pending_request.reviewed_by is None
    assert not Invitation.objects.exists()


def test_approving_twice_is_refused_in_words(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    with pytest.raises(services.InvitationError, match=r"already been sent to anna@example\.net"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    assert len(mail.outbox) == 1


def test_approving_an_address_with_an_account_is_refused(pending_request, reviewer):
    factories.UserFactory(email="ANNA@example.net")

    with pytest.raises(services.InvitationError, match=r"An account with the address .* exists"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    assert not mail.outbox


def test_a_bad_base_url_is_refused_before_anything_is_stored(pending_request, reviewer):
    with pytest.raises(ValueError, match="not the address of a site"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url="/")

    assert not Invitation.objects.exists()


def test_decline_keeps_the_request_with_reason_reviewer_and_time(pending_request, reviewer):
    services.invitation_decline(request=pending_request, reviewer=reviewer, reason="Not a fit.")

    request = InvitationRequest.objects.get()
    assert (request.status, request.decline_reason) == ("declined", "Not a fit.")
    assert (request.reviewed_by, request.reviewed_at) == (reviewer, NOW)
    assert not mail.outbox


def test_decline_with_notify_mails_the_reason(pending_request, reviewer):
    services.invitation_decline(
        request=pending_request, reviewer=reviewer, reason="We are full <for now>.", notify=True
    )

    [message] = mail.outbox
    assert message.to == ["anna@example.net"]
    assert "We are full <for now>." in message.body
    html = message.alternatives[0][0]
    assert "We are full &lt;for now&gt;." in html


def test_a_failed_decline_mail_leaves_the_request_open(pending_request, reviewer, failing_mail):
    with pytest.raises(smtplib.SMTPException):
        services.invitation_decline(request=pending_request, reviewer=reviewer, notify=True)

    pending_request.refresh_from_db()
    assert pending_request.status == "pending"


def test_declining_an_approved_request_withdraws_its_invitation(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    services.invitation_decline(request=pending_request, reviewer=reviewer)

    invitation = Invitation.objects.get()
    assert invitation.expires_at == NOW
    assert not invitation.is_usable


def test_a_declined_request_can_be_approved_later(pending_request, reviewer):
    services.invitation_decline(request=pending_request, reviewer=reviewer, reason="Too early")

    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    pending_request.refresh_from_db()
    assert (pending_request.status, pending_request.decline_reason) == ("approved", "")


def test_resend_renews_token_and_expiry(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    first_token = token_of(accept_link(mail.outbox[0]))

    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        invitation = services.invitation_resend(
            request=pending_request, reviewer=reviewer, base_url=BASE_URL
        )
    second_token = token_of(accept_link(mail.outbox[1]))

    assert first_token != second_token
    assert invitation.expires_at == NOW + timedelta(days=24)
    assert invitation.send_count == 2
    assert not Invitation.objects.by_token(first_token).exists()
    assert Invitation.objects.by_token(second_token).exists()


def test_resend_of_a_pending_request_is_refused(pending_request, reviewer):
    with pytest.raises(services.InvitationError, match="Only approved invitations"):
        services.invitation_resend(request=pending_request, reviewer=reviewer, base_url=BASE_URL)


def test_a_failed_resend_keeps_the_old_link_working(pending_request, reviewer, settings):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    token = token_of(accept_link(mail.outbox[0]))
    settings.EMAIL_BACKEND = "tests.fixtures_invitations.FailingEmailBackend"

    with pytest.raises(smtplib.SMTPException):
        services.invitation_resend(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    assert Invitation.objects.by_token(token).usable().exists()


def test_accept_spends_the_invitation_once(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    user = factories.UserFactory(email="anna@example.net")
    other = factories.UserFactory(email="ANNA.twin@example.net")

    services.invitation_accept(invitation_id=invitation.pk, user=user)

    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.accepted_at) == (user, NOW)
    assert InvitationRequest.objects.get().status == "accepted"
    with pytest.raises(services.InvitationNotUsable, match="already been used"):
        services.invitation_accept(invitation_id=invitation.pk, user=other)


def test_accept_refuses_an_expired_invitation(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    user = factories.UserFactory(email="anna@example.net")

    with (
        time_machine.travel(NOW + timedelta(days=14), tick=False),
        pytest.raises(services.InvitationNotUsable, match="expired"),
    ):
        services.invitation_accept(invitation_id=invitation.pk, user=user)
    assert InvitationRequest.objects.get().status == "approved"


def test_accept_refuses_a_user_with_another_address(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    user = factories.UserFactory(email="someone-else@example.net")

    with pytest.raises(services.InvitationNotUsable, match="another e-mail address"):
        services.invitation_accept(invitation_id=invitation.pk, user=user)


def test_submit_of_a_new_address_acknowledges_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.invitation_request_submit(
            name="Anna", email=" Anna@Example.NET ", organisation="", reason="Hello"
        )

    assert request.email == "anna@example.net"
    assert len(mail.outbox) == 1


def test_a_failed_acknowledgement_keeps_the_request(
    db, django_capture_on_commit_callbacks, failing_mail, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_request_submit(name="Anna", email="anna@example.net", reason="Hi")

    assert InvitationRequest.objects.filter(email="anna@example.net").exists()
    assert "Could not acknowledge the invitation request of anna@example.net" in caplog.text


def test_submit_for_an_address_with_an_account_stores_nothing(db):
    factories.UserFactory(email="anna@example.net")

    assert services.invitation_request_submit(name="A", email="anna@example.net") is None
    assert not InvitationRequest.objects.exists()


def test_the_database_allows_one_open_request_per_address(db):
    make_request(email="anna@example.net")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_request(email="ANNA@example.net")
    make_request(email="anna@example.net", status="declined")


# Addresses: one person is one address, whatever its case


def account_stored_with_capitals(email: str):
    """An account whose address kept its capitals, as one stored before addresses were
    lower-cased, or by a bulk write, does (User.save lower-cases it)."""
    user = factories.UserFactory(email=email.lower())
    User.objects.filter(pk=user.pk).update(email=email)
    return user


def test_submit_from_an_address_whose_account_has_capitals_stores_nothing(db):
    account_stored_with_capitals("Anna@Example.NET")

    assert services.invitation_request_submit(name="A", email="anna@example.net") is None
    assert not InvitationRequest.objects.exists()


def test_approving_for_an_account_whose_address_has_capitals_is_refused(pending_request, reviewer):
    account_stored_with_capitals("Anna@Example.NET")

    with pytest.raises(services.InvitationError, match="already exists"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)


def test_inviting_an_address_whose_account_has_capitals_is_refused(db):
    account_stored_with_capitals("Anna@Example.NET")

    with pytest.raises(services.InvitationError, match="already exists"):
        services.invitation_invite(email="anna@example.net", base_url=BASE_URL)
    assert not InvitationRequest.objects.exists()


# Submitting


def test_a_repeated_request_updates_the_pending_one_silently(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.invitation_request_submit(name="Anna", email="anna@example.net")
        again = services.invitation_request_submit(
            name="Anna K.", email="ANNA@example.net", organisation="HRW", reason="Again"
        )

    assert again.pk == first.pk
    stored = InvitationRequest.objects.get()
    assert (stored.name, stored.organisation, stored.reason) == ("Anna K.", "HRW", "Again")
    assert len(mail.outbox) == 1


def test_a_request_repeated_after_approval_stays_as_staff_decided(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    again = services.invitation_request_submit(name="Someone else", email="anna@example.net")

    assert again.pk == pending_request.pk
    stored = InvitationRequest.objects.get()
    assert (stored.name, stored.status) == ("Anna Kowalska", "approved")


def test_a_request_after_a_decline_is_a_new_request(
    pending_request, reviewer, django_capture_on_commit_callbacks
):
    services.invitation_decline(request=pending_request, reviewer=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.invitation_request_submit(name="Anna", email="anna@example.net")

    assert again.pk != pending_request.pk
    assert again.status == "pending"
    assert len(mail.outbox) == 1


def test_a_request_that_loses_a_race_for_its_address_joins_the_winner(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    # Another submission for the same address is stored between this one's look for an
    # open request and its own insert, as a concurrent request would be.
    full_clean = InvitationRequest.full_clean

    def meanwhile(request, *args, **kwargs):
        if request.pk is None and not InvitationRequest.objects.exists():
            make_request(name="The winner", email="anna@example.net")
        return full_clean(request, *args, **kwargs)

    monkeypatch.setattr(InvitationRequest, "full_clean", meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        joined = services.invitation_request_submit(name="Anna K.", email="anna@example.net")

    stored = InvitationRequest.objects.get()
    assert joined == stored
    assert stored.name == "Anna K."
    assert not mail.outbox


def test_a_request_with_a_name_too_long_is_refused_in_words(db):
    with pytest.raises(ValidationError) as caught:
        services.invitation_request_submit(name="x" * 101, email="anna@example.net")

    assert list(caught.value.message_dict) == ["name"]
    assert not InvitationRequest.objects.exists()


def test_a_request_withdrawn_before_its_acknowledgement_is_not_mailed(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = services.invitation_request_submit(name="Anna", email="anna@example.net")
    request.delete()

    for callback in callbacks:
        callback()

    assert not mail.outbox


# Approving, declining, resending


def test_approving_an_accepted_request_is_refused(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    services.invitation_accept(
        invitation_id=invitation.pk, user=factories.UserFactory(email="anna@example.net")
    )

    with pytest.raises(services.InvitationError, match="already been accepted"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)


def test_approving_a_stale_declined_request_while_a_newer_one_is_open_is_refused(
    pending_request, reviewer
):
    services.invitation_decline(request=pending_request, reviewer=reviewer)
    newer = make_request(name="Anna again")

    with pytest.raises(services.InvitationError, match=r"newer request .* is waiting"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    assert not mail.outbox
    services.invitation_approve(request=newer, reviewer=reviewer, base_url=BASE_URL)
    assert Invitation.objects.get().request == newer


def test_approving_again_after_a_decline_renews_the_same_invitation(pending_request, reviewer):
    first = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    services.invitation_decline(request=pending_request, reviewer=reviewer)

    again = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )

    assert again.pk == first.pk
    assert (again.send_count, again.expires_at) == (2, NOW + timedelta(days=14))
    assert again.is_usable


def test_declining_twice_is_refused(pending_request, reviewer):
    services.invitation_decline(request=pending_request, reviewer=reviewer)

    with pytest.raises(services.InvitationError, match="already been declined"):
        services.invitation_decline(request=pending_request, reviewer=reviewer)


def test_declining_an_accepted_request_is_refused_and_keeps_the_account_invited(
    pending_request, reviewer
):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    user = factories.UserFactory(email="anna@example.net")
    services.invitation_accept(invitation_id=invitation.pk, user=user)

    with pytest.raises(services.InvitationError, match="already been accepted"):
        services.invitation_decline(request=pending_request, reviewer=reviewer)
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.expires_at) == (user, NOW + timedelta(days=14))


def test_resend_when_an_account_now_exists_is_refused(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    account_stored_with_capitals("Anna@example.net")

    with pytest.raises(services.InvitationError, match="already exists"):
        services.invitation_resend(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    assert len(mail.outbox) == 1


def test_an_invitation_already_spent_is_not_resent(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=NOW)

    with pytest.raises(services.InvitationError, match=r"no invitation .* waiting"):
        services.invitation_resend(request=pending_request, reviewer=reviewer, base_url=BASE_URL)


def test_a_resend_records_who_resent_it(pending_request, reviewer, caplog):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    services.invitation_resend(request=pending_request, reviewer=reviewer, base_url=BASE_URL)
    services.invitation_resend(request=pending_request, reviewer=None, base_url=BASE_URL)

    assert "Invitation to anna@example.net resent by reviewer@example.org" in caplog.text
    assert "Invitation to anna@example.net resent by a command" in caplog.text


@pytest.mark.parametrize(
    "base_url",
    ["ftp://pressimus.example/", "https://", "https:///invitations/", "pressimus.example"],
)
def test_an_invitation_link_needs_the_address_of_a_site(pending_request, reviewer, base_url):
    with pytest.raises(ValueError, match="not the address of a site"):
        services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=base_url)

    assert not Invitation.objects.exists()


# Accepting


def test_accepting_an_unknown_invitation_says_it_does_not_exist(db):
    user = factories.UserFactory(email="anna@example.net")

    with pytest.raises(services.InvitationNotUsable, match="does not exist") as caught:
        services.invitation_accept(invitation_id=999_999, user=user)
    assert caught.value.reason == "unknown"


def test_each_refusal_to_accept_says_which_explanation_to_show(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    anna = factories.UserFactory(email="anna@example.net")
    stranger = factories.UserFactory(email="stranger@example.net")

    with pytest.raises(services.InvitationNotUsable) as other_address:
        services.invitation_accept(invitation_id=invitation.pk, user=stranger)
    with (
        time_machine.travel(NOW + timedelta(days=15), tick=False),
        pytest.raises(services.InvitationNotUsable) as expired,
    ):
        services.invitation_accept(invitation_id=invitation.pk, user=anna)
    services.invitation_accept(invitation_id=invitation.pk, user=anna)
    with pytest.raises(services.InvitationNotUsable) as used:
        services.invitation_accept(invitation_id=invitation.pk, user=anna)

    assert [other_address.value.reason, expired.value.reason, used.value.reason] == [
        "unknown",
        "expired",
        "used",
    ]


def test_accepting_with_the_address_in_capitals_spends_the_invitation(pending_request, reviewer):
    invitation = services.invitation_approve(
        request=pending_request, reviewer=reviewer, base_url=BASE_URL
    )
    user = factories.UserFactory(email="Anna@Example.NET")

    accepted = services.invitation_accept(invitation_id=invitation.pk, user=user)

    assert (accepted.accepted_by, accepted.request.status) == (user, "accepted")


# Inviting directly


def test_inviting_a_new_address_makes_an_approved_request_named_after_it(db):
    invitation = services.invitation_invite(email=" Anna.K@Example.net ", base_url=BASE_URL)

    request = InvitationRequest.objects.get()
    assert (request.email, request.name, request.status) == (
        "anna.k@example.net",
        "anna.k",
        "approved",
    )
    assert invitation.request == request
    [message] = mail.outbox
    assert message.to == ["anna.k@example.net"]


def test_inviting_with_a_name_uses_it(db):
    services.invitation_invite(email="anna@example.net", name="Anna Kowalska", base_url=BASE_URL)

    assert InvitationRequest.objects.get().name == "Anna Kowalska"


def test_inviting_a_pending_address_approves_its_request_under_the_name_given(pending_request):
    services.invitation_invite(email="anna@example.net", name="Anna K.", base_url=BASE_URL)

    request = InvitationRequest.objects.get()
    assert (request.pk, request.name, request.status) == (pending_request.pk, "Anna K.", "approved")


def test_inviting_a_pending_address_without_a_name_keeps_the_requested_one(pending_request):
    services.invitation_invite(email="anna@example.net", base_url=BASE_URL)

    assert InvitationRequest.objects.get().name == "Anna Kowalska"


def test_inviting_an_approved_address_resends_its_invitation(pending_request, reviewer):
    services.invitation_approve(request=pending_request, reviewer=reviewer, base_url=BASE_URL)

    invitation = services.invitation_invite(email="anna@example.net", base_url=BASE_URL)

    assert invitation.send_count == 2
    assert InvitationRequest.objects.count() == 1
    assert len(mail.outbox) == 2


def test_a_failed_invitation_mail_leaves_no_request_behind(db, failing_mail):
    with pytest.raises(smtplib.SMTPException):
        services.invitation_invite(email="anna@example.net", base_url=BASE_URL)

    assert not InvitationRequest.objects.exists()
    assert not Invitation.objects.exists()


def test_inviting_a_malformed_address_is_refused(db):
    with pytest.raises(ValidationError):
        services.invitation_invite(email="not an address", base_url=BASE_URL)
