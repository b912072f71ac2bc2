"""Gunicorn settings for Pressimus, read from the environment.

Run as ``gunicorn -c gunicorn.conf.py pressimus.wsgi``; command-line flags override these.
"""

from __future__ import annotations

import os


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None


def _usable_cpus() -> int:
    # The CPUs this process may run on, not the host's count: containers are often pinned.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


bind = os.environ.get("BIND") or f"0.0.0.0:{_int_env('PORT', 8000)}"

# 2 x cores + 1 keeps the CPUs busy while some workers wait on the database. Capped because each
# sync worker is a process with its own memory and database connection: beyond a dozen, add
# containers rather than workers, or PostgreSQL runs out of connections first.
workers = _int_env("WEB_CONCURRENCY", min(2 * _usable_cpus() + 1, 12))

# The worker heartbeat touches a file every few seconds; on a disk-backed /tmp (the default
# in Docker) that can stall a worker until it is killed for "timing out".
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Containers log to stdout/stderr and let the platform collect it.
accesslog = "-"
errorlog = "-"

timeout = _int_env("GUNICORN_TIMEOUT", 30)
# On deploy, let requests in flight finish instead of cutting readers off mid-page.
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 20)

# Front ends whose X-Forwarded-* headers gunicorn believes. Django trusts X-Forwarded-Proto on
# its own (SECURE_PROXY_SSL_HEADER), so the proxy in front must overwrite what clients send.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Recycle workers now and then so a slow leak never becomes an outage; the jitter keeps them
# from all restarting at the same moment. Rarely: a new worker loads Django again, and under
# the readers' polling 2000 meant a restart every few seconds (measured on 2 workers: 12
# restarts in 10 s, 1650 req/s and a 450 ms p99, against 2550 req/s and 10 ms without).
max_requests = _int_env("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int_env("GUNICORN_MAX_REQUESTS_JITTER", 10_000)

# Gunicorn 25+ opens a control socket under $HOME by default; in a container nothing uses it,
# and two instances on one host would fight over the same path. Opt in with a path.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
