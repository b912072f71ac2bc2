"""The production queue: RQ on Redis (django-tasks-rq), its worker run in this process.

Needs Redis on 127.0.0.1:6379 (database 11 is flushed); skipped without it, except under CI.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from notifications.mail import mail_deliver, mail_queue
from notifications.models import OutgoingMail

REDIS_URL = "redis://127.0.0.1:6379/11"

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def rq_queue(settings):
    if not _redis_up():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Redis is unreachable at 127.0.0.1:6379; the RQ tests need it under CI.")
        pytest.skip("Redis is unreachable at 127.0.0.1:6379")
    import django_rq

    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield
    connection.flushdb()


def work() -> None:
    """What `manage.py rqworker --burst --with-scheduler --job-class django_tasks_rq.Job`
    does, in this process (no fork: the test database is this process's)."""
    import django_rq
    from rq import SimpleWorker

    worker = django_rq.get_worker(
        "default", job_class="django_tasks_rq.Job", worker_class=SimpleWorker
    )
    worker.work(burst=True, with_scheduler=True)


def test_mail_goes_out_through_rq_once(rq_queue):
    record = mail_queue(EmailMessage("Via RQ", "Body", to=["anna@example.net"]), purpose="t")
    mail_deliver.enqueue(record.pk)
    assert not mail.outbox

    work()

    assert [m.subject for m in mail.outbox] == ["Via RQ"]
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT


def test_healthz_sees_a_stuck_rq_queue(rq_queue, client):
    mail_queue(EmailMessage("Waiting", "Body", to=["anna@example.net"]), purpose="t")
    assert client.get("/healthz").status_code == 200

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "has waited 11 minutes" in response.json()["queue_problem"]
