"""`make loadtest MODE=stack`: the production shape (deploy/stack.py: nginx's edge cache in front
of two gunicorn replicas, Nchan in an nginx of its own beside it, PostgreSQL, Redis, the RQ
worker) under a big audience, on loopback.

For the run (60 s by default) it holds the polling of 100 000 readers at 5 s, as 20 000 polls a
second at a fixed rate (h2load) over the URLs real readers hold, and 10 000 push readers with
an EventSource open (Node, loadtest/sse_readers.mjs), while editors publish and correct in the
admin. A sample of readers does everything static/js/live.js does (30 polling readers here,
500 of the push readers in Node), and the run ends with the default mode's checks: every one
of them was handed every entry once and in order.

    .venv/bin/python loadtest/run.py --mode stack [--duration 60] [--polls-per-s 20000]
        [--sse-readers 10000] [--push-fetchers 500]

It prints polls served a second, their latency and errors, the requests that reached Django
(the web processes' access logs), the CPU of the engine and of the load generators, memory per
1 000 push connections, publish -> visible for push and for polling, and each goal with PASS
or FAIL; exits 1 when one fails. Needs what deploy/stack.py needs, plus h2load
(nghttp2-client) and Node 18 or later.

Timing: a change's version (live/versions.py) is the clock in milliseconds when it was bumped,
right after the commit, and each push event carries it: "publish -> event" is the event's
arrival minus its version. Each editor publishes in a stream of its own, so the one version
announced in that stream while an editor's publish was in flight is that entry's commit time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.procs import CLOCK_TICKS, stat_fields  # noqa: E402
from deploy.stack import (  # noqa: E402
    WEB_REPLICAS,
    WORKERS_PER_REPLICA,
    StackUnavailable,
    running_stack,
)
from loadtest.check import percentile  # noqa: E402
from loadtest.clients import REQUEST_TIMEOUT_S, Editor, Reader, Stats, Stop  # noqa: E402
from loadtest.pages import updates_url  # noqa: E402
from loadtest.run import STREAM_SLUGS, print_report, read_database, setup_django  # noqa: E402

DATABASE_NAME = "pressimus_loadtest_stack"
NODE_SCRIPT = Path(__file__).resolve().with_name("sse_readers.mjs")
# The goals of the issue: printed against, never tuned to.
GOAL_POLL_P99_MS = 50
GOAL_PUSH_P99_MS = 1000
# Served polls may fall short of the fixed rate by the time h2load spends connecting between
# its segments, no more.
RATE_TOLERANCE = 0.99
# A generator process above this share of its cores is the bottleneck, not the site.
GENERATOR_BUSY = 0.9

# The URL list h2load polls is made again every SEGMENT_S from the URLs readers hold then: of
# each stream, the newest updates URL (what a reader's last answer named as `next`), the few
# before it (readers who have not polled since the last publishes) and the stream page
# (readers arriving).
SEGMENT_S = 10
# How often the URLs readers hold are followed (through the edge) during the run.
FOLLOW_EVERY_S = 1.0
# The push readers' Node processes stand for 10 000 browsers on other machines: here they yield
# the CPU to the site and to h2load, so that their own work (a third of a core) does not hold up
# the polls measured beside them. Their own measurements (publish -> event) can only come out
# slower for it, never faster.
NODE_NICE = ("nice", "-n", "10")
# h2load takes this long to connect before its first request: the next segment starts this
# much before the current one ends, so that the rate holds across the seam.
CONNECT_LEAD_S = 0.12
URL_LIST_SIZE = 1000
PAGE_SHARE = 0.02
OLDER_SHARE = 0.20
OLDER_VERSIONS = 4
# Where the editors publish, readers crowd: each of those streams draws this many times the
# readers of another public stream.
PUBLISHED_WEIGHT = 3
# Enough streams in flight on each connection that the rate holds when answers slow down
# (nginx allows 128): readers do not wait for one another.
H2LOAD_STREAMS_PER_CONNECTION = 64

RAMP_TIMEOUT_S = 120
# No push reader more connected for this long: the others will not.
STALLED_S = 15
SETUP_BUDGET_S = 240
WIND_DOWN_S = 90
# After the editors stop: wait out the edge cache's lifetime (max-age=5), then poll until
# nothing new has come for that long.
QUIET_S = 6.0
CATCH_UP_S = 25.0

ACCESS_LINE = re.compile(r'^\S+ \S+ \S+ \[([^\]]+)\] "(\w+) (\S+) [^"]*" (\d{3}) ')


# --- arguments --------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loadtest/run.py --mode stack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument(
        "--polls-per-s", type=int, default=20_000, help="polls a second (100 000 readers at 5 s)"
    )
    parser.add_argument(
        "--poll-connections", type=int, default=200, help="h2load's HTTP/2 connections"
    )
    parser.add_argument("--h2load-threads", type=int, default=2)
    parser.add_argument("--sse-readers", type=int, default=10_000, help="push readers (Node)")
    parser.add_argument(
        "--push-fetchers",
        type=int,
        default=500,
        help="of the push readers, how many fetch their updates on each event, as live.js",
    )
    parser.add_argument(
        "--protocol", choices=["h2", "h1"], default="h2", help="the push readers' HTTP version"
    )
    parser.add_argument("--node-processes", type=int, default=4)
    parser.add_argument("--connect-per-s", type=int, default=400, help="push readers' arrival")
    parser.add_argument("--poll-readers", type=int, default=30, help="polling readers (Python)")
    parser.add_argument("--editors", type=int, default=len(STREAM_SLUGS))
    parser.add_argument("--entries", type=int, default=200, help="entries seeded per stream")
    parser.add_argument(
        "--edge-log",
        action="store_true",
        help="also log each request at the edge with its cache status (adds an access_log to "
        "this run's rendered copy of nginx.conf and reloads it): to see which polls reached "
        "Django and why; costs the proxy some CPU",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("h2load") is None:
        missing.append("h2load: apt-get install nghttp2-client")
    node = shutil.which("node")
    version = ""
    if node is not None:
        version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    match = re.match(r"v(\d+)", version.strip())
    if match is None or int(match[1]) < 18:
        missing.append("Node 18 or later: apt-get install nodejs")
    return missing


# --- processes: CPU and memory from /proc ------------------------------------------------------


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU of the processes and of their children they reaped."""
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields is not None:
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def parent_of(pid: int) -> int | None:
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def descendants(root: int) -> list[int]:
    parents = {pid: parent_of(pid) for pid in all_pids()}
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def pids_of_stack(cache_url: str, word: str) -> list[int]:
    """This stack's processes running ``word``: its cache URL (a prefix of each run's own) is
    in their environment, and in no other stack's."""
    marker = f"CACHE_URL={cache_url}".encode()
    found = []
    for pid in all_pids():
        if pid == os.getpid() or word not in command_line(pid):
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            found.append(pid)
    return found


