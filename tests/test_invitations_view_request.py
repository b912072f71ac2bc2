"""/invitations/request/: the form, its errors, the honeypot, the throttle, and no enumeration."""

from __future__ import annotations

import pytest
from django.core import mail
from pytest_django.asserts import assertContains, assertRedirects

from invitations.models import InvitationRequest
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import make_request

URL = "/invitations/request/"
SENT = "/invitations/request/sent/"
FORM = {
    "name": "Anna Kowalska",
    "email": "anna@example.net",
    "organisation": "The Interpreter",
    "reason": "I translate Russian press.",
}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the form and run what waits for the commit (the acknowledgement e-mail)."""

    def submit(data=None, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {**FORM, **(data or {})}, **headers)

    return submit


def test_form_shows_labelled_fields_and_a_hidden_honeypot(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assertContains(response, "<h1>Request an invitation</h1>", html=True)
    for label in ("Your name", "E-mail address", "Organisation", "Why would you like to join?"):
        assertContains(response, label)
    assertContains(
        response,
        '<input type="text" name="website" tabindex="-1" autocomplete="off" id="id_website">',
        html=True,
    )
    assertContains(response, '<div class="visually-hidden" aria-hidden="true">')


def test_a_request_is_stored_and_acknowledged(post, db):
    response = post()

    assertRedirects(response, SENT)
    request = InvitationRequest.objects.get()
    assert (request.name, request.email, request.organisation, request.status) == (
        "Anna Kowalska",
        "anna@example.net",
        "The Interpreter",
        "pending",
    )
    assert request.reason == "I translate Russian press."
    [ack] = mail.outbox
    assert ack.to == ["anna@example.net"]
    assert "Hello Anna Kowalska" in ack.body
    assert "Hello Anna Kowalska" in ack.alternatives[0][0]


def test_a_name_with_line_breaks_is_stored_and_mailed_on_one_line(post, db):
    response = post(
        {
            "name": "X\r\nBcc: victim@example.test",
            "organisation": "The\u2028Interpreter\nSubject: hi",
        }
    )

    assertRedirects(response, SENT)
    request = InvitationRequest.objects.get()
    assert request.name == "X Bcc: victim@example.test"
    assert request.organisation == "The Interpreter Subject: hi"
    [ack] = mail.outbox
    assert ack.to == ["anna@example.net"]
    assert ack.bcc == []
    assert "Hello X Bcc: victim@example.test," in ack.body
    assert not [line for line in ack.body.splitlines() if line.startswith("Bcc:")]
    assert "Hello X Bcc: victim@example.test," in ack.alternatives[0][0]


def test_a_name_with_line_breaks_is_shown_again_on_one_line_beside_an_error(post, db):
    response = post({"name": "Anna\r\nKowalska", "email": "anna@"})

    assert response.status_code == 200
    assertContains(response, 'value="Anna Kowalska"')
    assert not InvitationRequest.objects.exists()


def test_the_sent_page_thanks_without_saying_what_happened(client, db):
    response = client.get(SENT)
    assertContains(response, "Thank you — we have your request")


def test_missing_fields_are_explained_in_words_and_the_input_is_kept(post, db):
    response = post({"name": "", "email": "anna@", "reason": ""})

    assert response.status_code == 200
    assertContains(response, "Please tell us your name.")
    assertContains(response, "This does not look like an e-mail address; check it for typos.")
    assertContains(response, "Please tell us in a few words why you would like to join.")
    assertContains(response, "Please check the 3 fields marked below.")
    assertContains(response, 'value="anna@"')
    assertContains(response, 'value="The Interpreter"')
    assert not InvitationRequest.objects.exists()
    assert not mail.outbox


def test_too_long_a_reason_is_refused_with_its_length(post, db):
    response = post({"reason": "x" * 2001})
    assertContains(response, "Please shorten this to 2000 characters (it has 2001).")
    assert not InvitationRequest.objects.exists()


def test_a_filled_honeypot_pretends_success_and_stores_nothing(post, db):
    response = post({"website": "http://spam.example/"})

    assertRedirects(response, SENT)
    assert not InvitationRequest.objects.exists()
    assert not mail.outbox


def test_the_sixth_request_in_an_hour_is_refused_with_429_and_stores_nothing(post, db):
    for n in range(5):
        assertRedirects(post({"email": f"person{n}@example.net"}), SENT)

    response = post({"email": "sixth@example.net"})

    assert response.status_code == 429
    assertContains(response, "Too many requests from your connection.", status_code=429)
    assertContains(response, 'value="sixth@example.net"', status_code=429)
    assert InvitationRequest.objects.count() == 5
    assert not InvitationRequest.objects.filter(email="sixth@example.net").exists()
    assert len(mail.outbox) == 5


def test_the_throttle_counts_each_client_behind_a_trusted_proxy(post, db, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        post({"email": f"a{n}@example.net"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert post({"email": "a5@example.net"}, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429

    other_client = post({"email": "b@example.net"}, HTTP_X_FORWARDED_FOR="198.51.100.9")

    assertRedirects(other_client, SENT)


def test_a_repeated_request_updates_the_pending_one_without_a_second_email(post, db):
    post()
    response = post({"email": "ANNA@example.net", "reason": "Now with more detail."})

    assertRedirects(response, SENT)
    request = InvitationRequest.objects.get()
    assert request.reason == "Now with more detail."
    assert len(mail.outbox) == 1


def test_a_repeated_request_leaves_an_approved_one_as_staff_decided(post, db):
    make_request(email="anna@example.net", status="approved", reason="First reason.")

    assertRedirects(post({"reason": "Changed my mind."}), SENT)

    assert InvitationRequest.objects.get().reason == "First reason."
    assert not mail.outbox


def test_a_new_request_after_a_decline_is_a_new_request(post, db):
    declined = make_request(email="anna@example.net", status="declined")

    post()

    assert InvitationRequest.objects.count() == 2
    assert InvitationRequest.objects.exclude(pk=declined.pk).get().status == "pending"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("existing", ["nothing", "an account", "a pending request"])
def test_the_answer_is_the_same_whatever_the_address_has(client, post, db, existing):
    if existing == "an account":
        factories.UserFactory(email="anna@example.net")
    elif existing == "a pending request":
        make_request(email="anna@example.net")

    response = post()
    page = client.get(response["Location"])

    assertRedirects(response, SENT)
    assertContains(page, "Thank you — we have your request")


def test_an_address_with_an_account_stores_nothing_and_mails_nothing(post, db):
    factories.UserFactory(email="anna@example.net")

    post()

    assert not InvitationRequest.objects.exists()
    assert not mail.outbox
