"""The task queue for real in tests: the database backend, and its worker run to the end of
what is ready (``manage.py db_worker --batch``).

A module takes the fixtures with ``from tests.fixtures_tasks import *``. Tests that use the
worker commit for real (``transaction=True``): the worker recycles its database connection
between tasks, as it does in production, which a test's open transaction would not survive.
"""

from __future__ import annotations

import signal
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

__all__ = ["queue"]

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
_WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


class Queue:
    def run(self) -> None:
        """Run every task ready now, and those they enqueue, then stop."""
        # The worker takes over the stop signals and leaves them so in batch mode.
        handlers = {number: signal.getsignal(number) for number in _WORKER_SIGNALS}
        try:
            call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)

    def ready(self) -> list[str]:
        """The names of the tasks waiting to run now."""
        return [task.task_name for task in DBTaskResult.objects.ready()]

    def waiting(self) -> list[str]:
        """The names of every task not yet run, held for later or not."""
        return [task.task_name for task in DBTaskResult.objects.filter(status="READY")]

    def failed(self) -> list[str]:
        return [task.task_name for task in DBTaskResult.objects.failed()]


@pytest.fixture
def queue(settings) -> Queue:
    settings.TASKS = DATABASE_BACKEND
    return Queue()


class FlakyEmailBackend(LocmemBackend):
    """A mail server that refuses the first message it is given, then takes them all."""

    refused = 0

    def send_messages(self, messages):
        if FlakyEmailBackend.refused == 0:
            FlakyEmailBackend.refused += 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class BrokenEmailBackend(LocmemBackend):
    """A mail server that refuses everything."""

    def send_messages(self, messages):
        raise smtplib.SMTPException("421 Service not available")


class KilledAfterSendingEmailBackend(LocmemBackend):
    """A mail server that takes the message, and then the worker is killed before it hears
    so (as by the out-of-memory killer): nothing after the send runs."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise SystemExit("killed")
