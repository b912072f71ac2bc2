"""Benchmark the stream pages: seed a large and a small stream, serve them with gunicorn on
loopback, load them with wrk, and count their SQL queries.

    .venv/bin/python bench/run.py [--entries 100000] [--duration 10]

It prints numbers and asserts nothing. The database is a fresh SQLite file in a temporary
directory unless DATABASE_URL is set (e.g. to a PostgreSQL database, which it then seeds).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.server import (  # noqa: E402
    PYTHON,
    free_port,
    gunicorn,
    http_status,
    production_env,
    reachable,
)

LARGE_STREAM = "bench-large"
SMALL_STREAM = "bench-small"
# The product's bar: a stream of 100 000 entries is served about as fast as one of 100.
LATENCY_RATIO_BAR = 1.3
SEED_TIMEOUT_S = 600
STEP_TIMEOUT_S = 180
WARMUP_REQUESTS = 20

# The pages measured, by the label the report shows.
ROBOTS = "/robots.txt"
LARGE = "stream, large"
SMALL = "stream, small"
PERMALINK = "permalink, large"
PAGE_2 = "page 2, large"
DEEP = "deep page, large"
UPDATES = "updates, unchanged"
# Production shares one Redis cache between web processes; the live-update version and the
# cached poll answers only mean anything across processes when the bench does too.
REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Target:
    label: str
    path: str


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


@dataclass(frozen=True)
class PageStats:
    status: int
    queries: int
    median_ms: float


# --- setup -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries in the large stream")
    parser.add_argument("--small-entries", type=int, default=100, help="entries in the small one")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--rounds", type=int, default=200, help="in-process GETs of each page for the timing loop"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def bench_env(tmp: Path) -> dict[str, str]:
    """The environment of every step: production-like settings, on loopback only."""
    env = production_env(
        tmp / "media",
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}",
    )
    # As production runs (.env.example): connections kept between requests, quiet logs.
    env.setdefault("CONN_MAX_AGE", "60")
    if "CACHE_URL" not in env:
        if reachable("127.0.0.1", 6379):
            env["CACHE_URL"] = REDIS_URL
        else:
            print("== Redis is not reachable on 127.0.0.1:6379: each worker keeps its own cache")
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


def manage(env: dict[str, str], *args: str, timeout: float = STEP_TIMEOUT_S) -> float:
    """Run a management command; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=timeout)
    return time.perf_counter() - started


def prepare_database(env: dict[str, str], entries: int, small_entries: int) -> float:
    """Migrate, seed the demo and both bench streams, collect static files.

    Returns the wall time of seeding the large stream.
    """
    print("== migrate", flush=True)
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    print("== seed_demo", flush=True)
    manage(env, "seed_demo")
    print(f"== seed_demo --entries {entries} --stream {LARGE_STREAM}", flush=True)
    seed_s = manage(
        env,
        "seed_demo",
        "--entries",
        str(entries),
        "--stream",
        LARGE_STREAM,
        timeout=SEED_TIMEOUT_S,
    )
    print(f"== seed_demo --entries {small_entries} --stream {SMALL_STREAM}", flush=True)
    manage(env, "seed_demo", "--entries", str(small_entries), "--stream", SMALL_STREAM)
    print("== collectstatic", flush=True)
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    return seed_s


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def analyze_postgresql() -> None:
    """Give PostgreSQL's planner the statistics a production database would have.

    Autovacuum analyses a freshly loaded table only after a while; until then the planner
    guesses, and picks plans that no long-running database would use.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def find_targets() -> tuple[list[Target], dict[str, int]]:
    """The pages to measure, and how many visible entries each bench stream holds."""
    from django.conf import settings
    from django.urls import reverse

    from streams.models import Entry, Stream
    from streams.paging import Cursor

    counts = {}
    for slug in (LARGE_STREAM, SMALL_STREAM):
        stream = Stream.objects.get(slug=slug)
        counts[slug] = Entry.objects.published().for_stream(stream).count()
    visible = Entry.objects.published().for_stream(Stream.objects.get(slug=LARGE_STREAM))
    total, size = counts[LARGE_STREAM], settings.STREAM_PAGE_SIZE
    middle = visible.oldest_first().only("id")[total // 2]
    # Both cursors have a full page of entries behind them: one near the newest end, one near
    # the oldest; keyset paging should cost the same at either.
    shallow = visible.newest_first().only("id", "published_at")[min(total - 1, size - 1)]
    deep = visible.oldest_first().only("id", "published_at")[min(total - 1, size + 5)]
    large_url = reverse("streams:stream", kwargs={"slug": LARGE_STREAM})
    targets = [
        Target(ROBOTS, reverse("robots_txt")),
        Target(LARGE, large_url),
        Target(SMALL, reverse("streams:stream", kwargs={"slug": SMALL_STREAM})),
        Target(PERMALINK, reverse("streams:entry", args=[LARGE_STREAM, middle.pk])),
        Target(PAGE_2, f"{large_url}?before={Cursor.of(shallow).encode()}"),
        Target(DEEP, f"{large_url}?before={Cursor.of(deep).encode()}"),
        Target(UPDATES, updates_url(large_url)),
    ]
    return targets, counts


def updates_url(stream_url: str) -> str:
    """The poll URL a reader's open stream page holds: its newest entry and content version."""
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    html = Client(HTTP_HOST="127.0.0.1").get(stream_url).content.decode()
    match = re.search(r'data-updates-url="([^"]+)"', html)
    if match is None:
        raise SystemExit(f"No data-updates-url on {stream_url}: the page contract is broken.")
    return match[1].replace("&amp;", "&")


