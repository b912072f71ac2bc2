"""The production shape on loopback, from Debian's packages: `make stack`.

nginx with Nchan in front (the edge cache and the push engine, configured by the same files in
deploy/nginx/ that docker-compose.yml's proxy runs), two gunicorn replicas with production
settings, PostgreSQL, Redis for the cache and for the task queue (RQ, with its worker), over
HTTPS with a throwaway certificate for 127.0.0.1, seeded with the demo. Runs until Ctrl+C, and
leaves nothing running behind it.

The tests (tests/stack/) and the load test (`make loadtest MODE=stack`) start it the same way,
through ``running_stack``.

    python deploy/stack.py [--port 8443] [--directory .stack]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.server import (  # noqa: E402
    background,
    free_port,
    fresh_postgres_database,
    gunicorn,
    http_status,
    log_tail,
    loopback_certificate,
    manage,
    reachable,
)

NGINX_DIR = BASE_DIR / "deploy" / "nginx"
NCHAN_MODULE = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")
POSTGRES_URL = os.environ.get("STACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = "pressimus_stack"
REDIS = ("127.0.0.1", 6379)
# Redis databases of the stack's own: the cache (under a key prefix of each run) and the queue.
CACHE_REDIS_DB = 12
QUEUE_REDIS_DB = 10  # tests/test_tasks_rq.py has 11
WEB_REPLICAS = 2
# Sync workers per replica: two replicas of two fill the two cores of the machine it is
# measured on, with the proxy and the database beside them.
WORKERS_PER_REPLICA = 2
STARTUP_TIMEOUT_S = 30
# Variables of the test run that must not reach a production-shaped site (pytest-env's).
TEST_ONLY_VARIABLES = {"LIVE_MEMO_MS", "SECURE_SSL_REDIRECT", "ADMIN_REQUIRE_MFA", "TASK_QUEUE_URL"}


class StackUnavailable(RuntimeError):
    """A part the stack runs on is missing from this machine: the message says how to add it."""


def missing_parts() -> list[str]:
    """What this machine lacks to run the stack, as the fix for each; empty when all is there."""
    missing = []
    if shutil.which("nginx") is None or not NCHAN_MODULE.exists():
        missing.append("nginx and Nchan: apt-get install nginx libnginx-mod-nchan")
    if shutil.which("envsubst") is None:
        missing.append("envsubst: apt-get install gettext-base")
    if not reachable("127.0.0.1", 5432):
        missing.append("PostgreSQL on 127.0.0.1:5432: start it (service postgresql start)")
    if not reachable(*REDIS):
        missing.append("Redis on 127.0.0.1:6379: start it (service redis-server start)")
    return missing


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    directory: Path
    client_tls: ssl.SSLContext
    cert_spki: str
    proxy_port: int
    publish_port: int
    web_ports: list[int]
    proxy_env: dict[str, str]
    proxy: subprocess.Popen[bytes] | None = None
    _proxy_log: Path = field(init=False)

    def __post_init__(self) -> None:
        self._proxy_log = self.directory / "proxy.log"

    def manage(self, *args: str, timeout: float = 300) -> str:
        """A management command against the stack's database, as an operator would run it."""
        return manage(self.env, *args, timeout=timeout)

    def start_proxy(self) -> None:
        """Start nginx (the edge and the push engine) and wait until it answers."""
        log = self._proxy_log.open("ab")
        self.proxy = subprocess.Popen(
            ["sh", str(NGINX_DIR / "entrypoint.sh")],
            env=self.proxy_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proxy.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{log_tail(self._proxy_log)}")
            try:
                if http_status(self.proxy_port, "/robots.txt", self.client_tls) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer:\n{log_tail(self._proxy_log)}")

    def stop_proxy(self) -> None:
        """Stop nginx as docker stops the proxy (SIGTERM: push readers are disconnected and
        fall back to polling until it is back)."""
        if self.proxy is None:
            return
        if self.proxy.poll() is None:
            self.proxy.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.proxy.wait(timeout=15)
        # nginx's master and workers are in the entrypoint's process group: none outlives it.
        with suppress(ProcessLookupError):
            os.killpg(self.proxy.pid, signal.SIGKILL)
        self.proxy.wait(timeout=5)

    def proxy_log(self) -> str:
        return log_tail(self._proxy_log, 40)


@contextmanager
def _redis_urls() -> Iterator[tuple[str, str]]:
    import redis

    prefix = f"stack-{secrets.token_hex(4)}"
    base = f"redis://{REDIS[0]}:{REDIS[1]}"
    queue = redis.Redis.from_url(f"{base}/{QUEUE_REDIS_DB}")
    # The queue's database is the stack's alone: jobs of an earlier run are not this one's.
    queue.flushdb()
    try:
        yield f"{base}/{CACHE_REDIS_DB}?key_prefix={prefix}", f"{base}/{QUEUE_REDIS_DB}"
    finally:
        cache = redis.Redis.from_url(f"{base}/{CACHE_REDIS_DB}")
        keys = list(cache.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            cache.delete(*keys)
        cache.close()
        queue.flushdb()
        queue.close()


def _web_env(directory: Path, *, database_url: str, cache_url: str, queue_url: str, url: str,
             publish_port: int, extra: dict[str, str]) -> dict[str, str]:  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="pressimus.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        CACHE_URL=cache_url,
        TASK_QUEUE_URL=queue_url,
        SITE_URL=url,
        # The proxy in front appends the client's address, and terminates TLS.
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
        PUSH_URL=f"http://127.0.0.1:{publish_port}",
        EMAIL_URL="consolemail://",
        MEDIA_ROOT=str(directory / "media"),
        STATIC_ROOT=str(directory / "static"),
        WEB_CONCURRENCY=str(WORKERS_PER_REPLICA),
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@contextmanager
def running_stack(
    directory: Path,
    *,
    port: int | None = None,
    database_name: str = DATABASE_NAME,
    seed: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Run the stack until the block ends; ``env`` adds to (or overrides) the web processes'
    settings."""
    if missing := missing_parts():
        raise StackUnavailable("The stack needs " + "; ".join(missing))
    # nginx's prefix and the paths in its configuration are read from where nginx runs.
    directory = directory.resolve()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / "media").mkdir()
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database(POSTGRES_URL, database_name))
        cache_url, queue_url = stack.enter_context(_redis_urls())
        cert_path, key_path, client_tls, pin = loopback_certificate(directory)
        proxy_port = port or free_port()
        publish_port = free_port()
        web_ports = [free_port() for _ in range(WEB_REPLICAS)]
        url = f"https://127.0.0.1:{proxy_port}"
        web_env = _web_env(
            directory,
            database_url=database_url,
            cache_url=cache_url,
            queue_url=queue_url,
            url=url,
            publish_port=publish_port,
            extra=env or {},
        )
        proxy_env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "PRESSIMUS_NGINX_DIR": str(directory / "nginx"),
            "PRESSIMUS_CACHE_DIR": str(directory / "nginx" / "cache"),
            "PRESSIMUS_LISTEN": (
                f"listen 127.0.0.1:{proxy_port} ssl http2; "
                f"ssl_certificate {cert_path}; ssl_certificate_key {key_path};"
            ),
            "PRESSIMUS_WEB_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in web_ports),
            "PRESSIMUS_PUBLISH_LISTEN": f"127.0.0.1:{publish_port}",
            "PRESSIMUS_MEDIA_SOURCE": f"alias {directory / 'media'}/;",
        }
        site = Stack(
            url=url,
            env=web_env,
            directory=directory,
            client_tls=client_tls,
            cert_spki=pin,
            proxy_port=proxy_port,
            publish_port=publish_port,
            web_ports=web_ports,
            proxy_env=proxy_env,
        )
        site.manage("migrate", "--no-input", "--verbosity", "0")
        if seed:
            site.manage("seed_demo")
        site.manage("collectstatic", "--no-input", "--verbosity", "0")
        for number, web_port in enumerate(web_ports, start=1):
            log_path = directory / f"web{number}.log"
            stack.enter_context(gunicorn(web_env, web_port, log_path, ready_path="/healthz"))
        worker = [sys.executable, "manage.py", "rqworker", "--with-scheduler"]
        worker += ["--job-class", "django_tasks_rq.Job", "default"]
        stack.enter_context(background(worker, web_env, directory / "worker.log"))
        stack.callback(site.stop_proxy)
        site.start_proxy()
        yield site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8443, help="the readers' HTTPS port")
    parser.add_argument("--directory", type=Path, default=BASE_DIR / ".stack")
    arguments = parser.parse_args()
    if reachable("127.0.0.1", arguments.port):
        sys.exit(f"Port {arguments.port} is taken (an earlier stack?): choose one with --port.")
    # Ctrl+C and a plain kill both end the block below, which stops every part.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Also when started in the background, where a shell leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with running_stack(arguments.directory, port=arguments.port) as site:
            authority = arguments.directory / "authority.pem"
            print(f"   web replicas: {', '.join(f'127.0.0.1:{p}' for p in site.web_ports)}")
            print(f"   push publishes to: http://127.0.0.1:{site.publish_port}/stream-<slug>")
            print(f"   logs in {arguments.directory}/; curl --cacert {authority} {site.url}/")
            print("   Ctrl+C stops the stack")
            print(f"stack: {site.url}/", flush=True)
            while True:
                time.sleep(3600)
    except StackUnavailable as error:
        sys.exit(str(error))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
