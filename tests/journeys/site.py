"""The site as production runs it, on loopback: gunicorn over HTTPS with production settings.

DEBUG off, the strict Content-Security-Policy, ``__Host-`` cookies, the HTTPS redirect and
two-factor for the back office, all from the same environment variables a deployment sets.
Its database is its own (a SQLite file, or a PostgreSQL database beside the test database),
seeded with the demo; its cache is Redis (as in production) when Redis is reachable; it mails
through SMTP to a server in this process, so a journey reads the mail a person would get.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

from bench.server import (
    background,
    free_port,
    fresh_postgres_database,
    gunicorn,
    log_tail,
    loopback_certificate,
    manage,
    reachable,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
MAIL_TIMEOUT_S = 15


class Mailbox:
    """Every message the site sent, as the SMTP server in this process received it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, *, to: str, subject: str, after: int = 0) -> EmailMessage:
        """The first message to ``to`` whose subject contains ``subject``, among those
        received from position ``after`` on; waits for it to arrive."""
        deadline = time.monotonic() + MAIL_TIMEOUT_S
        with self._arrived:
            while True:
                for message in self.messages[after:]:
                    if to.lower() in str(message["To"]).lower() and subject in message["Subject"]:
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = [(str(m["To"]), str(m["Subject"])) for m in self.messages[after:]]
                    raise AssertionError(f"No mail to {to} about {subject!r}; got {got}")
                self._arrived.wait(remaining)

    def __len__(self) -> int:
        return len(self.messages)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage, path_prefix: str) -> str:
    """The link in the mail's text whose path starts with ``path_prefix``."""
    for url in re.findall(r"https?://\S+", text_of(message)):
        url = url.rstrip(".,)>]")
        if urlsplit(url).path.startswith(path_prefix):
            return url
    raise AssertionError(f"No link to {path_prefix} in:\n{text_of(message)}")


@dataclass
class Site:
    url: str
    env: dict[str, str]
    mailbox: Mailbox
    log_path: Path
    cert_spki: str
    authenticators: dict[str, object] = field(default_factory=dict)

    def manage(self, *args: str) -> str:
        """Run a management command against this site, as an operator would; its output."""
        return manage(self.env, *args, timeout=120)

    def log_tail(self) -> str:
        return log_tail(self.log_path, 60)


@contextmanager
def _smtp_server(mailbox: Mailbox) -> Iterator[int]:
    # aiosmtpd narrates every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def _database(directory: Path) -> Iterator[str]:
    """A database of the site's own: beside the test database on PostgreSQL, else SQLite."""
    test_url = os.environ.get("DATABASE_URL", "")
    if not test_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield f"sqlite:///{directory / 'journeys.sqlite3'}"
        return
    name = f"{urlsplit(test_url).path.lstrip('/') or 'pressimus'}_journeys"
    with fresh_postgres_database(test_url, name) as url:
        yield url


@contextmanager
def _cache() -> Iterator[tuple[str, int]]:
    """Redis with a key prefix of this run's own, and two workers sharing it; without Redis
    (only outside CI) one worker with its own memory."""
    if not reachable("127.0.0.1", 6379):
        if os.environ.get("CI", "").lower() == "true":
            raise RuntimeError("Redis is not reachable on 127.0.0.1:6379: start it first.")
        warnings.warn(
            "Redis is down: the journeys run one web worker with its own cache", stacklevel=1
        )
        yield "locmemcache://journeys", 1
        return
    import redis

    prefix = f"journeys-{secrets.token_hex(4)}"
    try:
        yield f"{REDIS_URL}?key_prefix={prefix}", 2
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextmanager
def _task_worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """The task queue's worker beside the web processes, as production runs one: the mail
    a person waits for (an acknowledgement, a password reset) leaves through it."""
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"]
    with background(command, env, log_path):
        yield


@contextmanager
def production_site(directory: Path) -> Iterator[Site]:
    """Serve the demo site over HTTPS with production settings until the block ends."""
    with ExitStack() as stack:
        mailbox = Mailbox()
        smtp_port = stack.enter_context(_smtp_server(mailbox))
        database_url = stack.enter_context(_database(directory))
        cache_url, workers = stack.enter_context(_cache())
        cert_path, key_path, client_tls, pin = loopback_certificate(directory)
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            # The test settings pytest-env puts in this process's environment.
            if key not in {"LIVE_MEMO_MS", "SECURE_SSL_REDIRECT", "ADMIN_REQUIRE_MFA"}
            # The queue of production: the database's, with a worker of its own below.
            and key != "TASK_QUEUE_URL"
        }
        env.update(
            DJANGO_SETTINGS_MODULE="pressimus.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url,
            CACHE_URL=cache_url,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            DEFAULT_FROM_EMAIL="Pressimus <noreply@pressimus.test>",
            MEDIA_ROOT=str(directory / "media"),
            STATIC_ROOT=str(directory / "static"),
            ADMIN_REQUIRE_MFA="true",
            LOG_LEVEL="WARNING",
            # No proxy in front: gunicorn itself speaks TLS.
            FORWARDED_ALLOW_IPS="",
        )
        site = Site(
            url=f"https://127.0.0.1:{port}",
            env=env,
            mailbox=mailbox,
            log_path=directory / "gunicorn.log",
            cert_spki=pin,
        )
        site.manage("migrate", "--no-input", "--verbosity", "0")
        site.manage("seed_demo")
        site.manage("collectstatic", "--no-input", "--verbosity", "0")
        stack.enter_context(_task_worker(env, directory / "worker.log"))
        stack.enter_context(
            gunicorn(
                env,
                port,
                site.log_path,
                workers=workers,
                extra_args=["--certfile", str(cert_path), "--keyfile", str(key_path)],
                tls=client_tls,
            )
        )
        yield site
