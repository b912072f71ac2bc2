"""Load and fault test: many readers load and poll live streams while editors publish and
edit entries in the admin, against gunicorn on loopback with PostgreSQL and Redis.

    .venv/bin/python loadtest/run.py [--readers 50] [--duration 60] [--fault db-restart]

At the end it reports requests, errors and latency percentiles per kind of request, and
checks that every reader was handed every entry published in its stream after it loaded
the page exactly once and in the stream's order. It exits 1 when a bar fails.

Needs PostgreSQL on 127.0.0.1:5432 (LOADTEST_DATABASE_URL; its database is dropped and
made again) and Redis on 127.0.0.1:6379 (db 14 is flushed). ``--fault db-restart``
restarts PostgreSQL a third of the way in with LOADTEST_DB_RESTART_CMD (by default
``pg_ctlcluster`` for the local cluster; with docker compose: ``docker compose restart
db``); the web processes are not restarted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.server import (  # noqa: E402
    PYTHON,
    free_port,
    gunicorn,
    production_env,
    reachable,
)
from loadtest.check import Delivery, check_delivery, percentile  # noqa: E402
from loadtest.clients import (  # noqa: E402
    KINDS,
    PUBLISH,
    Editor,
    Reader,
    Record,
    Stats,
    Stop,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pressimus_loadtest"
REDIS_URL = "redis://127.0.0.1:6379/14"
STREAM_SLUGS = ("loadtest-1", "loadtest-2", "loadtest-3")
SETUP_BUDGET_S = 300
STEP_TIMEOUT_S = 180
DB_RESTART_TIMEOUT_S = 90
# Beyond the duration: the readers' last interval and catch-up round, and stopping.
WIND_DOWN_S = 120


@dataclass(frozen=True)
class Site:
    base_url: str
    admin_path: str
    editor_email: str
    password: str
    streams: dict[int, str]  # stream id -> page path


@dataclass
class Fault:
    command: list[str]
    issued: float = 0.0
    took_s: float = 0.0
    returncode: int | None = None
    output: str = ""
    window: tuple[float, float] | None = None
    recovered: bool = False


# --- setup -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=50, help="concurrent readers")
    parser.add_argument("--duration", type=int, default=60, help="seconds of publishing")
    parser.add_argument("--editors", type=int, default=3, help="concurrent editors")
    parser.add_argument("--entries", type=int, default=200, help="entries seeded per stream")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (else gunicorn.conf.py's)"
    )
    parser.add_argument("--fault", choices=["db-restart"], help="restart PostgreSQL mid-run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--mode",
        choices=["default", "stack"],
        default="default",
        help="stack: nginx, Nchan and two replicas under 100 000 readers (loadtest/stack.py)",
    )
    return parser.parse_args()


def loadtest_env(tmp: Path, database_url: str) -> dict[str, str]:
    """Production's settings, from the environment, on loopback only."""
    return production_env(
        tmp / "media",
        DATABASE_URL=database_url,
        CACHE_URL=REDIS_URL,
        CONN_MAX_AGE="60",
        LIVE_POLL_INTERVAL_MS="1000",
        LOG_LEVEL="WARNING",
    )


