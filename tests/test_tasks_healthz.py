"""/healthz and the task queue: 503, with the reason, when tasks wait too long to run."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.mail import mail_queue
from notifications.models import DigestTick
from tests.fixtures_tasks import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


def a_mail():
    from django.core.mail import EmailMessage

    mail_queue(EmailMessage("Hello", "", to=["anna@example.net"]), purpose="test")


def test_a_queue_with_a_worker_is_healthy(client, queue):
    a_mail()
    assert client.get("/healthz").json()["queue"] == "ok"

    queue.run()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["queue"] == "ok"


def test_a_task_waiting_longer_than_the_limit_makes_healthz_503_with_the_reason(
    client, queue, settings
):
    settings.TASK_QUEUE_STUCK_AFTER_S = 600
    a_mail()

    with time_machine.travel(timezone.now() + timedelta(minutes=9)):
        assert client.get("/healthz").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["cache"], body["queue"]) == (
        "unavailable",
        "ok",
        "ok",
        "stuck",
    )
    assert body["queue_problem"].startswith("the oldest task waiting to run has waited 11 minutes")

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        queue.run()
        assert client.get("/healthz").status_code == 200


def test_a_task_held_for_later_is_not_stuck_before_its_time(client, queue):
    from notifications.mail import mail_deliver

    mail_deliver.using(run_after=timezone.now() + timedelta(hours=2)).enqueue(0)

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert client.get("/healthz").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=11)):
        assert client.get("/healthz").status_code == 503


def test_digests_overdue_make_healthz_503(client, queue):
    due = timezone.now().replace(minute=0, second=0, microsecond=0)
    DigestTick.objects.create(due_at=due)

    with time_machine.travel(due + timedelta(minutes=30)):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "digests due at" in response.json()["queue_problem"]
