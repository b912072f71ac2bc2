"""The README's commands work as written on a fresh clone: every `make` target it names exists,
every management command it shows runs with the virtualenv's Python and knows its options."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
# What a fresh clone has after `make setup`: the virtualenv's Python, and no production
# environment (so DEBUG=true, as the README writes it).
VENV_PYTHON = ".venv/bin/python"


def _command_lines() -> list[str]:
    """Every line of the README's indented code blocks, and every `make …` in backticks."""
    lines = [line.strip() for line in re.findall(r"^    (\S.*)$", README, re.M)]
    lines += re.findall(r"`(make [^`]+)`", README)
    return lines


def _manage_lines() -> list[str]:
    return [line for line in _command_lines() if "manage.py" in line]


def test_every_make_target_the_readme_names_exists():
    targets = set(re.findall(r"^([a-z][\w-]*):", MAKEFILE, re.M))
    named = {line.split()[1] for line in _command_lines() if line.startswith("make ")}
    named |= set(re.findall(r"`make ([a-z][\w-]*)", README))

    assert named, "the README names no make target"
    assert named <= targets, f"not in the Makefile: {sorted(named - targets)}"


def test_every_local_management_command_follows_make_setup():
    blocks = re.findall(r"((?:^    .*\n)+)", README, re.M)
    local = [block for block in blocks if f"{VENV_PYTHON} manage.py" in block]

    assert local, "the README shows no management command"
    assert all(block.lstrip().startswith("make setup") for block in local), local


def test_management_commands_run_with_the_virtualenvs_python_or_in_the_container():
    # The system Python has no Django: `python manage.py …` fails on a fresh clone.
    bare = [
        line
        for line in _manage_lines()
        if not re.search(r"(^|\s)\.venv/bin/python manage\.py|docker compose exec", line)
    ]

    assert bare == []


def test_commands_with_the_virtualenvs_python_say_which_settings_they_run_with():
    # Without DEBUG=true (or a production environment) settings refuse to start.
    local = [line for line in _manage_lines() if line.startswith(VENV_PYTHON)]

    assert local == []


def _invocation(line: str) -> tuple[str, list[str]]:
    words = shlex.split(line.split(" #")[0].split(" > ")[0].split(" < ")[0])
    at = words.index("manage.py")
    return words[at + 1], words[at + 2 :]


@pytest.mark.parametrize("line", sorted(set(_manage_lines())))
def test_each_management_command_in_the_readme_knows_the_options_it_is_shown_with(line):
    command, arguments = _invocation(line)
    env = {**os.environ, "DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", command, "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    options = [word.split("=")[0] for word in arguments if word.startswith("--")]
    unknown = [option for option in options if option not in result.stdout]
    assert unknown == [], f"manage.py {command} does not know {unknown}"