def recreate_database(database_url: str) -> None:
    """Drop and create the load test's database, on the server LOADTEST_DATABASE_URL names."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"LOADTEST_DATABASE_URL names no database: {database_url}")
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        connect_timeout=5,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=STEP_TIMEOUT_S
    )


def prepare(env: dict[str, str], database_url: str, entries: int) -> None:
    parts = urlsplit(database_url)
    if not reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        raise SystemExit(
            f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}: start it "
            "(docker compose up -d postgres) or set LOADTEST_DATABASE_URL."
        )
    if not reachable("127.0.0.1", 6379):
        raise SystemExit("Redis is not reachable on 127.0.0.1:6379: start it first.")
    print(f"== recreate database {parts.path.lstrip('/')}, flush {REDIS_URL}", flush=True)
    recreate_database(database_url)
    flush_redis()
    print("== migrate, seed_demo, collectstatic", flush=True)
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "seed_demo")
    for slug in STREAM_SLUGS:
        manage(env, "seed_demo", "--entries", str(entries), "--stream", slug)
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def find_site(port: int) -> Site:
    from django.conf import settings
    from django.db import connections

    from streams.demo import load_demo
    from streams.models import Stream

    streams = {s.pk: s.get_absolute_url() for s in Stream.objects.filter(slug__in=STREAM_SLUGS)}
    connections.close_all()
    demo = load_demo()
    return Site(
        base_url=f"http://127.0.0.1:{port}",
        admin_path=f"/{settings.ADMIN_URL}",
        editor_email=demo.editor_of(demo.bulk.publisher).email,
        password=demo.password,
        streams=streams,
    )


def restart_command() -> list[str]:
    """LOADTEST_DB_RESTART_CMD, else pg_ctlcluster for the local cluster on port 5432."""
    if command := os.environ.get("LOADTEST_DB_RESTART_CMD"):
        return shlex.split(command)
    if shutil.which("pg_lsclusters"):
        listing = subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10
        ).stdout
        for line in listing.splitlines():
            version, cluster, port, *_ = line.split()
            if port == "5432":
                return ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"]
    raise SystemExit(
        "--fault db-restart needs LOADTEST_DB_RESTART_CMD, the command that restarts "
        "PostgreSQL (with docker compose: 'docker compose restart db')."
    )


# --- the run ---------------------------------------------------------------------------------


async def restart_database(fault: Fault, at: float, stop: Stop) -> None:
    if await stop.sleep(at - time.monotonic()):
        return
    print(f"== fault: {shlex.join(fault.command)}", flush=True)
    fault.issued = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *fault.command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), DB_RESTART_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        output = b"(timed out)"
    fault.took_s = time.monotonic() - fault.issued
    fault.returncode = process.returncode
    fault.output = output.decode(errors="replace").strip()


async def run_load(
    site: Site, args: argparse.Namespace, fault: Fault | None
) -> tuple[list[Reader], list[Editor], Stats, float]:
    stats, stop = Stats(), Stop()
    paths = list(site.streams.values())
    readers = [
        Reader(i, site.base_url, paths[i % len(paths)], stats, stop) for i in range(args.readers)
    ]
    editors = [
        Editor(
            i + 1,
            site.base_url,
            site.admin_path,
            site.editor_email,
            site.password,
            list(site.streams),
            stats,
            stop,
        )
        for i in range(args.editors)
    ]
    reader_tasks = [asyncio.create_task(reader.run()) for reader in readers]
    # Every reader's page is loaded before the first entry is published: what each must
    # then be handed is exactly what is published from now on.
    await asyncio.gather(*(reader.loaded.wait() for reader in readers))
    start = asyncio.Event()
    editor_tasks = [asyncio.create_task(editor.run(start)) for editor in editors]
    started = time.monotonic()
    start.set()
    print(f"== {len(readers)} readers polling, {len(editors)} editors publishing", flush=True)
    fault_task = None
    if fault is not None:
        fault_task = asyncio.create_task(restart_database(fault, started + args.duration / 3, stop))
    await stop.sleep(args.duration)
    stop.event.set()
    await asyncio.gather(*editor_tasks)
    if fault_task is not None:
        await fault_task
    print("== editors stopped; readers catch up", flush=True)
    await asyncio.gather(*reader_tasks)
    return readers, editors, stats, started


# --- after the run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What the database holds of the editors' work."""

    expected: dict[tuple[int, str | None], list[int]]  # (stream id, first cursor) -> ids
    moved: list[int]  # entries whose publish time changed after readers were handed them
    entries: int
    half_saved: list[int]
    saved_twice: list[str]
    acknowledged_missing: list[int]


def read_database(readers: list[Reader], editors: list[Editor], site: Site) -> Saved:
    from django.db import connections
    from django.db.models import Count

    from streams.models import Entry
    from streams.paging import Cursor

    # The connection opened before a database restart is gone: start afresh.
    connections.close_all()
    # The order entries were published in: by the publish time readers were first handed,
    # then id, as the stream showed them then (an edit may have changed the time since).
    handed: dict[int, datetime] = {}
    for reader in readers:
        for entry_id, when in reader.publish_times.items():
            handed.setdefault(entry_id, when)
    moved = set()
    expected = {}
    stream_of_path = {path: pk for pk, path in site.streams.items()}
    for reader in readers:
        key = (stream_of_path[reader.page_path], reader.first_cursor)
        if key in expected:
            continue
        visible = Entry.objects.published().filter(stream_id=key[0])
        cursor = Cursor.decode(reader.first_cursor) if reader.first_cursor else None
        if cursor is not None:
            visible = visible.filter(cursor.newer_q())
        rows = visible.values_list("id", "published_at")
        moved.update(pk for pk, when in rows if pk in handed and handed[pk] != when)
        expected[key] = [
            pk for pk, when in sorted(rows, key=lambda r: (handed.get(r[0], r[1]), r[0]))
        ]
    ours = Entry.objects.filter(title__startswith="Loadtest editor").annotate(
        block_count=Count("blocks")
    )
    half_saved = [e.pk for e in ours if e.block_count == 0 or e.status != Entry.Status.PUBLISHED]
    titles = Counter(ours.values_list("title", flat=True))
    published_ids = set(Entry.objects.published().values_list("id", flat=True))
    acknowledged = [p.entry_id for editor in editors for p in editor.published]
    connections.close_all()
    return Saved(
        expected=expected,
        moved=sorted(moved),
        entries=sum(titles.values()),
        half_saved=half_saved,
        saved_twice=sorted(title for title, n in titles.items() if n > 1),
        acknowledged_missing=[pk for pk in acknowledged if pk not in published_ids],
    )


def outage_window(fault: Fault, editors: list[Editor], end: float) -> None:
    """From issuing the restart to the first publish that succeeded after it."""
    after = [p.done for editor in editors for p in editor.published if p.done >= fault.issued]
    fault.recovered = bool(after)
    fault.window = (fault.issued, min(after) if after else end)


def overlaps(record: Record, window: tuple[float, float]) -> bool:
    return record.started <= window[1] and record.started + record.ms / 1000 >= window[0]


def is_error(record: Record, window: tuple[float, float] | None) -> bool:
    if record.status == 0 or 400 <= record.status < 500:
        return True
    if record.status >= 500:
        # In flight at some moment of the outage: sent before its end, answered after its start.
        in_window = window is not None and overlaps(record, window)
        return not (in_window and record.friendly_503)
    return False


def logged_errors(log_path: Path) -> Counter[tuple[str, str]]:
    """The errors the web processes logged, by message and the exception that ended them."""
    found: Counter[tuple[str, str]] = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") not in ("ERROR", "CRITICAL"):
            continue
        lines = (entry.get("exc_info") or "").strip().splitlines()
        exception = next((x for x in reversed(lines) if x and not x[0].isspace()), "")
        found[(entry.get("message", ""), exception[:120])] += 1
    return found


# --- report ----------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN: no requests of that kind


def print_report(
    args: argparse.Namespace,
    site: Site,
    readers: list[Reader],
    editors: list[Editor],
    stats: Stats,
    saved: Saved,
    fault: Fault | None,
    started: float,
    log_path: Path,
) -> list[str]:
    """Print the tables; return the bars that failed, in words."""
    window = fault.window if fault else None
    errors = [r for r in stats.records if is_error(r, window)]
    outage = [r for r in stats.records if r.status >= 500 and not is_error(r, window)]
    print()
    print(
        f"{args.readers} readers on {len(site.streams)} streams, {args.editors} editors, "
        f"{args.duration} s of publishing, against gunicorn on {site.base_url}"
    )
    header = (
        f"{'kind':<14} {'requests':>8} {'errors':>6} {'outage':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for kind in (*KINDS, "total"):
        records = [r for r in stats.records if kind in ("total", r.kind)]
        answered = [r.ms for r in records if r.status]
        print(
            f"{kind:<14} {len(records):>8} {sum(r in errors for r in records):>6} "
            f"{sum(r in outage for r in records):>6} "
            + " ".join(f"{fmt_ms(percentile(answered, p)):>8}" for p in (50, 95, 99, 100))
        )
    print("(outage: friendly 503 pages with Retry-After inside the outage window)")

    published = [p for editor in editors for p in editor.published]
    retried = sum(p.attempts > 1 for p in published)
    failed = sum(editor.failed_attempts for editor in editors)
    edits = sum(len(editor.edited) for editor in editors)
    print()
    print(
        f"editors: {len(published)} entries published ({retried} after a retry, {failed} "
        f"failed attempts), {edits} edits; database: {saved.entries} load test entries, "
        f"{len(saved.half_saved)} half-saved, {len(saved.saved_twice)} saved twice"
    )
    failures = []
    if fault is not None:
        assert fault.window is not None
        begin, end = (t - started for t in fault.window)
        during = Counter(r.status for r in stats.records if overlaps(r, fault.window))
        print(
            f"fault db-restart: `{shlex.join(fault.command)}` at {begin:.1f} s, exit "
            f"{fault.returncode} after {fault.took_s:.1f} s; outage window {begin:.1f}-{end:.1f} s "
            f"({end - begin:.1f} s); answers in it: "
            + ", ".join(f"{status or 'no answer'} x{n}" for status, n in sorted(during.items()))
        )
        if fault.returncode != 0:
            failures.append(f"the restart command failed ({fault.returncode}): {fault.output}")
        if not fault.recovered:
            failures.append("no publish succeeded after the restart")

    lost = duplicated = out_of_order = unexpected = expected_total = delivered_total = 0
    stream_of_path = {path: pk for pk, path in site.streams.items()}
    bad: list[tuple[Reader, Delivery]] = []
    for reader in readers:
        expected = saved.expected[(stream_of_path[reader.page_path], reader.first_cursor)]
        delivery = check_delivery(expected, reader.delivered)
        expected_total += delivery.expected
        delivered_total += delivery.delivered
        lost += len(delivery.lost)
        duplicated += len(delivery.duplicated)
        out_of_order += len(delivery.out_of_order)
        unexpected += len(delivery.unexpected)
        if not delivery.ok:
            bad.append((reader, delivery))
    print(
        f"delivery: {len(readers)} readers expected {expected_total} entries in all, were "
        f"handed {delivered_total}: lost {lost}, duplicated {duplicated}, out of order "
        f"{out_of_order}, unexpected {unexpected}"
    )
    for reader, delivery in bad[:5]:
        print(
            f"  reader {reader.number} on {reader.page_path}: lost {list(delivery.lost)[:10]}, "
            f"duplicated {list(delivery.duplicated)[:10]}, out of order "
            f"{list(delivery.out_of_order)[:10]}, unexpected {list(delivery.unexpected)[:10]}"
        )

    if saved.moved:
        print(
            f"app: {len(saved.moved)} entries changed publish time after readers had them "
            f"(the admin's change form drops the microseconds): {saved.moved[:10]}; the "
            "order checked is the one readers were shown"
        )
    if errors:
        print(f"errors ({len(errors)}), the first 10:")
        for record in sorted(errors, key=lambda r: r.started)[:10]:
            problem = " ".join(record.problem.split())[:160]
            print(
                f"  {record.started - started:7.1f} s {record.kind:<13} {record.status or '-':>3} "
                f"{record.url}  {problem}"
            )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"load generator (this process): {usage.ru_utime + usage.ru_stime:.0f} s of CPU over "
        f"{time.monotonic() - started:.0f} s since publishing began, on {os.cpu_count()} CPUs "
        "shared with the site"
    )
    logged = logged_errors(log_path)
    print(f"gunicorn log: {sum(logged.values())} errors logged ({log_path})")
    for (message, exception), count in logged.most_common(8):
        print(f"  {count:>4} x {message} <- {exception}")

    if errors:
        failures.append(f"{len(errors)} errors")
    for count, what in (
        (lost, "lost"),
        (duplicated, "duplicated"),
        (out_of_order, "out of order"),
        (unexpected, "unexpected"),
        (len(saved.half_saved), "half-saved"),
        (len(saved.acknowledged_missing), "acknowledged but not published"),
    ):
        if count:
            failures.append(f"{count} {what}")
    if not published:
        failures.append("nothing was published")
    if not any(r.kind == PUBLISH for r in stats.records):
        failures.append("no publish was attempted")
    return failures