def memory_kb(pids: Iterable[int]) -> tuple[int, int]:
    """Resident and proportional (shared pages divided among their users) memory, in kB."""
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss += int(value.split()[0])
            elif name == "Pss":
                pss += int(value.split()[0])
    return rss, pss


MACHINE_CPU = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_cpu() -> dict[str, float]:
    """Seconds of CPU the whole machine spent in each state, summed over its cores."""
    values = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return {
        f"machine {name}": int(value) / CLOCK_TICKS
        for name, value in zip(MACHINE_CPU, values, strict=False)
    }


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's name and CPU so far (its own and its reaped children's)."""
    found = {}
    for pid in all_pids():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found[pid] = (name, sum(int(value) for value in fields[11:15]) / CLOCK_TICKS)
    return found


@dataclass
class Processes:
    """The processes whose CPU the report accounts for."""

    proxy_root: int
    push_root: int
    cache_url: str
    node: list[int] = field(default_factory=list)
    accounted: set[int] = field(default_factory=set)
    everyone: list[dict[int, tuple[str, float]]] = field(default_factory=list)

    def push_workers(self) -> list[int]:
        """The push engine's nginx workers: they hold the push readers' connections."""
        return [pid for pid in descendants(self.push_root) if "nginx: worker" in command_line(pid)]

    def groups(self) -> dict[str, list[int]]:
        return {
            "nginx (edge cache)": descendants(self.proxy_root),
            "nginx (push engine, Nchan)": descendants(self.push_root),
            "gunicorn (Django)": pids_of_stack(self.cache_url, "gunicorn"),
            "RQ worker": pids_of_stack(self.cache_url, "rqworker"),
            "node (push readers)": self.node,
        }

    def snapshot(self) -> dict[str, float]:
        groups = self.groups()
        self.accounted.update(pid for pids in groups.values() for pid in pids)
        self.everyone.append(cpu_by_process())
        found = {name: cpu_seconds(pids) for name, pids in groups.items()}
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The children this process waited for during the run are h2load's segments (the
        # stack's processes and Node are reaped only after it).
        found["h2load (polling)"] = children.ru_utime + children.ru_stime
        found["this process (editors, sample readers)"] = own.ru_utime + own.ru_stime
        found.update(machine_cpu())
        return found

    def others(self) -> Counter:
        """CPU of the processes outside the groups over the run, by name."""
        before, after = self.everyone[0], self.everyone[-1]
        found: Counter = Counter()
        for pid, (name, seconds) in after.items():
            if pid in self.accounted or pid == os.getpid():
                continue
            earlier = before.get(pid)
            used = seconds - earlier[1] if earlier and earlier[0] == name else seconds
            if used > 0:
                found[name] += used
        return found


# --- the simulated people ---------------------------------------------------------------------


@dataclass
class PollingReader(Reader):
    """A polling reader (clients.Reader) through the edge, over HTTPS, noting when it was
    first handed each entry."""

    tls: ssl.SSLContext | None = None
    seen: dict[int, float] = field(default_factory=dict)  # entry id -> time.time()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S, verify=self.tls)

    async def poll(self, client: httpx.AsyncClient) -> bool:
        before = len(self.delivered)
        new = await super().poll(client)
        now = time.time()
        for entry_id in self.delivered[before:]:
            self.seen.setdefault(entry_id, now)
        # pages.entry_times reads an entry's first <time datetime=...>, which the entry
        # template now gives only to a correction's time: the order checked is the database's
        # (each editor has a stream of its own, so no edit reorders one).
        self.publish_times.clear()
        return new

    async def catch_up(self, client: httpx.AsyncClient) -> None:
        # Through the edge, an answer may be up to max-age old (and served stale once more
        # while it is refreshed): poll until nothing new has come for longer than that.
        await asyncio.sleep(self.interval_s)
        quiet_since = start = time.monotonic()
        while time.monotonic() - quiet_since < QUIET_S and time.monotonic() - start < CATCH_UP_S:
            self.failures = 0
            if await self.poll(client) or self.failures:
                quiet_since = time.monotonic()
            await asyncio.sleep(1)


@dataclass
class StackEditor(Editor):
    """An editor (clients.Editor) noting when each successful publish was in flight."""

    windows: dict[int, tuple[int, float, float]] = field(default_factory=dict)

    async def publish_once(
        self, client: httpx.AsyncClient, stream_id: int, title: str
    ) -> int | None:
        sent = time.time()
        entry_id = await super().publish_once(client, stream_id, title)
        if entry_id is not None:
            self.windows[entry_id] = (stream_id, sent, time.time())
        return entry_id


@dataclass
class PushSample:
    """A push reader of Node's that fetched as live.js does: what the delivery check needs."""

    number: int
    page_path: str
    first_cursor: str | None
    delivered: list[int]
    publish_times: dict[int, datetime]
    seen: dict[int, float]  # entry id -> ms since the epoch


# --- the URLs readers hold --------------------------------------------------------------------


