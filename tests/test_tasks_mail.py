"""notifications.mail and notifications.queue: mail through the task queue, run by the database
backend's worker; retries with back-off, and never a mail twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from invitations import services
from notifications.mail import mail_deliver, mail_queue
from notifications.models import OutgoingMail
from notifications.queue import MAX_ATTEMPTS, retry_delay
from tests.fixtures_tasks import *  # noqa: F403
from tests.fixtures_tasks import FlakyEmailBackend

pytestmark = pytest.mark.django_db(transaction=True)


def message(to="anna@example.net") -> EmailMessage:
    return EmailMessage("A subject", "A body.", "Pressimus <noreply@pressimus.test>", [to])


def test_a_queued_mail_leaves_only_when_the_worker_runs(queue):
    mail_queue(message(), key="test:1", purpose="test")

    assert not mail.outbox
    assert queue.ready() == ["mail_deliver"]
    queue.run()

    [sent] = mail.outbox
    assert (sent.subject, sent.to) == ("A subject", ["anna@example.net"])
    record = OutgoingMail.objects.get(key="test:1")
    assert record.status == OutgoingMail.Status.SENT
    assert record.sent_at is not None
    # One-time links do not outlive the sending.
    assert (record.text, record.html) == ("", "")


def test_the_same_key_twice_is_one_mail(queue):
    mail_queue(message(), key="test:twice", purpose="test")
    mail_queue(message(), key="test:twice", purpose="test")
    queue.run()

    assert len(mail.outbox) == 1


def test_a_send_that_fails_once_is_retried_later_and_mailed_once(queue, settings):
    settings.EMAIL_BACKEND = "tests.fixtures_tasks.FlakyEmailBackend"
    FlakyEmailBackend.refused = 0
    mail_queue(message(), key="test:flaky", purpose="test")

    queue.run()
    assert not mail.outbox
    assert queue.failed() == ["mail_deliver"]
    # Held for the back-off, not retried in a tight loop.
    assert queue.ready() == []
    assert queue.waiting() == ["mail_deliver"]

    with time_machine.travel(timezone.now() + retry_delay(1) + timedelta(seconds=1)):
        queue.run()
        queue.run()

    assert len(mail.outbox) == 1
    record = OutgoingMail.objects.get(key="test:flaky")
    assert (record.status, record.attempts) == (OutgoingMail.Status.SENT, 2)


def test_each_retry_waits_longer(queue):
    delays = [retry_delay(attempt).total_seconds() for attempt in range(1, MAX_ATTEMPTS)]
    assert delays == sorted(delays)
    assert delays[0] == 30
    assert delays[-1] <= 3600


def test_a_mail_server_down_for_good_is_given_up_after_the_last_try(queue, settings):
    settings.EMAIL_BACKEND = "tests.fixtures_tasks.BrokenEmailBackend"
    mail_queue(message(), key="test:down", purpose="test")
    moment = timezone.now()

    for attempt in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(moment):
            queue.run()
        moment += retry_delay(attempt) + timedelta(seconds=1)

    record = OutgoingMail.objects.get(key="test:down")
    assert (record.status, record.attempts) == (OutgoingMail.Status.FAILED, MAX_ATTEMPTS)
    assert (record.text, record.html) == ("", "")
    assert "421" in record.last_error
    with time_machine.travel(moment + timedelta(days=1)):
        queue.run()
    assert queue.waiting() == []
    assert not mail.outbox


def test_a_delivery_run_twice_sends_once(queue):
    record = mail_queue(message(), key="test:dup", purpose="test")
    # A duplicate job (RQ re-running one it thought lost, a second worker) for the same mail.
    mail_deliver.enqueue(record.pk)
    queue.run()

    assert len(mail.outbox) == 1


def test_a_worker_killed_after_the_server_took_the_mail_never_sends_it_again(queue, settings):
    settings.EMAIL_BACKEND = "tests.fixtures_tasks.KilledAfterSendingEmailBackend"
    record = mail_queue(message(), key="test:killed", purpose="test")
    queue.run()
    assert len(mail.outbox) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail_deliver.enqueue(record.pk)
    queue.run()

    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get(pk=record.pk).status == OutgoingMail.Status.SENDING


def test_a_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(queue):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(message(), key="test:rolled-back", purpose="test")
        raise RuntimeError("the change that called for it failed")
    queue.run()

    assert not mail.outbox
    assert not OutgoingMail.objects.exists()
    assert queue.waiting() == []


def test_an_invitation_request_is_acknowledged_by_the_worker(queue):
    services.invitation_request_submit(name="Anna", email="anna@example.net", reason="Hi")
    assert not mail.outbox

    queue.run()

    [sent] = mail.outbox
    assert sent.subject == "We have your request for a Pressimus invitation"
    assert sent.to == ["anna@example.net"]


def test_a_failed_acknowledgement_is_retried_and_sent_once(queue, settings):
    settings.EMAIL_BACKEND = "tests.fixtures_tasks.FlakyEmailBackend"
    FlakyEmailBackend.refused = 0
    services.invitation_request_submit(name="Anna", email="anna@example.net", reason="Hi")
    queue.run()

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        queue.run()
        queue.run()

    assert [m.subject for m in mail.outbox] == ["We have your request for a Pressimus invitation"]


def test_a_password_reset_mail_goes_through_the_queue(queue, client):
    from tests import factories

    factories.UserFactory(email="member@example.org")
    response = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert response.status_code == 302
    assert not mail.outbox

    queue.run()

    [sent] = mail.outbox
    assert "assword" in sent.subject
    assert "/accounts/password/reset/key/" in sent.body
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT
