"""Staff review in the admin: who may enter, the list, and the three actions."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from invitations.models import Explainer, Invitation, InvitationRequest
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import accept_path, approve, make_request

CHANGELIST = reverse("admin:invitations_invitationrequest_changelist")
INVITATIONS = reverse("admin:invitations_invitation_changelist")
EXPLAINER_ADD = reverse("admin:invitations_explainer_add")


def act(client, action: str, *requests, follow=True, **extra):
    data = {"action": action, "_selected_action": [r.pk for r in requests], "index": 0}
    return client.post(CHANGELIST, {**data, **extra}, follow=follow)


@pytest.fixture
def reviewer_client(client_as, reviewer):
    return client_as(reviewer)


# Who may enter


@pytest.mark.parametrize("url", [CHANGELIST, INVITATIONS])
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("url", [CHANGELIST, INVITATIONS])
def test_a_member_is_sent_to_log_in(client_as, member, url):
    response = client_as(member).get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("url", [CHANGELIST, INVITATIONS])
def test_a_writer_without_the_permissions_gets_403(client_as, writer_a, url):
    assert client_as(writer_a).get(url).status_code == 403


def test_staff_outside_the_reviewers_group_gets_403(client_as, staff):
    assert client_as(staff).get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("persona", ["reviewer", "superuser"])
def test_reviewers_and_superusers_see_the_requests(client_as, request, persona, pending_request):
    response = client_as(request.getfixturevalue(persona)).get(CHANGELIST)
    assertContains(response, "anna@example.net")
    assertContains(response, "The Interpreter")


def test_a_reviewer_cannot_add_delete_or_edit_requests_by_hand(reviewer_client, pending_request):
    assert reviewer_client.get(CHANGELIST + "add/").status_code == 403
    change = reviewer_client.get(
        reverse("admin:invitations_invitationrequest_change", args=[pending_request.pk])
    )
    assertNotContains(change, 'name="status"')
    assertNotContains(reviewer_client.get(CHANGELIST), 'value="delete_selected"')


# The list


def test_the_list_filters_by_status_and_searches(reviewer_client, db):
    make_request(name="Anna Kowalska", email="anna@example.net")
    make_request(name="Boris Petrov", email="boris@example.net", status="declined")
    make_request(name="Chloe Martin", email="chloe@example.net", organisation="Harbour Light")

    declined = reviewer_client.get(CHANGELIST, {"status__exact": "declined"})
    assertContains(declined, "boris@example.net")
    assertNotContains(declined, "anna@example.net")
    found = reviewer_client.get(CHANGELIST, {"q": "harbour"})
    assertContains(found, "chloe@example.net")
    assertNotContains(found, "anna@example.net")
    for status in ("Pending", "Approved (invitation sent)", "Declined", "Accepted (account made)"):
        assertContains(reviewer_client.get(CHANGELIST), status)


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_request_or_many(reviewer_client, reviewer):
    approve(make_request(email="p0@example.net", name="Person 0"), reviewer)
    with_one = _changelist_queries(reviewer_client)
    for n in range(1, 6):
        approve(make_request(email=f"p{n}@example.net", name=f"Person {n}"), reviewer)

    assert _changelist_queries(reviewer_client) == with_one
    response = reviewer_client.get(CHANGELIST)
    assertContains(
        response, '<td class="field-reviewed_by nowrap">reviewer@example.org</td>', count=6
    )


# Approve


def test_approve_sends_the_invitation_and_records_it(reviewer_client, reviewer, pending_request):
    response = act(reviewer_client, "approve", pending_request)

    assertContains(response, "Approved and invitation sent: anna@example.net.")
    pending_request.refresh_from_db()
    assert (pending_request.status, pending_request.reviewed_by) == ("approved", reviewer)
    [message] = mail.outbox
    assert accept_path(message).startswith("/invitations/accept/")
    log = LogEntry.objects.get()
    assert (log.user, log.object_id) == (reviewer, str(pending_request.pk))
    assert "/invitations/accept/" not in log.get_change_message()


def test_approve_when_mail_fails_shows_the_error_and_changes_nothing(
    reviewer_client, pending_request, failing_mail
):
    response = act(reviewer_client, "approve", pending_request)

    assertContains(response, "The e-mail to anna@example.net could not be sent")
    assertContains(response, "421 Service not available")
    assertContains(response, "approve it again later")
    pending_request.refresh_from_db()
    assert pending_request.status == "pending"
    assert not Invitation.objects.exists()
    assert not LogEntry.objects.exists()


def test_approve_after_a_mail_failure_works_once_mail_is_back(
    reviewer_client, pending_request, settings
):
    settings.EMAIL_BACKEND = "tests.fixtures_invitations.FailingEmailBackend"
    act(reviewer_client, "approve", pending_request)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    response = act(reviewer_client, "approve", pending_request)

    assertContains(response, "Approved and invitation sent")
    assert Invitation.objects.get().is_usable


def test_approve_of_several_reports_each(reviewer_client, pending_request, reviewer):
    done = make_request(email="done@example.net")
    approve(done, reviewer)
    mail.outbox.clear()

    response = act(reviewer_client, "approve", pending_request, done)

    assertContains(response, "Approved and invitation sent: anna@example.net.")
    assertContains(
        response, "An invitation has already been sent to done@example.net; resend it instead."
    )
    assert len(mail.outbox) == 1


# Decline


def test_decline_asks_for_a_reason_first(reviewer_client, pending_request):
    response = act(reviewer_client, "decline", pending_request)

    assertContains(response, "Decline 1 request?")
    assertContains(response, '<textarea name="reason"')
    assertContains(response, 'name="notify"')
    assertContains(
        response, f'<input type="hidden" name="_selected_action" value="{pending_request.pk}">'
    )
    pending_request.refresh_from_db()
    assert pending_request.status == "pending"


def test_decline_with_a_mailed_reason(reviewer_client, reviewer, pending_request):
    response = reviewer_client.post(
        CHANGELIST,
        {
            "action": "decline",
            "_selected_action": [pending_request.pk],
            "confirm": "yes",
            "reason": "We only invite working journalists for now.",
            "notify": "on",
        },
        follow=True,
    )

    assertContains(response, "Declined and requester e-mailed: anna@example.net.")
    pending_request.refresh_from_db()
    assert pending_request.status == "declined"
    assert pending_request.decline_reason == "We only invite working journalists for now."
    assert (pending_request.reviewed_by, pending_request.reviewed_at is not None) == (
        reviewer,
        True,
    )
    [message] = mail.outbox
    assert "We only invite working journalists for now." in message.body


def test_decline_without_mail_is_silent(reviewer_client, pending_request):
    reviewer_client.post(
        CHANGELIST,
        {"action": "decline", "_selected_action": [pending_request.pk], "confirm": "yes"},
    )

    assert InvitationRequest.objects.get().status == "declined"
    assert not mail.outbox


def test_decline_with_too_long_a_reason_shows_the_form_again(reviewer_client, pending_request):
    response = reviewer_client.post(
        CHANGELIST,
        {
            "action": "decline",
            "_selected_action": [pending_request.pk],
            "confirm": "yes",
            "reason": "x" * 2001,
        },
    )

    assertContains(response, "Ensure this value has at most 2000 characters")
    assert InvitationRequest.objects.get().status == "pending"


# Resend


def test_resend_renews_the_expiry_and_kills_the_old_link(
    reviewer_client, reviewer, pending_request, client
):
    old_path = approve(pending_request, reviewer)
    old_expiry = Invitation.objects.get().expires_at

    response = act(reviewer_client, "resend", pending_request)

    assertContains(response, "Invitation resent: anna@example.net.")
    new_path = accept_path(mail.outbox[-1])
    assert Invitation.objects.get().expires_at >= old_expiry
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200


def test_resend_of_a_pending_request_explains_why_not(reviewer_client, pending_request):
    response = act(reviewer_client, "resend", pending_request)

    assertContains(response, "Only approved invitations can be resent")
    assert not mail.outbox


# The invitations list and the explainer


def test_invitations_are_read_only(reviewer_client, reviewer, pending_request):
    approve(pending_request, reviewer)
    response = reviewer_client.get(INVITATIONS)
    assertContains(response, "anna@example.net")
    invitation = Invitation.objects.get()
    change = reviewer_client.get(
        reverse("admin:invitations_invitation_change", args=[invitation.pk])
    )
    assertNotContains(change, invitation.token_hash)
    assertNotContains(change, 'type="submit" value="Save"')


def test_only_one_explainer_can_be_added(reviewer_client, db):
    response = reviewer_client.post(
        EXPLAINER_ADD,
        {
            "title": "Pressimus in two minutes",
            "video_url": "https://media.example/explainer.mp4",
            "captions": SimpleUploadedFile("en.vtt", b"WEBVTT\n\n00:00.000 --> 00:02.000\nHi\n"),
            "captions_language": "en",
            "transcript": "Hello.",
        },
    )

    assert response.status_code == 302
    assert Explainer.objects.count() == 1
    assert reviewer_client.get(EXPLAINER_ADD).status_code == 403


def test_explainer_captions_must_be_webvtt(reviewer_client, db):
    response = reviewer_client.post(
        EXPLAINER_ADD,
        {
            "title": "Pressimus in two minutes",
            "captions": SimpleUploadedFile("en.vtt", b"1\n00:00:00,000 --> 00:00:02,000\nHi\n"),
            "captions_language": "en",
        },
    )

    assertContains(response, "This is not a WebVTT file")
    assert not Explainer.objects.exists()


def test_the_migration_makes_the_reviewers_group_with_the_invitation_permissions(db):
    group = Group.objects.get(name="Reviewers")

    assert set(group.permissions.values_list("codename", flat=True)) == {
        "view_invitationrequest",
        "change_invitationrequest",
        "view_invitation",
        "view_explainer",
        "add_explainer",
        "change_explainer",
    }