class Holdings:
    """Each stream's updates URLs as its readers hold them, newest last: followed from the
    page's data-updates-url through each answer's ``next``, through the edge as readers do."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages  # slug -> page path
        self.urls: dict[str, list[str]] = {slug: [] for slug in pages}

    async def follow(self, client: httpx.AsyncClient) -> None:
        """Ask each stream's newest URL, and the next it names (that answer is then in the
        edge cache, as after the first of the readers who moved on to it)."""
        for slug, page in self.pages.items():
            held = self.urls[slug]
            try:
                if not held:
                    response = await client.get(page)
                    found = updates_url(response.text) if response.status_code == 200 else None
                    if found is None:
                        continue
                    held.append(found)
                for _ in range(3):
                    response = await client.get(held[-1], headers={"Accept": "application/json"})
                    following = response.json().get("next") if response.status_code == 200 else ""
                    if not following or following == held[-1]:
                        break
                    held.append(following)
            except (httpx.HTTPError, ValueError):
                continue

    async def keep_following(self, client: httpx.AsyncClient, stop: Stop) -> None:
        while not await stop.sleep(FOLLOW_EVERY_S):
            await self.follow(client)

    def url_list(self, origin: str, weights: dict[str, int], rng: random.Random) -> list[str]:
        shares: list[tuple[str, float]] = []
        total = sum(weights.values())
        for slug, weight in weights.items():
            share = weight / total
            held = self.urls[slug]
            shares.append((self.pages[slug], share * PAGE_SHARE))
            if not held:
                continue
            older = held[-1 - OLDER_VERSIONS : -1]
            newest = 1 - PAGE_SHARE - (OLDER_SHARE if older else 0)
            shares.append((held[-1], share * newest))
            shares += [(url, share * OLDER_SHARE / len(older)) for url in older]
        scale = URL_LIST_SIZE / sum(share for _, share in shares)
        counts = [math.floor(share * scale) for _, share in shares]
        # Largest remainders first, to make the list's length up.
        by_remainder = sorted(
            range(len(shares)), key=lambda i: shares[i][1] * scale - counts[i], reverse=True
        )
        for i in by_remainder[: URL_LIST_SIZE - sum(counts)]:
            counts[i] += 1
        urls = [origin + url for (url, _), n in zip(shares, counts, strict=True) for _ in range(n)]
        rng.shuffle(urls)
        return urls


# --- polling load: h2load ---------------------------------------------------------------------


@dataclass
class Segment:
    number: int
    log: Path
    summary: dict[str, int] = field(default_factory=dict)
    output: str = ""
    returncode: int | None = None


H2LOAD_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout"
)
H2LOAD_STATUSES = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
H2LOAD_TRAFFIC = re.compile(r"traffic: \S+ \((\d+)\) total")


async def run_segment(
    segment: Segment, urls: Path, args: argparse.Namespace, seconds: float, processes: set
) -> None:
    command = [
        "h2load",
        f"--clients={args.poll_connections}",
        f"--rps={args.polls_per_s / args.poll_connections:g}",
        f"--max-concurrent-streams={H2LOAD_STREAMS_PER_CONNECTION}",
        f"--threads={args.h2load_threads}",
        f"--duration={round(seconds * 1000)}ms",
        f"--input-file={urls}",
        f"--log-file={segment.log}",
        # As the readers' browsers ask.
        "--header=accept-encoding: gzip, deflate, br",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    processes.add(process)
    output, _ = await process.communicate()
    processes.discard(process)
    segment.returncode = process.returncode
    segment.output = output.decode(errors="replace")
    if match := H2LOAD_REQUESTS.search(segment.output):
        names = ("total", "started", "done", "succeeded", "failed", "errored", "timeout")
        segment.summary.update(zip(names, map(int, match.groups()), strict=True))
    if match := H2LOAD_STATUSES.search(segment.output):
        names = ("2xx", "3xx", "4xx", "5xx")
        segment.summary.update(zip(names, map(int, match.groups()), strict=True))
    if match := H2LOAD_TRAFFIC.search(segment.output):
        segment.summary["bytes"] = int(match[1])


async def poll_load(
    args: argparse.Namespace,
    holdings: Holdings,
    origin: str,
    weights: dict[str, int],
    directory: Path,
    start: float,
    processes: set,
) -> list[Segment]:
    """h2load at the fixed rate for the run, in segments, each over the URLs held then."""
    rng = random.Random(20_000)
    segments, tasks = [], []
    count = math.ceil(args.duration / SEGMENT_S)
    for number in range(count):
        begins = start + number * SEGMENT_S
        seconds = min(SEGMENT_S, args.duration - number * SEGMENT_S) + CONNECT_LEAD_S
        urls = directory / f"urls-{number}.txt"
        urls.write_text("\n".join(holdings.url_list(origin, weights, rng)) + "\n")
        await asyncio.sleep(max(0.0, begins - CONNECT_LEAD_S - time.time()))
        segment = Segment(number, directory / f"h2load-{number}.log")
        segments.append(segment)
        tasks.append(asyncio.create_task(run_segment(segment, urls, args, seconds, processes)))
        # The next list is made a second before the next segment.
        await asyncio.sleep(max(0.0, begins + SEGMENT_S - 1.0 - time.time()))
    await asyncio.gather(*tasks)
    return segments


@dataclass
class PollResults:
    served: int
    per_s: float
    statuses: Counter
    errors: int
    failed_streams: int
    latencies_ms: list[float]
    slowest_second: int
    busiest_second: int
    window: tuple[float, float]
    bytes_per_answer: float


def read_poll_logs(segments: list[Segment], start: float, seconds: float) -> PollResults:
    """From h2load's per-request logs: the requests started in the run's window."""
    statuses: Counter = Counter()
    latencies = []
    per_second: Counter = Counter()
    begin_us, end_us = start * 1e6, (start + seconds) * 1e6
    for segment in segments:
        with segment.log.open() as log:
            for line in log:
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                started = int(parts[0])
                if not begin_us <= started < end_us:
                    continue
                status = int(parts[1])
                statuses[status] += 1
                per_second[int((started - begin_us) // 1_000_000)] += 1
                if status > 0:
                    latencies.append(int(parts[2]) / 1000)
    served = sum(n for status, n in statuses.items() if 200 <= status < 400)
    failed = sum(s.summary.get("failed", 0) + s.summary.get("errored", 0) for s in segments)
    failed += sum(s.summary.get("timeout", 0) for s in segments)
    seconds_seen = [per_second.get(second, 0) for second in range(int(seconds))]
    return PollResults(
        served=served,
        per_s=served / seconds,
        statuses=statuses,
        errors=sum(n for status, n in statuses.items() if not 200 <= status < 400),
        failed_streams=failed,
        latencies_ms=sorted(latencies),
        slowest_second=min(seconds_seen, default=0),
        busiest_second=max(seconds_seen, default=0),
        window=(start, start + seconds),
        bytes_per_answer=sum(s.summary.get("bytes", 0) for s in segments)
        / max(1, sum(s.summary.get("done", 0) for s in segments)),
    )


# --- push load: Node ---------------------------------------------------------------------------


@dataclass
class NodeProcess:
    process: asyncio.subprocess.Process
    output: Path
    status: dict = field(default_factory=dict)
    first: dict = field(default_factory=dict)
    reader: asyncio.Task | None = None

    async def read_status(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            try:
                status = json.loads(line)
            except ValueError:
                continue
            if not self.first:
                self.first = status
            self.status = status


def assign(count: int, weights: dict[str, int]) -> list[str]:
    """Readers spread over the streams by weight, neighbours on different streams."""
    cycle = [slug for slug, weight in weights.items() for _ in range(weight)]
    return [cycle[i % len(cycle)] for i in range(count)]


async def start_node(
    args: argparse.Namespace,
    site: SimpleNamespace,
    ca: Path,
    weights: dict[str, int],
    directory: Path,
) -> list[NodeProcess]:
    slugs = assign(args.sse_readers, weights)
    # Reader i runs in process i % n; each process's every k-th reader fetches.
    shares = [slugs[number :: args.node_processes] for number in range(args.node_processes)]
    fetchers = [
        args.push_fetchers // args.node_processes
        + (number < args.push_fetchers % args.node_processes)
        for number in range(args.node_processes)
    ]
    started = []
    for number in range(args.node_processes):
        every = max(1, len(shares[number]) // fetchers[number]) if fetchers[number] else 0
        readers = [
            (slug, bool(every) and i % every == 0 and i // every < fetchers[number])
            for i, slug in enumerate(shares[number])
        ]
        config = directory / f"node-{number}.json"
        output = directory / f"node-{number}.out.json"
        config.write_text(
            json.dumps(
                {
                    "origin": site.base_url,
                    "events_origin": site.events_origin,
                    "ca": str(ca),
                    "protocol": args.protocol,
                    "readers": readers,
                    "connect_per_s": args.connect_per_s / args.node_processes,
                    "output": str(output),
                }
            )
        )
        process = await asyncio.create_subprocess_exec(
            *NODE_NICE,
            "node",
            str(NODE_SCRIPT),
            str(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        node = NodeProcess(process, output)
        node.reader = asyncio.create_task(node.read_status())
        started.append(node)
    return started


def node_total(nodes: list[NodeProcess], key: str) -> int:
    return sum(int(node.status.get(key, 0)) for node in nodes)


async def wait_for_push_readers(nodes: list[NodeProcess], wanted: int) -> float:
    began = progress = time.monotonic()
    shown, before = 0.0, 0
    while time.monotonic() - began < RAMP_TIMEOUT_S:
        connected, failed = node_total(nodes, "connected"), node_total(nodes, "failed")
        if connected >= wanted:
            break
        if connected > before:
            before, progress = connected, time.monotonic()
        elif time.monotonic() - progress > STALLED_S:
            break
        if time.monotonic() - shown >= 5:
            shown = time.monotonic()
            print(f"   {connected} push readers connected, {failed} failed", flush=True)
        await asyncio.sleep(0.5)
    return time.monotonic() - began


async def stop_node(nodes: list[NodeProcess]) -> list[dict]:
    for node in nodes:
        assert node.process.stdin is not None
        node.process.stdin.write(b"stop\n")
        await node.process.stdin.drain()
    results = []
    for node in nodes:
        try:
            await asyncio.wait_for(node.process.wait(), CATCH_UP_S + 20)
        except TimeoutError:
            node.process.kill()
            await node.process.wait()
        if node.output.exists():
            results += json.loads(node.output.read_text())
    return results


# --- what reached Django ----------------------------------------------------------------------


@dataclass
class DjangoHits:
    kinds: Counter
    urls: int
    too_often: list[tuple[str, int]]  # URL, the shortest gap between two of its hits (s)


def django_hits(logs: list[Path], window: tuple[float, float], interval_s: float) -> DjangoHits:
    """Requests the web processes served in the window (their access logs, to the second),
    by kind; and the readers' URLs that reached Django twice within the poll interval (the
    readers' own requests: the edge's refreshes after a change are counted apart)."""
    # Imported here: live's modules load Django's models, set up by the time this runs.
    from live.edge import USER_AGENT as EDGE_REFRESH_AGENT

    kinds: Counter = Counter()
    hits: dict[str, list[int]] = defaultdict(list)
    first, last = math.floor(window[0]), math.ceil(window[1])
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            match = ACCESS_LINE.match(line)
            if match is None:
                continue
            when = int(datetime.strptime(match[1], "%d/%b/%Y:%H:%M:%S %z").timestamp())
            if not first <= when <= last:
                continue
            path = match[3]
            route = urlsplit(path).path
            if line.endswith(f'"{EDGE_REFRESH_AGENT}"'):
                # Asked by the web processes themselves as a change committed (live/edge.py): a
                # URL's answer replaced for its new version, not the readers' polls let through.
                kind = "edge refreshes (after a change)"
            elif "/updates/" in route:
                kind = "updates ?at= (after a push event)" if "at=" in path else "updates polls"
            elif route.endswith("/events/"):
                kind = "push authorisations"
            elif re.fullmatch(r"/streams/[-\w]+/", route):
                kind = "stream pages"
            elif route.startswith(("/admin/", "/accounts/")):
                kind = "editors (admin, direct)"
            else:
                kind = "other"
            kinds[kind] += 1
            if kind in ("updates polls", "stream pages"):
                hits[path].append(when)
    too_often = []
    for path, times in hits.items():
        times.sort()
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # Logged to the second: a gap under the interval there is under it for certain.
        if gaps and min(gaps) < interval_s:
            too_often.append((path, min(gaps)))
    return DjangoHits(kinds, len(hits), sorted(too_often, key=lambda item: item[1]))


# --- the edge's own log (--edge-log) ----------------------------------------------------------

EDGE_LOG_FORMAT = (
    'log_format pressimus_edge "$msec $upstream_cache_status $status $upstream_response_time '
    '$pid $request_uri";'
)


def add_edge_log(directory: Path, log: Path) -> None:
    """Log every request, and the cache's background updates, in this run's rendered copy of
    nginx.conf (deploy/nginx/ is untouched), then reload nginx."""
    prefix = directory / "nginx"
    conf = prefix / "nginx.conf"
    text = conf.read_text()
    logging = f"{EDGE_LOG_FORMAT}\n    access_log {log} pressimus_edge buffer=256k flush=1s;"
    conf.write_text(text.replace("access_log off;", logging + "\n    log_subrequest on;", 1))
    subprocess.run(
        ["nginx", "-p", f"{prefix}/", "-c", str(conf), "-e", "stderr", "-s", "reload"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    time.sleep(2)


@dataclass
class EdgeLog:
    statuses: Counter
    upstream: Counter  # requests nginx passed to Django, by cache status
    # URL, most upstream requests within 1 s, their cache statuses in each nginx worker
    herds: list[tuple[str, int, str]]


def read_edge_log(log: Path, window: tuple[float, float]) -> EdgeLog:
    statuses: Counter = Counter()
    upstream: Counter = Counter()
    times: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split(" ", 5)
        if len(parts) < 6:
            continue
        when, cache, _status, response_time, worker, uri = parts
        if not window[0] <= float(when) <= window[1] or uri.endswith("/events/"):
            continue
        statuses[cache] += 1
        if response_time != "-":
            upstream[cache] += 1
            if "at=" not in uri:
                times[uri].append((float(when), f"{cache} in worker {worker}"))
    herds = []
    for uri, hits in times.items():
        hits.sort()
        most, statuses_then = 1, ""
        for i, (when, _) in enumerate(hits):
            burst = [cache for at, cache in hits[i:] if at - when < 1.0]
            if len(burst) > most:
                most, statuses_then = len(burst), ",".join(sorted(set(burst)))
        if most > 1:
            herds.append((uri, most, statuses_then))
    herds.sort(key=lambda herd: -herd[1])
    return EdgeLog(statuses, upstream, herds)


# --- push results -----------------------------------------------------------------------------


@dataclass
class PushResults:
    connected: int
    failed: int
    reconnects: int
    announced: dict[str, list[int]]
    expected: int
    received: int
    missed: int
    latencies_ms: list[float]  # publish -> event, each reader's connection; missed ones: inf
    commits: dict[int, int]  # entry id -> its version (ms)
    unmatched: int
    visible_ms: list[float]  # publish -> entry handed to a fetcher
    at_fetch_ms: list[float]
    samples: list[PushSample]


def push_results(results: list[dict], editors: list[StackEditor], site_slugs: dict[int, str],
                 start_ms: int) -> PushResults:  # fmt: skip
    announced: dict[str, set[int]] = defaultdict(set)
    for reader in results:
        announced[reader["slug"]].update(v for v, _ in reader["events"] if v >= start_ms)
    ordered = {slug: sorted(versions) for slug, versions in announced.items()}
    latencies: list[float] = []
    expected = received = 0
    for reader in results:
        if not reader["connected_at"]:
            continue
        arrived = {}
        for version, when in reader["events"]:
            arrived.setdefault(version, when)
        for version in ordered.get(reader["slug"], []):
            if version <= reader["connected_at"]:
                continue
            expected += 1
            if version in arrived:
                received += 1
                latencies.append(arrived[version] - version)
            else:
                latencies.append(math.inf)
    commits, unmatched = {}, 0
    for editor in editors:
        for entry_id, (stream_id, sent, answered) in editor.windows.items():
            versions = ordered.get(site_slugs.get(stream_id, ""), [])
            inside = [v for v in versions if sent * 1000 - 1 <= v <= answered * 1000 + 1]
            if len(inside) == 1:
                commits[entry_id] = inside[0]
            else:
                unmatched += 1
    samples, visible, at_fetch = [], [], []
    for number, reader in enumerate(results):
        if "delivered" not in reader or reader["first_cursor"] is None:
            continue
        seen = {int(k): v for k, v in reader["seen"].items()}
        samples.append(
            PushSample(
                number=100_000 + number,
                page_path=reader["page_path"],
                first_cursor=reader["first_cursor"],
                delivered=reader["delivered"],
                publish_times={},
                seen=seen,
            )
        )
        visible += [when - commits[entry] for entry, when in seen.items() if entry in commits]
        at_fetch += [took for _, took, status, with_at in reader["requests"] if with_at]
    return PushResults(
        connected=sum(1 for r in results if r["connected_at"]),
        failed=sum(1 for r in results if not r["connected_at"]),
        reconnects=sum(max(0, r["opens"] - 1) for r in results),
        announced=ordered,
        expected=expected,
        received=received,
        missed=expected - received,
        latencies_ms=sorted(latencies),
        commits=commits,
        unmatched=unmatched,
        visible_ms=sorted(visible),
        at_fetch_ms=sorted(at_fetch),
        samples=samples,
    )


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Run:
    start: float = 0.0
    end: float = 0.0
    ramp_s: float = 0.0
    cpu_before: dict[str, float] = field(default_factory=dict)
    cpu_after: dict[str, float] = field(default_factory=dict)
    cpu_from: float = 0.0
    cpu_until: float = 0.0
    cpu_others: Counter = field(default_factory=Counter)
    memory_idle: tuple[int, int] = (0, 0)
    memory_held: tuple[int, int] = (0, 0)
    node_rss_idle: int = 0
    node_rss_held: int = 0
    segments: list[Segment] = field(default_factory=list)
    node_results: list[dict] = field(default_factory=list)
    readers: list[PollingReader] = field(default_factory=list)
    editors: list[StackEditor] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)


async def run_load(
    args: argparse.Namespace,
    site: SimpleNamespace,
    processes: Processes,
    directory: Path,
    ca: Path,
    tls: ssl.SSLContext,
) -> Run:
    run = Run()
    stop = Stop()
    children: set = set()
    slugs = {slug: path for path, slug in site.slug_of_path.items()}
    weights = {slug: PUBLISHED_WEIGHT if slug in site.published else 1 for slug in sorted(slugs)}
    nodes: list[NodeProcess] = []
    try:
        async with httpx.AsyncClient(
            base_url=site.base_url, verify=tls, timeout=REQUEST_TIMEOUT_S
        ) as client:
            if args.edge_log:
                add_edge_log(site.directory, directory / "edge.log")
            holdings = Holdings(slugs)
            await holdings.follow(client)
            following = asyncio.create_task(holdings.keep_following(client, stop))
            run.memory_idle = memory_kb(processes.push_workers())
            print(
                f"== {args.sse_readers} push readers connect ({args.protocol}, "
                f"{args.node_processes} Node processes), {args.poll_readers} polling readers "
                "load their page",
                flush=True,
            )
            nodes = await start_node(args, site, ca, weights, directory)
            processes.node = [node.process.pid for node in nodes]
            polling = assign(args.poll_readers, weights)
            run.readers = [
                PollingReader(i, site.base_url, slugs[slug], run.stats, stop, tls=tls)
                for i, slug in enumerate(polling)
            ]
            reader_tasks = [asyncio.create_task(reader.run()) for reader in run.readers]
            run.ramp_s = await wait_for_push_readers(nodes, args.sse_readers)
            await asyncio.gather(*(reader.loaded.wait() for reader in run.readers))
            # Let the last arrivals' first polls settle before measuring what they hold.
            await asyncio.sleep(2)
            run.memory_held = memory_kb(processes.push_workers())
            run.node_rss_idle = sum(int(node.first.get("rss", 0)) for node in nodes)
            run.node_rss_held = node_total(nodes, "rss")
            print(
                f"== {node_total(nodes, 'connected')} push readers connected in "
                f"{run.ramp_s:.0f} s ({node_total(nodes, 'failed')} failed); "
                f"{args.polls_per_s} polls/s from h2load and {len(site.published)} editors "
                f"for {args.duration} s",
                flush=True,
            )
            run.editors = [
                StackEditor(
                    i + 1,
                    f"http://127.0.0.1:{site.web_ports[i % len(site.web_ports)]}",
                    site.admin_path,
                    site.editor_email,
                    site.password,
                    # Each editor a stream of its own: see the module's docstring.
                    [site.published_ids[i % len(site.published_ids)]],
                    run.stats,
                    stop,
                )
                for i in range(args.editors)
            ]
            run.start = time.time() + 1.5
            begin = asyncio.Event()
            editor_tasks = [asyncio.create_task(editor.run(begin)) for editor in run.editors]
            polls = asyncio.create_task(
                poll_load(args, holdings, site.base_url, weights, directory, run.start, children)
            )
            await asyncio.sleep(max(0.0, run.start - time.time()))
            run.cpu_before, run.cpu_from = processes.snapshot(), time.time()
            begin.set()
            await stop.sleep(run.start + args.duration - time.time())
            stop.event.set()
            await asyncio.gather(*editor_tasks)
            run.segments = await polls
            await following
            run.end = time.time()
            run.cpu_after, run.cpu_until = processes.snapshot(), time.time()
            run.cpu_others = processes.others()
            print("== editors and polling stopped; sample readers catch up", flush=True)
            run.node_results, _ = await asyncio.gather(
                stop_node(nodes), asyncio.gather(*reader_tasks)
            )
    finally:
        for process in [*children, *(node.process for node in nodes)]:
            if process.returncode is None:
                process.kill()
    return run


# --- setup ------------------------------------------------------------------------------------


# The streams the editors publish in, filled; then every seeded entry last saved when it was
# published, as in a stream with a history, rather than all in the minute before the run (an
# updates answer re-sends, as changed, what was saved within LIVE_EDIT_MARGIN of the version
# the reader holds); and each stream's version moved on, so no answer kept from before counts.
SEED_STREAMS = """
from django.core.management import call_command
from django.db.models import F
from live.versions import stream_version_bump
from django.utils import timezone
from streams.models import Entry, Stream
for slug in {slugs!r}:
    call_command("seed_demo", entries={entries}, stream=slug, verbosity=0)
