"""The queue's settings: TASK_QUEUE_URL picks the backend, SITE_URL the address in mail; both
refuse a value they cannot use, in words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = "k3y-" + "x7Qp" * 15
PRINT = (
    "from django.conf import settings; "
    "print(settings.TASKS['default']['BACKEND'], settings.SITE_URL, "
    "'django_rq' in settings.INSTALLED_APPS)"
)


def shell(**env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": "sqlite:///:memory:",
        "SECRET_KEY": REAL_KEY,
        "ALLOWED_HOSTS": "news.example.org,www.news.example.org",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("queue_url", "backend", "rq"),
    [
        (None, "django_tasks_db.DatabaseBackend", "False"),
        ("redis://queue:6379/0", "django_tasks_rq.RQBackend", "True"),
        ("immediate", "django_tasks.backends.immediate.ImmediateBackend", "False"),
    ],
)
def test_the_queue_url_picks_the_backend(queue_url, backend, rq):
    result = shell(**({"TASK_QUEUE_URL": queue_url} if queue_url else {}))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [backend, "https://news.example.org", rq]


def test_an_unknown_queue_url_is_refused_in_words():
    result = shell(TASK_QUEUE_URL="amqp://rabbit/")

    assert result.returncode != 0
    assert "TASK_QUEUE_URL must be 'database', 'immediate' or a redis:// URL" in result.stderr


def test_site_url_is_taken_as_given_and_refused_with_a_path():
    assert shell(SITE_URL="https://press.example/").stdout.split()[1] == "https://press.example"

    result = shell(SITE_URL="press.example/news")
    assert result.returncode != 0
    assert "SITE_URL must be the site's scheme and host" in result.stderr
