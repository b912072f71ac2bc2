"""The production shape on loopback, from Debian's packages: `make stack`.

nginx in front (the edge cache), Nchan beside it in an nginx of its own (the push engine, on
another port: the origin the pages' EventSource connects to), both configured by the same files
in deploy/nginx/ that docker-compose.yml's proxy and push run, two gunicorn replicas with
production settings, PostgreSQL, Redis for the cache and for the task queue (RQ, with its
worker), seeded with the demo; it leaves nothing running behind it.

The tests (tests/stack/) and the load test (`make loadtest MODE=stack`) start it through
``running_stack``, over HTTPS with a throwaway certificate for 127.0.0.1. From the command line
it serves plain HTTP (browsers count http://127.0.0.1 as a secure context: the site's Secure
cookies hold), in the foreground until Ctrl+C or, with --detach (`make stack`), in the
background until --stop (`make stack-stop`). Either way it writes the environment of its web
processes to <directory>/env, for a manage.py command to join it (``set -a; . .stack/env``),
and its last line of output is ``stack: <its address>``.

    python deploy/stack.py [--detach | --stop] [--port 8443] [--directory .stack]
                           [--database pressimus_stack] [--queue-db 10]

STACK_DIRECTORY, STACK_DATABASE and STACK_QUEUE_DB in the environment change the last three's
defaults (the tests run `make stack` beside a stack of their own).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
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
# The command line's files in its directory; the stack's own are in RUN_DIR, made afresh.
ENV_FILE = "env"
PID_FILE = "stack.pid"
LOG_FILE = "stack.log"
RUN_DIR = "run"
# Migrating, seeding and collecting the static files take most of it.
DETACH_TIMEOUT_S = 180
STOP_TIMEOUT_S = 120
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
class Nginx:
    """One nginx of the proxy, started by deploy/nginx/entrypoint.sh as docker starts it."""

    name: str
    env: dict[str, str]
    port: int
    log_path: Path
    # The client context its readers' port is asked with; None: plain HTTP.
    tls: ssl.SSLContext | None
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def start(self) -> None:
        """Start it and wait until it answers on its readers' port."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["sh", str(NGINX_DIR / "entrypoint.sh")],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            # Any answer: the push engine serves nothing at /robots.txt (404).
            with suppress(OSError):
                if http_status(self.port, "/robots.txt", self.tls) in (200, 404):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer:\n{self.log()}")

    def stop(self) -> None:
        """Stop it as docker stops the container (SIGTERM: push readers are disconnected and
        fall back to polling until it is back)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        # nginx's master and workers are in the entrypoint's process group: none outlives it.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)

    def log(self) -> str:
        return log_tail(self.log_path, 40)


@dataclass
class Stack:
    url: str
    # Where the pages' EventSource connects: the push engine's origin (PUSH_EVENTS_ORIGIN).
    events_origin: str
    env: dict[str, str]
    # The part of ``env`` that is the stack's own (not inherited): what a manage.py command
    # needs to join it.
    settings: dict[str, str]
    directory: Path
    # The client context that trusts the stack's certificate, and the certificate's key pin;
    # None when it serves plain HTTP.
    client_tls: ssl.SSLContext | None
    cert_spki: str | None
    proxy: Nginx
    push: Nginx
    publish_port: int
    web_ports: list[int]

    def manage(self, *args: str, timeout: float = 300) -> str:
        """A management command against the stack's database, as an operator would run it."""
        return manage(self.env, *args, timeout=timeout)