# --- in-process measurements -----------------------------------------------------------------


def measure_in_process(targets: list[Target], rounds: int) -> dict[str, PageStats]:
    """Each page's status and SQL query count once warm, and its median time over ``rounds``."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    statuses: dict[str, int] = {}
    queries: dict[str, int] = {}
    for target in targets:
        client.get(target.path)
        with CaptureQueriesContext(connection) as captured:
            statuses[target.path] = client.get(target.path).status_code
        queries[target.path] = len(captured.captured_queries)
    # Round-robin, so drift on the machine (another process, a warm cache) hits every page alike.
    samples: dict[str, list[float]] = {target.path: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            started = time.perf_counter()
            client.get(target.path)
            samples[target.path].append((time.perf_counter() - started) * 1000)
    connections.close_all()
    return {
        path: PageStats(statuses[path], queries[path], statistics.median(samples[path]))
        for path in samples
    }


# --- gunicorn and wrk ------------------------------------------------------------------------


def warm_up(port: int, path: str) -> int:
    """GET the page until every worker has rendered it; return the last status."""
    status = 0
    for _ in range(WARMUP_REQUESTS):
        status = http_status(port, path)
    return status


_WRK_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_WRK_PERCENTILE = re.compile(r"^\s*(\d+)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_WRK_TOTAL = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(output: str) -> WrkResult:
    percentiles = {
        int(pct): float(value) * _WRK_UNIT_MS[unit]
        for pct, value, unit in _WRK_PERCENTILE.findall(output)
    }
    rate, total = _WRK_RATE.search(output), _WRK_TOTAL.search(output)
    if rate is None or total is None or 50 not in percentiles or 99 not in percentiles:
        raise RuntimeError(f"Could not read wrk's output:\n{output}")
    non_2xx = _WRK_NON_2XX.search(output)
    sockets = _WRK_SOCKET.search(output)
    return WrkResult(
        requests_per_s=float(rate[1]),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(total[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run_wrk(url: str, args: argparse.Namespace) -> WrkResult:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        # wrk leaves requests slower than its 2 s default out of the latencies: keep them in.
        "--timeout",
        "10s",
        "--latency",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=args.duration + 30
    )
    return parse_wrk(done.stdout)


# --- report ----------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def print_ratio(
    title: str,
    loaded: dict[str, WrkResult],
    in_process: dict[str, PageStats],
    numerator: str,
    denominator: str,
    bar: float | None = None,
) -> None:
    """The latency ratio of two pages, by wrk's p50 and by the in-process median."""
    print(title)
    for how, value in (
        ("wrk p50", ratio(loaded[numerator].p50_ms, loaded[denominator].p50_ms)),
        (
            "in-process median",
            ratio(in_process[numerator].median_ms, in_process[denominator].median_ms),
        ),
    ):
        verdict = "" if bar is None else "within the bar" if value <= bar else "OVER THE BAR"
        print(f"  {how + ':':<19}{value:.3f}  {verdict}")


