"""The task queue as the rest of the code sees it: tasks that try again, enqueueing, health.

Tasks are Django's (the django-tasks backport: ``django_tasks`` becomes ``django.tasks`` on
Django 6). Neither the database backend nor RQ's retries a failed task by itself, so
``retried`` does: a task that raises is enqueued again for later, a few times, each wait
longer than the last. Tasks are written to be run twice without harm (see ``notifications.mail``
for mail), since a retry, a duplicate job or a worker killed half-way all run one again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Min, When
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, default_task_backend, task, task_backends
from django_tasks.base import Task

logger = logging.getLogger(__name__)

# A failing task runs at most this often in all: the first try and five more, after 30 s,
# 2 min, 8 min, 32 min and 1 h (a mail server down for a couple of hours is outlasted).
MAX_ATTEMPTS = 6
FIRST_RETRY_DELAY_S = 30
RETRY_DELAY_CAP_S = 3600


def retry_delay(attempt: int) -> timedelta:
    """How long to wait before trying again after try number ``attempt`` failed."""
    return timedelta(seconds=min(FIRST_RETRY_DELAY_S * 4 ** (attempt - 1), RETRY_DELAY_CAP_S))


def _backend():
    # The backend itself: default_task_backend is a proxy, which isinstance() cannot see through.
    return task_backends[DEFAULT_TASK_BACKEND_ALIAS]


def can_defer() -> bool:
    """Whether the queue can hold a task until a later time (the immediate backend cannot)."""
    return bool(default_task_backend.supports_defer)


def keeps_tasks_in_database() -> bool:
    """Whether enqueued tasks are rows of this database (or run at once, in this process)."""
    from django_tasks.backends.immediate import ImmediateBackend
    from django_tasks_db import DatabaseBackend

    return isinstance(_backend(), DatabaseBackend | ImmediateBackend)


def enqueue(task_: Task, *args: Any, at: datetime | None = None, **kwargs: Any) -> None:
    """Enqueue ``task_``, to run from ``at`` on when given.

    Without a queue that can wait (the immediate backend of the tests), it runs now.
    """
    if at is not None and at > timezone.now() and can_defer():
        task_ = task_.using(run_after=at)
    task_.enqueue(*args, **kwargs)


def enqueue_on_commit(task_: Task, *args: Any, at: datetime | None = None, **kwargs: Any) -> None:
    """Enqueue ``task_`` once the current transaction commits (at once outside one).

    What the task reads is then there to read, in whichever process runs it.
    """
    transaction.on_commit(functools.partial(enqueue, task_, *args, at=at, **kwargs))


def enqueue_with_transaction(task_: Task, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task_`` so that it runs only if the current transaction commits.

    Tasks kept in the database are enqueued now: their row commits, or vanishes, with the
    caller's writes. Redis knows nothing of our transactions, so RQ's wait for the commit.
    """
    if keeps_tasks_in_database():
        enqueue(task_, *args, **kwargs)
    else:
        enqueue_on_commit(task_, *args, **kwargs)


def retried(
    func: Callable | None = None,
    *,
    attempts: int = MAX_ATTEMPTS,
    on_give_up: Callable[..., None] | None = None,
):
    """Make ``func`` a task that, when it raises, is enqueued again for later.

    The error still propagates, so the backend records the failed run (and its traceback);
    the retry is a new run. After ``attempts`` tries, or on a queue that cannot wait,
    ``on_give_up`` is called with the task's arguments, and that is the end of it.
    """

    def decorate(func: Callable) -> Task:
        @functools.wraps(func)
        def run(*args: Any, _attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as error:
                if _attempt < attempts and can_defer():
                    delay = retry_delay(_attempt)
                    logger.warning(
                        "Task %s failed (try %d of %d), trying again in %d s: %r",
                        func.__name__,
                        _attempt,
                        attempts,
                        delay.total_seconds(),
                        error,
                    )
                    the_task.using(run_after=timezone.now() + delay).enqueue(
                        *args, _attempt=_attempt + 1, **kwargs
                    )
                else:
                    logger.error(
                        "Task %s failed for good after %d tries: %r", func.__name__, _attempt, error
                    )
                    if on_give_up is not None:
                        on_give_up(*args, **kwargs)
                raise

        the_task = task()(run)
        return the_task

    return decorate(func) if func is not None else decorate


def _oldest_waiting_in_database() -> datetime | None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    # A task held until later has waited since that time, not since it was enqueued.
    return (
        DBTaskResult.objects.ready()
        .filter(backend_name=default_task_backend.alias)
        .aggregate(
            oldest=Min(
                Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
            )
        )["oldest"]
    )


def _oldest_waiting_in_rq() -> datetime | None:
    import django_rq
    from rq.registry import ScheduledJobRegistry

    waiting: list[datetime] = []
    for name in default_task_backend.queues:
        queue = django_rq.get_queue(name)
        if job_ids := queue.get_job_ids(0, 1):
            job = queue.fetch_job(job_ids[0])
            if job is not None and job.enqueued_at is not None:
                waiting.append(job.enqueued_at)
        # A held task whose time has come waits for a worker's scheduler to move it.
        registry = ScheduledJobRegistry(queue=queue)
        job_ids = registry.get_job_ids(0, 0)
        if job_ids and (due := registry.get_scheduled_time(job_ids[0])) is not None:
            waiting.append(due)
    waiting = [
        moment if timezone.is_aware(moment) else moment.replace(tzinfo=timezone.UTC)
        for moment in waiting
    ]
    return min(waiting, default=None)


def queue_problem() -> str | None:
    """Why the queue is not doing its work, in words; None when it is.

    Stuck means: the oldest task ready to run has waited longer than
    ``TASK_QUEUE_STUCK_AFTER_S`` (no worker runs, or they cannot keep up), or an hour's
    digests have not gone out that long after their time.
    """
    from django_tasks.backends.immediate import ImmediateBackend

    from notifications.models import DigestTick

    backend = _backend()
    now = timezone.now()
    limit = timedelta(seconds=settings.TASK_QUEUE_STUCK_AFTER_S)
    if isinstance(backend, ImmediateBackend):
        oldest = None
    else:
        try:
            oldest = (
                _oldest_waiting_in_rq()
                if not keeps_tasks_in_database()
                else _oldest_waiting_in_database()
            )
        except Exception as error:
            logger.exception("healthz: the task queue cannot be read")
            return f"the task queue cannot be read: {error.__class__.__name__}"
    if oldest is not None and now - oldest > limit:
        minutes = int((now - oldest).total_seconds() // 60)
        return (
            f"the oldest task waiting to run has waited {minutes} minutes: no worker is taking "
            "tasks, or the workers cannot keep up"
        )
    overdue = (
        DigestTick.objects.filter(done_at__isnull=True, due_at__lt=now - limit)
        .order_by("due_at")
        .first()
    )
    if overdue is not None:
        return f"the digests due at {overdue.due_at:%Y-%m-%d %H:%M} UTC have not gone out"
    return None
