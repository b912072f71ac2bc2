"""Run a manage.py command with the clock set to an instant, ticking on from there:

    python -m explainer.clock 2025-11-18T15:00:00+00:00 seed_demo

The explainer's pages show times of day and ages ("14 hours ago"): seeded and served at the
same fixed instant, they read the same at every remaking, so the video changes only when the
pages or the narration do.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine


def main() -> None:
    instant, *command = sys.argv[1:]
    with time_machine.travel(datetime.fromisoformat(instant), tick=True):
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main()
