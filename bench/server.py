"""Serve the site with gunicorn on loopback for a measurement: start it, wait, stop it.

Shared by the benchmark (bench/run.py) and the load test (loadtest/run.py).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STARTUP_TIMEOUT_S = 30
# 60 characters, so settings accept it with DEBUG off; it signs nothing outside a measurement.
THROWAWAY_SECRET_KEY = "measurement-only-secret-key-not-for-any-real-site-0123456789"


def production_env(media_root: Path, **settings: str) -> dict[str, str]:
    """This environment with production's settings (DEBUG off), on loopback, plus ``settings``."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="pressimus.settings",
        DEBUG="false",
        SECRET_KEY=THROWAWAY_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        ADMIN_REQUIRE_MFA="false",
        MEDIA_ROOT=str(media_root),
        **settings,
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """A management command against the site ``env`` describes, as an operator would run it;
    its output. A failure raises with what the command printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and not one this process was given before: the kernel
    may offer the same free port twice in a row, before the first caller binds it."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def http_status(port: int, path: str, tls: ssl.SSLContext | None = None) -> int:
    conn = (
        http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=tls)
        if tls is not None
        else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    )
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def log_tail(log_path: Path, lines: int = 30) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def gunicorn(
    env: dict[str, str],
    port: int,
    log_path: Path,
    *,
    workers: int | None = None,
    extra_args: Sequence[str] = (),
    tls: ssl.SSLContext | None = None,
    ready_path: str = "/robots.txt",
) -> Iterator[subprocess.Popen[bytes]]:
    """Serve the site on 127.0.0.1:``port`` for the duration of the block, then stop it.

    Settings come from gunicorn.conf.py and ``env``; ``workers`` (else WEB_CONCURRENCY or the
    config's default) and ``extra_args`` override them. A site served over HTTPS (gunicorn's
    ``--certfile``/``--keyfile`` in ``extra_args``) is checked with the client context ``tls``.
    It is up when ``ready_path`` answers 200 (behind a proxy that terminates TLS, /healthz:
    production settings redirect other plain-HTTP requests).
    """
    command = [
        str(Path(PYTHON).with_name("gunicorn")),
        "--config",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        *(["--workers", str(workers)] if workers is not None else []),
        "--graceful-timeout",
        "5",
        *extra_args,
        "pressimus.wsgi",
    ]
    with background(command, env, log_path) as process:
        wait_until_up(process, port, log_path, tls, ready_path)
        yield process


@contextmanager
def background(
    command: Sequence[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` from the project's directory, its output in ``log_path``, until the block
    ends; then stop it (SIGTERM, then SIGKILL after 15 s) with every process it started."""
    with log_path.open("wb") as log:
        # Its own session, so a Ctrl-C aimed at the caller reaches it only through the finally,
        # and its children (gunicorn's workers, a job's work horse) can be found as its group.
        process = subprocess.Popen(
            list(command),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def wait_until_up(
    process: subprocess.Popen[bytes],
    port: int,
    log_path: Path,
    tls: ssl.SSLContext | None = None,
    ready_path: str = "/robots.txt",
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_tail(log_path)}")
        try:
            if http_status(port, ready_path, tls) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {STARTUP_TIMEOUT_S} s:\n{log_tail(log_path)}")


def loopback_certificate(directory: Path) -> tuple[Path, Path, ssl.SSLContext, str]:
    """A throwaway authority (its certificate in ``directory``/authority.pem, for curl's
    --cacert) and a certificate for 127.0.0.1 signed by it; the client context that trusts it;
    the certificate's public-key pin (base64 SHA-256 of its SPKI), which is how Chromium is
    told to accept it and nothing else."""
    import base64
    import hashlib

    import trustme
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(directory / "authority.pem"))
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = directory / "site.pem", directory / "site.key"
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    certificate.private_key_pem.write_to_path(str(key_path))
    client = ssl.create_default_context()
    authority.configure_trust(client)
    public_key = x509.load_pem_x509_certificate(certificate.cert_chain_pems[0].bytes()).public_key()
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    return cert_path, key_path, client, pin


@contextmanager
def fresh_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """An empty PostgreSQL database ``name`` on the server of ``server_url`` (dropped first if
    a previous run left it), its URL for the block, dropped after it."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(server_url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    try:
        with admin.cursor() as cursor:
            cursor.execute(drop)
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield urlunsplit(parts._replace(path=f"/{name}"))
        with admin.cursor() as cursor:
            cursor.execute(drop)
    finally:
        admin.close()