@contextmanager
def _redis_urls(queue_db: int) -> Iterator[tuple[str, str]]:
    import redis

    prefix = f"stack-{secrets.token_hex(4)}"
    base = f"redis://{REDIS[0]}:{REDIS[1]}"
    queue = redis.Redis.from_url(f"{base}/{queue_db}")
    # The queue's database is the stack's alone: jobs of an earlier run are not this one's.
    queue.flushdb()
    try:
        yield f"{base}/{CACHE_REDIS_DB}?key_prefix={prefix}", f"{base}/{queue_db}"
    finally:
        cache = redis.Redis.from_url(f"{base}/{CACHE_REDIS_DB}")
        keys = list(cache.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            cache.delete(*keys)
        cache.close()
        queue.flushdb()
        queue.close()


def _settings(directory: Path, *, database_url: str, cache_url: str, queue_url: str, url: str,
              publish_port: int, events_origin: str, refresh_port: int,
              extra: dict[str, str]) -> dict[str, str]:  # fmt: skip
    """The web processes' settings: production's, for this stack."""
    settings = dict(
        DJANGO_SETTINGS_MODULE="pressimus.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        CACHE_URL=cache_url,
        TASK_QUEUE_URL=queue_url,
        SITE_URL=url,
        # The proxy in front appends the client's address (and terminates TLS, if any).
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
        PUSH_URL=f"http://127.0.0.1:{publish_port}",
        PUSH_EVENTS_ORIGIN=events_origin,
        EDGE_REFRESH_URL=f"http://127.0.0.1:{refresh_port}",
        EMAIL_URL="consolemail://",
        MEDIA_ROOT=str(directory / "media"),
        STATIC_ROOT=str(directory / "static"),
        WEB_CONCURRENCY=str(WORKERS_PER_REPLICA),
        LOG_LEVEL="WARNING",
    )
    if url.startswith("http://"):
        # Served without TLS: a redirect to https:// would lead nowhere.
        settings["SECURE_SSL_REDIRECT"] = "false"
    settings.update(extra)
    return settings


@contextmanager
def running_stack(
    directory: Path,
    *,
    port: int | None = None,
    database_name: str = DATABASE_NAME,
    queue_db: int = QUEUE_REDIS_DB,
    tls: bool = True,
    seed: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Run the stack until the block ends, over HTTPS (or plain HTTP: ``tls=False``); ``env``
    adds to (or overrides) the web processes' settings."""
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
        cache_url, queue_url = stack.enter_context(_redis_urls(queue_db))
        client_tls: ssl.SSLContext | None = None
        pin: str | None = None
        # What follows "listen 127.0.0.1:<port>". Without TLS, HTTP/1.1 alone: browsers speak
        # HTTP/2 only over TLS.
        listen_rest = ";"
        if tls:
            cert_path, key_path, client_tls, pin = loopback_certificate(directory)
            listen_rest = (
                f" ssl http2; ssl_certificate {cert_path}; ssl_certificate_key {key_path};"
            )
        proxy_port = port or free_port()
        push_port = free_port()
        publish_port = free_port()
        refresh_port = free_port()
        web_ports = [free_port() for _ in range(WEB_REPLICAS)]
        scheme = "https" if tls else "http"
        url = f"{scheme}://127.0.0.1:{proxy_port}"
        events_origin = f"{scheme}://127.0.0.1:{push_port}"
        settings = _settings(
            directory,
            database_url=database_url,
            cache_url=cache_url,
            queue_url=queue_url,
            url=url,
            publish_port=publish_port,
            events_origin=events_origin,
            refresh_port=refresh_port,
            extra=env or {},
        )
        inherited = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
        web_env = inherited | settings
        both = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            # Started as root, nginx's workers would run as nobody, who may not reach the
            # stack's directory (a checkout under /root, a private temporary directory): they
            # run as whoever started it.
            **({"PRESSIMUS_NGINX_USER": "root"} if os.geteuid() == 0 else {}),
            "PRESSIMUS_WEB_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in web_ports),
        }
        proxy = Nginx(
            "nginx (the edge)",
            {
                **both,
                "PRESSIMUS_ROLE": "edge",
                "PRESSIMUS_NGINX_DIR": str(directory / "nginx"),
                "PRESSIMUS_CACHE_DIR": str(directory / "nginx" / "cache"),
                "PRESSIMUS_LISTEN": f"listen 127.0.0.1:{proxy_port}{listen_rest}",
                "PRESSIMUS_MEDIA_SOURCE": f"alias {directory / 'media'}/;",
                "PRESSIMUS_REFRESH_LISTEN": f"listen 127.0.0.1:{refresh_port};",
            },
            proxy_port,
            directory / "proxy.log",
            client_tls,
        )
        push = Nginx(
            "nginx (the push engine)",
            {
                **both,
                "PRESSIMUS_ROLE": "push",
                "PRESSIMUS_NGINX_DIR": str(directory / "push"),
                "PRESSIMUS_LISTEN": f"listen 127.0.0.1:{push_port}{listen_rest}",
                "PRESSIMUS_PUBLISH_LISTEN": f"127.0.0.1:{publish_port}",
                "PRESSIMUS_SITE_ORIGIN": url,
            },
            push_port,
            directory / "push.log",
            client_tls,
        )
        site = Stack(
            url=url,
            events_origin=events_origin,
            env=web_env,
            settings=settings,
            directory=directory,
            client_tls=client_tls,
            cert_spki=pin,
            proxy=proxy,
            push=push,
            publish_port=publish_port,
            web_ports=web_ports,
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
        for nginx in (push, proxy):
            stack.callback(nginx.stop)
            nginx.start()
        yield site


def _shown(path: Path) -> str:
    """``path`` as a person would type it: from the current directory, when it is under it."""
    with suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _serves(pid: int) -> bool:
    """Whether process ``pid`` is a stack of this file's: not one that took the number of a
    stack that was killed, nor a zombie (its command line is empty)."""
    try:
        return Path(__file__).name.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _running(directory: Path) -> int | None:
    """The process serving the stack of ``directory``, if one does."""
    try:
        pid = int((directory / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    return pid if _serves(pid) else None


def _refuse_to_start(directory: Path, port: int) -> None:
    if (pid := _running(directory)) not in (None, os.getpid()):
        sys.exit(
            f"stack: one already runs from {_shown(directory)} (process {pid}); "
            "make stack-stop stops it."
        )
    if reachable("127.0.0.1", port):
        sys.exit(f"stack: port {port} is taken; choose another with --port (make: STACK_PORT=).")


def _write_env(path: Path, settings: dict[str, str]) -> None:
    """``settings`` as lines a shell sources, readable by their owner alone: SECRET_KEY."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.writelines(f"{key}={shlex.quote(value)}\n" for key, value in sorted(settings.items()))


def serve(arguments: argparse.Namespace) -> None:
    """Run the stack over plain HTTP until Ctrl+C or SIGTERM (--stop)."""
    directory = arguments.directory
    _refuse_to_start(directory, arguments.port)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PID_FILE).write_text(f"{os.getpid()}\n")

    def stop(*_: object) -> None:
        # Once: a second signal would cut short the stopping of the parts.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    # Ctrl+C and a plain kill both end the block below, which stops every part.
    signal.signal(signal.SIGTERM, stop)
    # Also when started in the background, where a shell leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with running_stack(
            directory / RUN_DIR,
            port=arguments.port,
            database_name=arguments.database,
            queue_db=arguments.queue_db,
            tls=False,
        ) as site:
            env_path = directory / ENV_FILE
            _write_env(env_path, site.settings)
            print(f"   web replicas: {', '.join(f'127.0.0.1:{p}' for p in site.web_ports)}")
            print(
                f"   push engine: {site.events_origin}/streams/<slug>/events/ (readers), "
                f"http://127.0.0.1:{site.publish_port}/stream-<slug> (publishing)"
            )
            print(f"   logs in {_shown(site.directory)}/; database {arguments.database}")
            print(
                f"   its environment in {_shown(env_path)}: `set -a; . {_shown(env_path)}` "
                "lets a manage.py command join it"
            )
            print("   make stack-stop stops it (in the foreground, Ctrl+C too)")
            print(f"stack: {site.url}/", flush=True)
            # Ended this way, not by the exception passing through it, the block also drops the
            # database.
            with suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    except StackUnavailable as error:
        sys.exit(str(error))
    except KeyboardInterrupt:
        pass
    finally:
        (directory / ENV_FILE).unlink(missing_ok=True)
        if _running(directory) == os.getpid():
            (directory / PID_FILE).unlink(missing_ok=True)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Stop a stack started in the background that never came up, and wait for its parts."""
    process.terminate()
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_S)


def detach(arguments: argparse.Namespace) -> None:
    """Start the stack in the background, in a session of its own; return once it is up, having
    printed what it printed, its address last."""
    directory = arguments.directory
    _refuse_to_start(directory, arguments.port)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ENV_FILE).unlink(missing_ok=True)
    log_path = directory / LOG_FILE
    command = [sys.executable, __file__, "--port", str(arguments.port)]
    command += ["--directory", str(directory), "--database", arguments.database]
    command += ["--queue-db", str(arguments.queue_db)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (directory / PID_FILE).write_text(f"{process.pid}\n")
    ready = f"stack: http://127.0.0.1:{arguments.port}/"
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    try:
        while ready not in (lines := log_path.read_text(errors="replace").splitlines()):
            if process.poll() is not None or time.monotonic() > deadline:
                _end(process)
                print(log_tail(log_path, 40), file=sys.stderr)
                sys.exit(f"stack: it did not start; its log is {_shown(log_path)}")
            time.sleep(0.2)
    except KeyboardInterrupt:
        _end(process)
        sys.exit(130)
    print("\n".join(lines[: lines.index(ready) + 1]), flush=True)


def stop(directory: Path) -> None:
    """Stop the stack running from ``directory`` and wait until every part of it has stopped."""
    pid = _running(directory)
    if pid is None:
        (directory / PID_FILE).unlink(missing_ok=True)
        print(f"stack: none runs from {_shown(directory)}")
        return
    # Its handler ends the block of running_stack, which stops each part and waits for it.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _serves(pid):
        if time.monotonic() > deadline:
            sys.exit(f"stack: process {pid} did not stop in {STOP_TIMEOUT_S} s")
        time.sleep(0.2)
    (directory / PID_FILE).unlink(missing_ok=True)
    print(f"stack: stopped (it ran from {_shown(directory)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true", help="run in the background (make stack)")
    mode.add_argument("--stop", action="store_true", help="stop it (make stack-stop)")
    parser.add_argument("--port", type=int, default=8443, help="the readers' port (the proxy's)")
    parser.add_argument(
        "--directory",
        type=Path,
        default=os.environ.get("STACK_DIRECTORY", str(BASE_DIR / ".stack")),
        help="its environment (env), pid, log, and the stack's own files (run/)",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("STACK_DATABASE", DATABASE_NAME),
        help="its PostgreSQL database, dropped and made again",
    )
    parser.add_argument(
        "--queue-db",
        type=int,
        default=os.environ.get("STACK_QUEUE_DB", str(QUEUE_REDIS_DB)),
        help="its task queue's Redis database, emptied",
    )
    arguments = parser.parse_args()
    # The stack in the background, and nginx, run from other directories.
    arguments.directory = arguments.directory.resolve()
    if arguments.stop:
        stop(arguments.directory)
    elif arguments.detach:
        detach(arguments)
    else:
        serve(arguments)


if __name__ == "__main__":
    main()