# --- main ------------------------------------------------------------------------------------


def stop_on_signal(signum: int, frame: object) -> None:
    # Unwind through the finally blocks, which stop gunicorn and remove the temporary files.
    raise SystemExit(128 + signum)


def main() -> int:
    # `make loadtest MODE=stack`: the production shape under a big audience (loadtest/stack.py).
    mode = argparse.ArgumentParser(add_help=False)
    mode.add_argument("--mode", choices=["default", "stack"], default="default")
    chosen, rest = mode.parse_known_args()
    if chosen.mode == "stack":
        from loadtest import stack

        return stack.main(rest)
    args = parse_args()
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGALRM, stop_on_signal)
    # The hard bound on the whole run, whatever hangs.
    signal.alarm(SETUP_BUDGET_S + args.duration + WIND_DOWN_S)
    database_url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    fault = Fault(restart_command()) if args.fault == "db-restart" else None
    tmp = Path(tempfile.mkdtemp(prefix="pressimus-loadtest-"))
    env = loadtest_env(tmp, database_url)
    log_path = tmp / "gunicorn.log"
    failures: list[str] = []
    print(f"Pressimus load test on {urlsplit(database_url).path.lstrip('/')}, {REDIS_URL}")
    try:
        try:
            prepare(env, database_url, args.entries)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            print(f"Step failed: {' '.join(error.cmd[1:])} ({error})", file=sys.stderr)
            return 1
        setup_django(env)
        port = free_port()
        site = find_site(port)
        with gunicorn(env, port, log_path, workers=args.workers):
            readers, editors, stats, started = asyncio.run(
                asyncio.wait_for(run_load(site, args, fault), args.duration + WIND_DOWN_S)
            )
            # Still serving: the database is read while the site is up, as in production.
            saved = read_database(readers, editors, site)
        if fault is not None:
            outage_window(fault, editors, time.monotonic())
        failures = print_report(
            args, site, readers, editors, stats, saved, fault, started, log_path
        )
        print("loadtest: PASS" if not failures else f"loadtest: FAIL ({'; '.join(failures)})")
        return 1 if failures else 0
    except TimeoutError:
        print(f"loadtest: FAIL (did not finish in {args.duration + WIND_DOWN_S} s)")
        return 1
    finally:
        signal.alarm(0)
        if args.keep or failures:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