Entry.objects.filter(published_at__lte=timezone.now()).update(modified_at=F("published_at"))
for stream_id in Stream.objects.values_list("pk", flat=True):
    stream_version_bump(stream_id)
"""


def find_site(stack, published_slugs: tuple[str, ...]) -> SimpleNamespace:
    from django.conf import settings
    from django.db import connections

    from streams.demo import load_demo
    from streams.models import Stream

    shown = Stream.objects.filter(status__in=Stream.SHOWN_STATUSES).exclude(
        visibility=Stream.Visibility.MEMBERS
    )
    streams = {s.pk: s.get_absolute_url() for s in shown}
    slug_of_path = {s.get_absolute_url(): s.slug for s in shown}
    published_ids = [s.pk for slug in published_slugs for s in shown if s.slug == slug]
    connections.close_all()
    demo = load_demo()
    return SimpleNamespace(
        base_url=stack.url,
        events_origin=stack.events_origin,
        directory=stack.directory,
        web_ports=stack.web_ports,
        admin_path=f"/{settings.ADMIN_URL}",
        editor_email=demo.editor_of(demo.bulk.publisher).email,
        password=demo.password,
        streams=streams,
        slug_of_path=slug_of_path,
        published=set(published_slugs),
        published_ids=published_ids,
        interval_s=settings.LIVE_POLL_INTERVAL_MS / 1000,
    )


# --- report -----------------------------------------------------------------------------------


def ms(values: list[float], pct: float) -> str:
    value = percentile(values, pct)
    if value != value:
        return "-"
    return "inf" if value == math.inf else f"{value:.1f}"


def thousands(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def print_stack_report(
    args: argparse.Namespace,
    run: Run,
    polls: PollResults,
    hits: DjangoHits,
    push: PushResults,
    site: SimpleNamespace,
    edge: EdgeLog | None,
) -> list[str]:
    """Print the stack's figures and its goals; return the goals that failed."""
    seconds = run.cpu_until - run.cpu_from
    print()
    print(
        f"Stack: nginx (edge) and nginx + Nchan (push) before {WEB_REPLICAS} gunicorn replicas x "
        f"{WORKERS_PER_REPLICA} sync workers, PostgreSQL, Redis, RQ; on {os.cpu_count()} CPUs"
    )
    print(
        f"polling: {thousands(args.polls_per_s)} polls/s at a fixed rate (= "
        f"{thousands(args.polls_per_s * site.interval_s)} readers at {site.interval_s:g} s) by "
        f"h2load over {args.poll_connections} HTTP/2 connections, URLs re-read every "
        f"{SEGMENT_S} s ({len(run.segments)} segments)"
    )
    statuses = ", ".join(f"{status} x{n}" for status, n in sorted(polls.statuses.items()))
    print(
        f"  served {thousands(polls.served)} in {args.duration} s = {thousands(polls.per_s)}/s "
        f"(slowest second {thousands(polls.slowest_second)}, busiest "
        f"{thousands(polls.busiest_second)}); statuses: {statuses}"
    )
    print(
        f"  {polls.bytes_per_answer / 1024:.1f} kB an answer on average (headers included); "
        f"errors {polls.errors} (h2load failed/errored/timed out: {polls.failed_streams}); "
        f"latency ms p50 {ms(polls.latencies_ms, 50)}, p99 {ms(polls.latencies_ms, 99)}, "
        f"p99.9 {ms(polls.latencies_ms, 99.9)}, max {ms(polls.latencies_ms, 100)}"
    )
    reached = sum(hits.kinds.values())
    print(
        f"Django reached (gunicorn access logs, {args.duration} s): {reached} requests = "
        f"{100 * reached / max(1, polls.served):.3f} % of the polls served"
    )
    for kind, count in hits.kinds.most_common():
        print(f"  {count:>7}  {kind}")
    print(
        f"  {hits.urls} distinct poll and page URLs; reached twice within "
        f"{site.interval_s:g} s: {len(hits.too_often)}"
        + "".join(f"\n    {gap} s apart: {url}" for url, gap in hits.too_often[:5])
    )
    if edge is not None:
        print(
            "  the edge's log (--edge-log): "
            + ", ".join(f"{status} x{n}" for status, n in edge.statuses.most_common())
            + "; passed to Django: "
            + ", ".join(f"{status} x{n}" for status, n in edge.upstream.most_common())
        )
        for uri, most, statuses_then in edge.herds[:5]:
            print(f"    {most} to Django within 1 s ({statuses_then}): {uri}")
    streams = len(push.announced)
    announcements = sum(len(v) for v in push.announced.values())
    print(
        f"push: {push.connected} of {args.sse_readers} SSE readers connected in "
        f"{run.ramp_s:.0f} s ({push.failed} never), {push.reconnects} reconnections; "
        f"{announcements} announcements in {streams} streams"
    )
    print(
        f"  publish -> event on each reader's connection: {thousands(push.expected)} deliveries "
        f"due, {thousands(push.received)} arrived, {push.missed} missed; ms p50 "
        f"{ms(push.latencies_ms, 50)}, p99 {ms(push.latencies_ms, 99)}, max "
        f"{ms(push.latencies_ms, 100)}"
    )
    print(
        f"  publish -> entry handed to a push reader ({len(push.samples)} fetch with &at= as "
        f"live.js): ms p50 {ms(push.visible_ms, 50)}, p99 {ms(push.visible_ms, 99)}, max "
        f"{ms(push.visible_ms, 100)}; their &at= fetches: p50 {ms(push.at_fetch_ms, 50)}, "
        f"p99 {ms(push.at_fetch_ms, 99)}"
    )
    # Entries committed in the run's last interval are left out: the sample readers stop polling
    # at their pace when the run stops, and catch up after a pause of their own.
    stopped_ms = (run.start + args.duration) * 1000
    timed = {
        entry: at for entry, at in push.commits.items() if at <= stopped_ms - site.interval_s * 1000
    }
    polled = [
        when * 1000 - timed[entry]
        for reader in run.readers
        for entry, when in reader.seen.items()
        if entry in timed
    ]
    print(
        f"  publish -> entry handed to a polling reader ({len(run.readers)} at "
        f"{site.interval_s:g} s through the edge, {len(timed)} entries committed before the "
        f"run's last interval): ms p50 {ms(polled, 50)}, p99 {ms(polled, 99)}, max "
        f"{ms(polled, 100)}"
    )
    print(
        f"  ({len(push.commits)} entries timed from their commit; {push.unmatched} publishes "
        "whose announcement no reader heard, or not told apart)"
    )

    print(f"CPU over the {seconds:.0f} s (seconds of CPU; % of one core):")
    used = {
        name: run.cpu_after[name] - run.cpu_before[name]
        for name in run.cpu_before
        if not name.startswith("machine")
    }
    for name, value in used.items():
        print(f"  {name:<42} {value:7.1f} s {100 * value / seconds:6.0f} %")
    others = ", ".join(f"{name} {value:.1f} s" for name, value in run.cpu_others.most_common(6))
    print(f"  other processes, by name: {others or '-'}")
    machine = {
        name.removeprefix("machine "): run.cpu_after[name] - run.cpu_before[name]
        for name in run.cpu_before
        if name.startswith("machine")
    }
    total = sum(machine.values())
    idle = machine.get("idle", 0) + machine.get("iowait", 0)
    print(
        f"  machine: {100 * (total - idle) / max(total, 1e-9):.0f} % busy over its "
        f"{os.cpu_count()} CPUs ("
        + ", ".join(
            f"{name} {value:.1f} s"
            for name, value in machine.items()
            if name not in ("idle", "iowait") and value >= 0.05
        )
        + f"; {sum(run.cpu_others.values()):.1f} s of processes outside the above)"
    )
    generators = sum(
        used[name]
        for name in (
            "h2load (polling)",
            "node (push readers)",
            "this process (editors, sample readers)",
        )
    )
    print(
        f"  the load generators (h2load, Node, this process) took {generators:.1f} s: "
        f"{100 * generators / max(total, 1e-9):.0f} % of the machine's CPU, beside the site"
    )
    connections = push.connected / 1000
    nginx_rss = (run.memory_held[0] - run.memory_idle[0]) / 1024
    nginx_pss = (run.memory_held[1] - run.memory_idle[1]) / 1024
    node_mb = (run.node_rss_held - run.node_rss_idle) / 2**20
    per_nginx = nginx_pss / connections if connections else math.nan
    per_node = node_mb / connections if connections else math.nan
    print(
        f"memory per 1 000 push connections: the push engine's nginx workers {per_nginx:.1f} MB "
        f"(PSS +{nginx_pss:.0f} MB, RSS +{nginx_rss:.0f} MB for {push.connected}); the Node "
        f"readers {per_node:.1f} MB (RSS +{node_mb:.0f} MB)"
    )

    h2load_core = used["h2load (polling)"] / seconds / max(1, args.h2load_threads)
    node_core = used["node (push readers)"] / seconds / max(1, args.node_processes)
    print()
    goals: list[tuple[bool, str]] = [
        (
            polls.per_s >= RATE_TOLERANCE * args.polls_per_s,
            f"{thousands(args.polls_per_s)} polls/s served (at least "
            f"{RATE_TOLERANCE:.0%} of it): {thousands(polls.per_s)}/s",
        ),
        (
            polls.errors == 0 and polls.failed_streams == 0,
            f"0 poll errors: {polls.errors + polls.failed_streams}",
        ),
        (
            percentile(polls.latencies_ms, 99) < GOAL_POLL_P99_MS,
            f"poll p99 < {GOAL_POLL_P99_MS} ms: {ms(polls.latencies_ms, 99)} ms",
        ),
        (
            not hits.too_often,
            f"Django reached at most once per URL per {site.interval_s:g} s: "
            f"{len(hits.too_often)} URLs more often",
        ),
        (
            push.connected == args.sse_readers,
            f"{thousands(args.sse_readers)} SSE readers held: {thousands(push.connected)}",
        ),
        (
            bool(push.latencies_ms) and percentile(push.latencies_ms, 99) < GOAL_PUSH_P99_MS,
            f"publish -> every reader's connection p99 < {GOAL_PUSH_P99_MS} ms: "
            f"{ms(push.latencies_ms, 99)} ms ({push.missed} missed, counted as never)",
        ),
        (
            h2load_core < GENERATOR_BUSY and node_core < GENERATOR_BUSY,
            f"the load generators not the bottleneck (< {GENERATOR_BUSY:.0%} of a core "
            f"each): h2load {h2load_core:.0%} of each of its {args.h2load_threads} threads' core, "
            f"each Node process {node_core:.0%}",
        ),
    ]
    for ok, text in goals:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(
        f"info  memory per 1 000 connections: nginx {per_nginx:.1f} MB, Node {per_node:.1f} MB "
        "(no bar set)"
    )
    return [text.split(":")[0] for ok, text in goals if not ok]


