"""Production settings come from the environment and refuse to start half-configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = "k3y-" + "x7Qp" * 15


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {"PATH": os.environ["PATH"], "DATABASE_URL": "sqlite:///:memory:", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="news.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_HOSTS": "news.example.org"}, "SECRET_KEY is not set"),
        ({"ALLOWED_HOSTS": "news.example.org", "SECRET_KEY": "short"}, "at least 50 characters"),
        ({"SECRET_KEY": REAL_KEY}, "ALLOWED_HOSTS is not set"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_and_hosts(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_runs_with_no_configuration_at_all():
    result = manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_every_variable_the_settings_read_is_documented_in_env_example():
    import re

    settings_source = (ROOT / "pressimus" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variables found: the pattern no longer matches settings.py"
    assert read - documented == set()


@pytest.mark.parametrize(("redirect", "upgrade"), [("true", "True"), ("false", "False")])
def test_browsers_upgrade_requests_to_https_only_where_the_site_redirects_to_it(redirect, upgrade):
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['upgrade-insecure-requests'])",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="news.example.org",
        SECURE_SSL_REDIRECT=redirect,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == upgrade


def test_production_defaults_redirect_and_upgrade_to_https():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, "
        "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['upgrade-insecure-requests'])",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="news.example.org",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"


@pytest.mark.parametrize("spelling", ["key_prefix", "KEY_PREFIX"])
def test_a_redis_cache_url_keeps_its_key_prefix_and_timeout(spelling):
    # django-environ hands Django's Redis backend these lower-cased, which Django ignores:
    # two sites on one Redis database would share sessions and live versions.
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.core.cache import cache; print(cache.key_prefix, cache.default_timeout)",
        DEBUG="true",
        CACHE_URL=f"redis://127.0.0.1:6379/13?{spelling}=news&timeout=60",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "news 60"
