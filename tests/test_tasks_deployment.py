"""docker-compose.yml runs the task queue as production does: RQ on a Redis of its own, and a
worker beside the web replicas."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_web_and_worker_share_a_queue_in_a_redis_of_its_own():
    for name in ("web", "worker"):
        environment = SERVICES[name]["environment"]
        assert environment["TASK_QUEUE_URL"] == "redis://queue:6379/0"
        assert environment["TASK_QUEUE_URL"] != environment["CACHE_URL"]
        assert SERVICES[name]["depends_on"]["queue"]["condition"] == "service_healthy"


def test_the_queue_keeps_its_jobs():
    command = SERVICES["queue"]["command"]

    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert SERVICES["queue"]["volumes"]


def test_the_worker_runs_rq_with_the_scheduler_and_django_tasks_jobs():
    command = SERVICES["worker"]["command"]

    assert command[:3] == ["python", "manage.py", "rqworker"]
    assert "--with-scheduler" in command
    assert command[command.index("--job-class") + 1] == "django_tasks_rq.Job"
    assert SERVICES["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    # The image's HTTP health check has nothing to ask in a worker.
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}