# --- main -------------------------------------------------------------------------------------


def stop_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if missing := missing_tools():
        print("The stack load test needs " + "; ".join(missing), file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGALRM, stop_on_signal)
    signal.alarm(SETUP_BUDGET_S + RAMP_TIMEOUT_S + args.duration + WIND_DOWN_S)
    # Every push reader is a connection of this machine's: Node's processes inherit this.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = Path(tempfile.mkdtemp(prefix="pressimus-loadtest-stack-"))
    failures: list[str] = []
    print(f"Pressimus stack load test on database {DATABASE_NAME}")
    try:
        print(
            "== start the stack: migrate, seed_demo, collectstatic, gunicorn x2, nginx", flush=True
        )
        # The editors sign in with a password: the demo's accounts have no second factor.
        with running_stack(
            tmp / "stack", database_name=DATABASE_NAME, env={"ADMIN_REQUIRE_MFA": "false"}
        ) as stack:
            print(f"== seed {', '.join(STREAM_SLUGS)} with {args.entries} entries each", flush=True)
            stack.manage(
                "shell", "-c", SEED_STREAMS.format(slugs=STREAM_SLUGS, entries=args.entries)
            )
            setup_django(stack.env)
            site = find_site(stack, STREAM_SLUGS)
            processes = Processes(stack.proxy.pid, stack.push.pid, stack.env["CACHE_URL"])
            run = asyncio.run(
                run_load(
                    args, site, processes, tmp, stack.directory / "authority.pem", stack.client_tls
                )
            )
            print("== read the results", flush=True)
            polls = read_poll_logs(run.segments, run.start, args.duration)
            logs = [stack.directory / f"web{n}.log" for n in range(1, WEB_REPLICAS + 1)]
            hits = django_hits(logs, (run.start, run.start + args.duration), site.interval_s)
            edge = (
                read_edge_log(tmp / "edge.log", (run.start, run.start + args.duration))
                if args.edge_log
                else None
            )
            slug_of_id = {pk: site.slug_of_path[path] for pk, path in site.streams.items()}
            push = push_results(run.node_results, run.editors, slug_of_id, int(run.start * 1000))
            checked = [*run.readers, *push.samples]
            saved = read_database(checked, run.editors, site)
            # The default mode's report reads one log of the web processes: both, as one.
            web_log = tmp / "web.log"
            web_log.write_text("".join(log.read_text(errors="replace") for log in logs))
        print()
        print(
            f"== the default mode's checks, for the readers that do what live.js does: "
            f"{len(run.readers)} polling (Python), {len(push.samples)} push (Node)"
        )
        failures = print_report(
            SimpleNamespace(readers=len(checked), editors=len(run.editors), duration=args.duration),
            site,
            checked,
            run.editors,
            run.stats,
            saved,
            None,
            time.monotonic() - (time.time() - run.start),
            web_log,
        )
        failures += print_stack_report(args, run, polls, hits, push, site, edge)
        print("loadtest: PASS" if not failures else f"loadtest: FAIL ({'; '.join(failures)})")
        return 1 if failures else 0
    except StackUnavailable as error:
        print(f"loadtest: FAIL ({error})")
        return 1
    finally:
        signal.alarm(0)
        if args.keep or failures:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
