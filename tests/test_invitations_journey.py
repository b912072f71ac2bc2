"""The whole way in: request → staff approve in the admin → the e-mail → the link → sign-up."""

from __future__ import annotations

from io import StringIO

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from accounts.models import Profile
from invitations.models import Invitation, InvitationRequest, hash_token
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import SIGNUP_PATH, accept_path, approve, sign_up, token_of

User = get_user_model()
CHANGELIST = reverse("admin:invitations_invitationrequest_changelist")


def test_a_visitor_requests_is_approved_by_staff_and_signs_up(
    client, client_as, reviewer, django_capture_on_commit_callbacks
):
    # The visitor finds the way from the landing page.
    landing = client.get("/")
    assertContains(landing, 'href="/invitations/request/"')
    assertContains(landing, 'href="/about/"')

    # They ask to join; only the acknowledgement is mailed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/invitations/request/",
            {
                "name": "Anna Kowalska",
                "email": "Anna@Example.net",
                "organisation": "The Interpreter",
                "reason": "I translate Russian press.",
            },
        )
    assertRedirects(response, "/invitations/request/sent/")
    request = InvitationRequest.objects.get()
    assert (request.email, request.status) == ("anna@example.net", "pending")
    assert [m.subject for m in mail.outbox] == ["We have your request for a Pressimus invitation"]

    # A reviewer approves it in the admin, with the action.
    staff_client = client_as(reviewer)
    listing = staff_client.get(CHANGELIST, {"status__exact": "pending"})
    assertContains(listing, "anna@example.net")
    response = staff_client.post(
        CHANGELIST,
        {"action": "approve", "_selected_action": [request.pk], "index": 0},
        follow=True,
    )
    assertContains(response, "Approved and invitation sent: anna@example.net.")
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.reviewed_by == reviewer
    assert request.reviewed_at is not None

    # The invitation e-mail, in text and HTML, carries the link.
    invitation_mail = mail.outbox[-1]
    assert invitation_mail.to == ["anna@example.net"]
    assert invitation_mail.subject == "Your invitation to Pressimus"
    assert "Hello Anna Kowalska" in invitation_mail.body
    path = accept_path(invitation_mail)

    # Following it (GET) shows the invitation and a button, and spends nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "strict-origin"
    assertContains(page, "anna@example.net")
    assertContains(
        page, '<button class="button" type="submit">Accept invitation</button>', html=True
    )
    assert Invitation.objects.get().accepted_at is None
    assert "invitation_id" not in client.session

    # Accepting (POST) leads to the sign-up page, whose address holds no token.
    response = client.post(path)
    assertRedirects(response, SIGNUP_PATH)
    signup = client.get(SIGNUP_PATH)
    assertContains(signup, "Create your account")
    assertContains(signup, 'value="anna@example.net"')

    # Signing up signs them in, with the address verified and no verification e-mail.
    sent_before = len(mail.outbox)
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert len(mail.outbox) == sent_before

    user = User.objects.get(email="anna@example.net")
    assert user.email == "anna@example.net"
    assert client.session["_auth_user_id"] == str(user.pk)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("anna@example.net", True, True)
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.handle) == ("Anna Kowalska", "anna-kowalska")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    request.refresh_from_db()
    assert request.status == "accepted"
    assert "invitation_id" not in client.session

    # The link is spent: a second visit explains it.
    assert client.get(path).status_code == 410


def test_the_journey_leaves_no_token_in_the_database(client, reviewer, pending_request):
    """Only the token's hash is stored: not the token in the invitation, the sessions or the
    admin's log."""
    path = approve(pending_request, reviewer)
    token = token_of(path)
    client.post(path)
    sign_up(client)
    assert User.objects.filter(email="anna@example.net").exists()

    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert token not in dump.getvalue()
    assert hash_token(token) in dump.getvalue()
    for session in Session.objects.all():
        assert token not in str(session.get_decoded())
