"""`make stack` as a person runs it: it returns once the stack is up, its address the last line
of its output, the environment of its processes in <directory>/env for a manage.py command to
join; `make stack-stop` leaves nothing running.

It runs beside the session's stack of the other tests, on a directory, a database and a task
queue of its own (STACK_DIRECTORY, STACK_DATABASE, STACK_QUEUE_DB), over plain HTTP.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bench.procs import process_tree, running
from bench.server import free_port, reachable
from tests.stack.conftest import (
    BASE_DIR,
    PUBLIC_STREAM,
    _require_stack,
    open_directory,
    wait_for,
)

pytestmark = [pytest.mark.stack]

DATABASE = "pressimus_stack_command_tests"
# Redis databases 0 and 10 to 15 are other tests' and the other stacks'.
QUEUE_DB = 7
# What Django needs from the shell that sources the stack's environment: nothing of its own.
SHELL_VARIABLES = ("PATH", "HOME", "LANG")


def _make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", target],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
    )


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def _mentioning(directory: Path) -> list[str]:
    """The command lines of the processes whose command line or environment names
    ``directory``: nginx by its prefix, gunicorn and the worker by MEDIA_ROOT."""
    needle = str(directory).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
            if needle in command or needle in (proc / "environ").read_bytes():
                found.append(command.replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def test_make_stack_starts_it_in_the_background_and_make_stack_stop_ends_it():
    _require_stack()
    port = free_port()
    with open_directory() as directory:
        # Not as a make run by another make (MAKELEVEL): that one would print "Leaving
        # directory" after the stack's address.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
        env |= {
            "STACK_PORT": str(port),
            "STACK_DIRECTORY": str(directory),
            "STACK_DATABASE": DATABASE,
            "STACK_QUEUE_DB": str(QUEUE_DB),
        }
        started = _make("stack", env)
        try:
            assert started.returncode == 0, started.stdout
            url = f"http://127.0.0.1:{port}/"
            assert started.stdout.splitlines()[-1] == f"stack: {url}"

            assert _get(url)[0] == 200
            page = _get(f"{url}streams/{PUBLIC_STREAM}/")[1]
            push_port = int(re.search(r'data-events-url="http://127\.0\.0\.1:(\d+)/', page)[1])
            assert push_port != port

            env_file = directory / "env"
            assert env_file.stat().st_mode & 0o777 == 0o600
            keys = {line.split("=", 1)[0] for line in env_file.read_text().splitlines()}
            assert {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"} <= keys
            assert "PATH" not in keys
            script = (
                "from django.db import connection; from streams.models import Stream; "
                "print(connection.settings_dict['NAME'], Stream.objects.count())"
            )
            joined = subprocess.run(
                [
                    "sh",
                    "-c",
                    f"set -a; . {shlex.quote(str(env_file))}; "
                    f"{shlex.quote(sys.executable)} manage.py shell -c {shlex.quote(script)}",
                ],
                cwd=BASE_DIR,
                env={name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert joined.returncode == 0, joined.stderr
            database, streams = joined.stdout.split()[-2:]
            assert database == DATABASE
            assert int(streams) > 0

            again = _make("stack", env)
            assert again.returncode != 0
            assert "already runs" in again.stdout
            assert _get(url)[0] == 200

            parts = process_tree(int((directory / "stack.pid").read_text()))
            commands = " ".join(_mentioning(directory))
            assert all(word in commands for word in ("gunicorn", "rqworker", "nginx")), commands
        finally:
            stopped = _make("stack-stop", env)

        assert stopped.returncode == 0, stopped.stdout
        assert not reachable("127.0.0.1", port)
        assert not reachable("127.0.0.1", push_port)
        wait_for(
            lambda: not any(map(running, parts)) and not _mentioning(directory),
            timeout=5,
            what="every process of the stack to end",
        )
        assert not env_file.exists()
        assert "none runs" in _make("stack-stop", env).stdout