def print_report(
    targets: list[Target],
    loaded: dict[str, WrkResult],
    served: dict[str, int],
    in_process: dict[str, PageStats],
    seed_s: float,
    database: str,
    args: argparse.Namespace,
) -> None:
    path = {target.label: target.path for target in targets}
    baseline = loaded[path[ROBOTS]].requests_per_s
    print()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s against gunicorn with "
        f"{args.workers} workers on 127.0.0.1; in-process medians over {args.rounds} GETs"
    )
    header = (
        f"{'page':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs robots':>9} "
        f"{'queries':>7} {'in-proc ms':>10}  flags"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        result, stats = loaded[target.path], in_process[target.path]
        flags = []
        if served[target.path] != 200 or stats.status != 200:
            flags.append(f"status {served[target.path]}/{stats.status}")
        if result.non_2xx:
            flags.append(f"{result.non_2xx} non-2xx of {result.requests}")
        if result.socket_errors:
            flags.append(f"{result.socket_errors} socket errors")
        flag_text = "! " + ", ".join(flags) if flags else ""
        print(
            f"{target.label:<18} {result.requests_per_s:>9.1f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {ratio(result.requests_per_s, baseline):>9.3f} "
            f"{stats.queries:>7} {stats.median_ms:>10.2f}  {flag_text}".rstrip()
        )
    print()
    print_ratio(
        f"large/small stream page latency (bar <= {LATENCY_RATIO_BAR}):",
        loaded,
        in_process,
        path[LARGE],
        path[SMALL],
        bar=LATENCY_RATIO_BAR,
    )
    print_ratio(
        "deep page / page 2 of the large stream latency (flat keyset paging: about 1):",
        loaded,
        in_process,
        path[DEEP],
        path[PAGE_2],
    )
    print(f"seed of {args.entries} entries into {database}: {seed_s:.1f} s wall time")


# --- main ------------------------------------------------------------------------------------


def stop_on_sigterm(signum: int, frame: object) -> None:
    # Unwind through the finally blocks, which stop gunicorn and remove the temporary files.
    raise SystemExit(128 + signum)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 1
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="pressimus-bench-"))
    env = bench_env(tmp)
    database = (
        "DATABASE_URL (a top-up if it held the streams already)"
        if os.environ.get("DATABASE_URL")
        else f"a fresh SQLite file in {tmp}"
    )
    print(f"Pressimus bench on {database}, {os.cpu_count()} CPUs", flush=True)
    try:
        try:
            seed_s = prepare_database(env, args.entries, args.small_entries)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            print(f"Step failed: {' '.join(error.cmd[1:])} ({error})", file=sys.stderr)
            return 1
        setup_django(env)
        analyze_postgresql()
        targets, counts = find_targets()
        print(f"== entries: {counts}", flush=True)
        print(f"== in-process: query counts and {args.rounds} timed GETs of each page", flush=True)
        in_process = measure_in_process(targets, args.rounds)
        port = free_port()
        loaded: dict[str, WrkResult] = {}
        served: dict[str, int] = {}
        # Steady state: a worker recycled mid-run would add its restart to some page's numbers.
        steady = ("--max-requests", "0")
        with gunicorn(env, port, tmp / "gunicorn.log", workers=args.workers, extra_args=steady):
            for target in targets:
                url = f"http://127.0.0.1:{port}{target.path}"
                print(f"== wrk {url}", flush=True)
                served[target.path] = warm_up(port, target.path)
                loaded[target.path] = run_wrk(url, args)
        print_report(targets, loaded, served, in_process, seed_s, database, args)
        print(f"\nwhole bench: {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
