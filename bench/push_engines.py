"""Pushpin against Nchan for pushing live updates over Server-Sent Events, measured the same way.

For each engine in turn, on loopback over plain HTTP/1.1: start it in a temporary directory with
a minimal configuration of its own, open many EventSource connections spread over 10 channels
from Node (bench/push_engines.mjs), then publish messages one every half second, round-robin
over the channels, each carrying the time it was sent. It prints, side by side, publish -> receipt
latency over every (connection, message) pair, missed and duplicated deliveries, the engine's
memory (all its processes) before and with the connections held, and the CPU the engine and the
Node client spent while the messages went out.

    .venv/bin/python bench/push_engines.py [--connections 5000] [--messages 30]

The engines: Pushpin as shipped (its handler paces deliveries to message_rate, 2500 a second by
default), Pushpin with that pacing off, and Nchan (nginx's module, what deploy/nginx/ runs). Both
ask an origin once per connection, as production asks Django: Pushpin proxies the request to a
tiny GRIP origin in this process, which answers with the hold headers; Nchan asks the same
origin with nchan_authorize_request, as deploy/nginx/push.conf.template does.

Other work on the machine takes the same cores and shows up as latency: before each engine it
waits for the machine to be quiet (--quiet-wait), measures an engine again when other work shared
its publishing phase (--repeats), and the table's last row shows the CPU anything else used.
It prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.procs import CLOCK_TICKS, process_tree, stat_fields  # noqa: E402

CLIENT = Path(__file__).with_suffix(".mjs")
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"
CHANNELS = 10
SLUG_PREFIX = "bench-"
EVENTS_PATH = re.compile(r"^/streams/(?P<slug>[-\w]+)/events/$")
# What production sends while a page is idle (nchan_eventsource_ping_interval 20): both engines
# keep the same cadence of comment lines, so neither writes more than the other.
KEEP_ALIVE_S = 20
# Pushpin's default (/etc/pushpin/pushpin.conf): deliveries a second its handler lets out.
PUSHPIN_MESSAGE_RATE = 2500
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
SETTLE_S = 3
DRAIN_TIMEOUT_S = 15
# Below this, the rest of the machine is background noise (a fifth of one core).
QUIET_CORES = 0.2


# --- the engines' processes, from /proc ----------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU so far (utime + stime) of the processes still running."""
    ticks = 0
    for pid in pids:
        if (fields := stat_fields(pid)) is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU the whole machine spent doing anything, summed over its cores."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user).
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """This process's CPU: the publisher, and the origin's threads."""
    times = os.times()
    return times.user + times.system


def memory_kib(pids: list[int]) -> dict[int, tuple[int, int]]:
    """Each process's resident and proportional memory, in KiB. nginx's workers share the pages
    they were forked with, and each one's RSS counts them all again; PSS divides them among
    their users."""
    found = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss = pss = 0
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss = int(value.split()[0])
            elif name == "Pss":
                pss = int(value.split()[0])
        found[pid] = (rss, pss)
    return found


@dataclass
class Memory:
    """An engine's memory at one moment: its sums, and PSS by process name."""

    rss_kib: int = 0
    pss_kib: int = 0
    pss_by_name: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, pids: list[int]) -> Memory:
        memory = cls()
        for pid, (rss, pss) in memory_kib(pids).items():
            memory.rss_kib += rss
            memory.pss_kib += pss
            name = process_name(pid)
            memory.pss_by_name[name] = memory.pss_by_name.get(name, 0) + pss
        return memory


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def free_ports(count: int) -> list[int]:
    """Distinct free ports: the kernel may hand out a port again once its socket is closed, so
    all of them are held until each is known."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- the origin: what Django is to Pushpin (GRIP) and to Nchan (authorize) ----------------------


class GripOrigin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        found = EVENTS_PATH.match(self.path)
        if not found:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        # Pushpin holds the client's request open and subscribes it to the channel; Nchan,
        # asking whether the reader may listen, only reads the 200.
        self.send_header("Grip-Hold", "stream")
        self.send_header("Grip-Channel", f"stream-{found['slug']}")
        self.send_header("Grip-Keep-Alive", f":\\n\\n; format=cstring; timeout={KEEP_ALIVE_S}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    # The engines open connections to the origin a thousand a second; the default backlog of 5
    # would drop their SYNs and measure TCP's retransmission timer instead.
    request_queue_size = 1024


# --- the engines ---------------------------------------------------------------------------------


class Engine:
    name = ""
    process: subprocess.Popen | None = None
    subscribe_port = 0
    publish_port = 0

    def __init__(self, workdir: Path, origin_port: int) -> None:
        self.workdir = workdir
        self.origin_port = origin_port
        self.log_path = workdir / "engine.log"
        self._publisher: http.client.HTTPConnection | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def publish_request(self, channel: str, message: str) -> tuple[str, bytes, dict[str, str]]:
        raise NotImplementedError

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            # A session of its own: stop() can then end the daemons it started, by their group.
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start:\n{self.log_tail()}")
            if port_open(self.subscribe_port) and port_open(self.publish_port):
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not open its ports:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def publish(self, channel: str, message: str) -> None:
        path, body, headers = self.publish_request(channel, message)
        # One kept-alive connection, as a web process's would be, so each publish costs a
        # request and not a TCP handshake; made again once if the engine closed it.
        for attempt in (1, 2):
            if self._publisher is None:
                self._publisher = http.client.HTTPConnection(
                    "127.0.0.1", self.publish_port, timeout=10
                )
            try:
                self._publisher.request("POST", path, body=body, headers=headers)
                response = self._publisher.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                self._publisher.close()
                self._publisher = None
                if attempt == 2:
                    raise
                continue
            if response.status >= 300:
                raise SystemExit(f"{self.name}: publishing answered {response.status}")
            return

    def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The daemons it started, if any outlived it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Pushpin(Engine):
    name = "pushpin"

    def __init__(self, workdir: Path, origin_port: int, message_rate: int) -> None:
        super().__init__(workdir, origin_port)
        self.message_rate = message_rate
        self.subscribe_port, self.publish_port, pull, sub, command = free_ports(5)
        config = workdir / "pushpin.conf"
        (workdir / "run").mkdir()
        (workdir / "log").mkdir()
        # 127.0.0.1 rather than localhost: the origin listens on IPv4 only.
        (workdir / "routes").write_text(f"* 127.0.0.1:{origin_port}\n")
        # Every TCP port it binds is one of its own, so nothing else on the machine is in the
        # way; the rest are IPC sockets under rundir. Services: condure holds the client
        # connections, pushpin-proxy passes each request to the origin, pushpin-handler holds
        # the subscriptions and takes the publishes, and zurl makes the proxy's requests to the
        # origin. The package's default leaves zurl out and points the proxy at the system's
        # zurl daemon (/var/run/zurl); here the runner starts one of its own, in rundir.
        config.write_text(
            f"""[global]
include={{libdir}}/internal.conf
rundir={workdir / "run"}
ipc_prefix=pushpin-
port_offset=0

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:{self.subscribe_port}
logdir={workdir / "log"}
log_level=2
client_buffer_size=8192
client_maxconn=50000
condure_bin=condure
zurl_bin=zurl

[proxy]
routesfile=routes
zurl_out_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in
zurl_out_stream_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in-stream
zurl_in_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-out
sig_iss=pushpin
sig_key=bench-only-key
updates_check=off

[handler]
push_in_spec=tcp://127.0.0.1:{pull}
push_in_sub_specs=tcp://127.0.0.1:{sub}
push_in_http_addr=127.0.0.1
push_in_http_port={self.publish_port}
stats_spec=ipc://{{rundir}}/{{ipc_prefix}}stats
command_spec=tcp://127.0.0.1:{command}
message_rate={message_rate}
message_hwm=25000
"""
        )
        self.config = config

    def command(self) -> list[str]:
        return ["pushpin", "--config", str(self.config)]

    def publish_request(self, channel: str, message: str) -> tuple[str, bytes, dict[str, str]]:
        item = {
            "channel": channel,
            "formats": {"http-stream": {"content": f"event: change\ndata: {message}\n\n"}},
        }
        body = json.dumps({"items": [item]}).encode()
        return "/publish/", body, {"Content-Type": "application/json"}


class Nchan(Engine):
    name = "nchan"

    def __init__(self, workdir: Path, origin_port: int) -> None:
        super().__init__(workdir, origin_port)
        self.subscribe_port, self.publish_port = free_ports(2)
        (workdir / "temp").mkdir()
        self.config = workdir / "nginx.conf"
        # deploy/nginx/nginx.conf and push.conf.template, less TLS, CORS and the web
        # processes: the same worker settings, subscriber and publisher locations.
        self.config.write_text(
            f"""load_module {NCHAN_MODULE};

worker_processes auto;
worker_rlimit_nofile 20000;
pid nginx.pid;
error_log stderr warn;

events {{
    worker_connections 16000;
}}

http {{
    access_log off;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    upstream origin {{
        server 127.0.0.1:{origin_port};
        keepalive 64;
    }}

    server {{
        listen 127.0.0.1:{self.subscribe_port};

        location ~ ^/streams/(?<stream_slug>[-\\w]+)/events/$ {{
            nchan_subscriber eventsource;
            nchan_channel_id "stream-$stream_slug";
            nchan_authorize_request /_bench/may-listen/$stream_slug;
            nchan_subscriber_first_message newest;
            nchan_eventsource_ping_interval {KEEP_ALIVE_S};
        }}

        location ~ ^/_bench/may-listen/(?<stream_slug>[-\\w]+)$ {{
            internal;
            proxy_pass http://origin/streams/$stream_slug/events/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
    }}

    server {{
        listen 127.0.0.1:{self.publish_port};

        location ~ ^/(?<channel>stream-[-\\w]+)$ {{
            nchan_publisher http;
            nchan_channel_id $channel;
            nchan_message_buffer_length 1;
            nchan_message_timeout 1h;
        }}
    }}
}}
"""
        )

    def command(self) -> list[str]:
        prefix = f"{self.workdir}/"
        return ["nginx", "-p", prefix, "-c", str(self.config), "-e", "stderr", "-g", "daemon off;"]

    def publish_request(self, channel: str, message: str) -> tuple[str, bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json", "X-EventSource-Event": "change"}
        return f"/{channel}", message.encode(), headers


# --- the readers: Node processes -----------------------------------------------------------------


class NodeClient:
    def __init__(self, workdir: Path, number: int, port: int, channels: list[int], rate: int):
        self.config_path = workdir / f"node-{number}.json"
        self.output = workdir / f"node-{number}-out.json"
        self.config_path.write_text(
            json.dumps(
                {
                    "port": port,
                    "path": f"/streams/{SLUG_PREFIX}{{channel}}/events/",
                    "channels": channels,
                    "connect_per_s": rate,
                    "output": str(self.output),
                }
            )
        )
        self.status: dict = {}
        self.process = subprocess.Popen(
            ["node", str(CLIENT), str(self.config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read_status, daemon=True)
        self.reader.start()

    def _read_status(self) -> None:
        for line in self.process.stdout:
            try:
                self.status = json.loads(line)
            except ValueError:
                continue

    def stop(self) -> list[dict]:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("stop\n")
                self.process.stdin.flush()
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        try:
            return json.loads(self.output.read_text())
        except (OSError, ValueError):
            return []


def total(clients: list[NodeClient], key: str) -> int:
    return sum(client.status.get(key, 0) for client in clients)


# --- one engine, measured ------------------------------------------------------------------------


@dataclass
class Result:
    engine: str
    processes: list[str] = field(default_factory=list)
    connected: int = 0
    failed: int = 0
    retries: int = 0
    dropped: int = 0
    connect_s: float = math.nan
    connect_cpu_s: float = math.nan
    before: Memory = field(default_factory=Memory)
    held: Memory = field(default_factory=Memory)
    publish_window_s: float = math.nan
    publish_cpu_s: float = math.nan
    node_cpu_s: float = math.nan
    bench_cpu_s: float = math.nan
    # Everything else on the machine: another load test running at the same time shows here.
    others_cpu_s: float = math.nan
    publish_call_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    expected: int = 0
    missed: int = 0
    duplicated: int = 0
    strays: int = 0
    notes: list[str] = field(default_factory=list)


def channel_name(number: int) -> str:
    return f"stream-{SLUG_PREFIX}{number}"


def measure(engine: Engine, args: argparse.Namespace) -> Result:
    result = Result(engine.name)
    engine.start()
    clients: list[NodeClient] = []
    try:
        time.sleep(SETTLE_S)
        pids = engine.pids()
        result.processes = [process_name(pid) for pid in pids]
        result.before = Memory.of(pids)

        # Connection i listens on channel i % 10 and lives in Node process i % clients.
        channels = [i % CHANNELS for i in range(args.connections)]
        per_client = max(1, args.connect_rate // args.clients)
        cpu_before = cpu_seconds(engine.pids())
        started = time.monotonic()
        for number in range(args.clients):
            mine = channels[number :: args.clients]
            clients.append(
                NodeClient(engine.workdir, number, engine.subscribe_port, mine, per_client)
            )
        deadline = started + args.connections / args.connect_rate + 120
        while time.monotonic() < deadline:
            settled = sum(total(clients, key) for key in ("connected", "failed", "dropped"))
            if settled >= args.connections:
                break
            time.sleep(0.2)
        result.connect_s = time.monotonic() - started
        result.connect_cpu_s = cpu_seconds(engine.pids()) - cpu_before
        result.connected = total(clients, "connected")
        if result.connected < args.connections:
            result.notes.append(
                f"{engine.name}: {result.connected} of {args.connections} connected"
                f" ({clients[0].status.get('lastError', '')})"
            )

        time.sleep(SETTLE_S)
        pids = engine.pids()
        result.processes = [process_name(pid) for pid in pids]
        result.held = Memory.of(pids)

        # Each connection is sent every message of its channel.
        per_channel = [channels.count(number) for number in range(CHANNELS)]
        sent_to = [seq % CHANNELS for seq in range(args.messages)]
        result.expected = sum(per_channel[channel] for channel in sent_to)
        events_before = total(clients, "events")
        node_pids = [client.process.pid for client in clients]
        engine_cpu_before = cpu_seconds(pids)
        node_cpu_before = cpu_seconds(node_pids)
        bench_cpu_before = own_cpu_seconds()
        machine_before = machine_busy_seconds()
        window_start = time.monotonic()
        for seq in range(args.messages):
            # On a fixed schedule, so a slow publish does not stretch the ones after it.
            time.sleep(max(0.0, window_start + seq * args.interval - time.monotonic()))
            sent_ms = time.time() * 1000
            message = json.dumps({"seq": seq, "sent": sent_ms}, separators=(",", ":"))
            call_started = time.perf_counter()
            engine.publish(channel_name(sent_to[seq]), message)
            result.publish_call_ms.append((time.perf_counter() - call_started) * 1000)
        drain_deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < drain_deadline:
            if total(clients, "events") - events_before >= result.expected:
                break
            time.sleep(0.1)
        result.publish_window_s = time.monotonic() - window_start
        result.publish_cpu_s = cpu_seconds(engine.pids()) - engine_cpu_before
        result.node_cpu_s = cpu_seconds(node_pids) - node_cpu_before
        result.bench_cpu_s = own_cpu_seconds() - bench_cpu_before
        machine = machine_busy_seconds() - machine_before
        result.others_cpu_s = (
            machine - result.publish_cpu_s - result.node_cpu_s - result.bench_cpu_s
        )
        result.failed = total(clients, "failed")
        result.retries = total(clients, "retries")
        result.dropped = total(clients, "dropped")
    finally:
        connections = [connection for client in clients for connection in client.stop()]
        engine.stop()

    expected_by_channel = {
        channel: {seq for seq in range(args.messages) if sent_to[seq] == channel}
        for channel in range(CHANNELS)
    }
    heard = 0
    for connection in connections:
        wanted = expected_by_channel[connection["channel"]]
        seen: set[int] = set()
        for seq, latency_ms in connection["events"]:
            if seq not in wanted:
                result.strays += 1
            elif seq in seen:
                result.duplicated += 1
            else:
                seen.add(seq)
                result.latencies_ms.append(latency_ms)
        heard += len(seen)
    # Against every connection asked for, so one that never opened counts its messages as missed.
    result.missed = result.expected - heard
    return result


# --- the report ----------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with ``pct`` % of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def report(results: list[Result], args: argparse.Namespace) -> str:
    per_1k = args.connections / 1000
    rows: list[tuple[str, list[str]]] = [
        ("processes", [str(len(r.processes)) for r in results]),
        ("connected", [f"{r.connected}/{args.connections}" for r in results]),
        ("connect retries / failed", [f"{r.retries} / {r.failed}" for r in results]),
        ("dropped while held", [str(r.dropped) for r in results]),
        ("time to connect all", [f"{r.connect_s:.1f} s" for r in results]),
        ("engine CPU while connecting", [f"{r.connect_cpu_s:.2f} s" for r in results]),
        ("", ["" for _ in results]),
        ("deliveries expected", [str(r.expected) for r in results]),
        (
            "missed / duplicated / stray",
            [f"{r.missed} / {r.duplicated} / {r.strays}" for r in results],
        ),
        ("latency p50", [f"{percentile(r.latencies_ms, 50):.1f} ms" for r in results]),
        ("latency p90", [f"{percentile(r.latencies_ms, 90):.1f} ms" for r in results]),
        ("latency p99", [f"{percentile(r.latencies_ms, 99):.1f} ms" for r in results]),
        ("latency max", [f"{max(r.latencies_ms, default=math.nan):.1f} ms" for r in results]),
        ("publish call p50", [f"{percentile(r.publish_call_ms, 50):.2f} ms" for r in results]),
        ("", ["" for _ in results]),
        ("RSS before (sum)", [mib(r.before.rss_kib) for r in results]),
        ("RSS held (sum)", [mib(r.held.rss_kib) for r in results]),
        (
            "RSS per 1 000 connections",
            [mib((r.held.rss_kib - r.before.rss_kib) / per_1k) for r in results],
        ),
        ("PSS before (sum)", [mib(r.before.pss_kib) for r in results]),
        ("PSS held (sum)", [mib(r.held.pss_kib) for r in results]),
        (
            "PSS per 1 000 connections",
            [mib((r.held.pss_kib - r.before.pss_kib) / per_1k) for r in results],
        ),
        ("", ["" for _ in results]),
        ("publishing window", [f"{r.publish_window_s:.1f} s" for r in results]),
        ("engine CPU while publishing", [f"{r.publish_cpu_s:.2f} s" for r in results]),
        (
            "  as share of one core",
            [f"{100 * r.publish_cpu_s / r.publish_window_s:.1f} %" for r in results],
        ),
        ("Node client CPU, same window", [f"{r.node_cpu_s:.2f} s" for r in results]),
        ("publisher + origin CPU (Python)", [f"{r.bench_cpu_s:.2f} s" for r in results]),
        ("anything else on the machine", [f"{r.others_cpu_s:.2f} s" for r in results]),
    ]
    label_width = max(len(label) for label, _ in rows) + 2
    width = max(18, *(len(r.engine) + 2 for r in results))
    lines = [
        f"{args.connections} connections over {CHANNELS} channels, {args.messages} messages"
        f" every {args.interval:g} s, {args.clients} Node processes, {os.cpu_count()} CPUs",
        "".ljust(label_width) + "".join(r.engine.rjust(width) for r in results),
    ]
    lines += [
        label.ljust(label_width) + "".join(v.rjust(width) for v in values) for label, values in rows
    ]
    lines.append("")
    lines.append("PSS before -> held, by process:")
    for r in results:
        counted = {name: r.processes.count(name) for name in dict.fromkeys(r.processes)}
        parts = []
        for name, count in counted.items():
            before = r.before.pss_by_name.get(name, 0) / 1024
            held = r.held.pss_by_name.get(name, 0) / 1024
            label = f"{name} x{count}" if count > 1 else name
            parts.append(f"{label} {before:.1f} -> {held:.1f}")
        lines.append(f"  {r.engine}: {', '.join(parts)} MiB")
    for r in results:
        lines += r.notes
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------

ENGINES = ("pushpin", "pushpin-unpaced", "nchan")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000, help="SSE connections held")
    parser.add_argument("--messages", type=int, default=30, help="messages published")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between messages")
    parser.add_argument("--clients", type=int, default=2, help="Node processes holding them")
    parser.add_argument(
        "--connect-rate", type=int, default=1000, help="connections opened a second, in all"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="seconds to wait, before each engine, for other work on the machine to stop",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="times an engine is measured again when other work shared its publishing phase",
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated, in order, from: {', '.join(ENGINES)}",
    )
    args = parser.parse_args(argv)
    args.engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    unknown = [name for name in args.engines if name not in ENGINES]
    if unknown:
        parser.error(f"unknown engines: {', '.join(unknown)}")
    return args


def check_tools(args: argparse.Namespace) -> None:
    needed = ["node"]
    if any(name.startswith("pushpin") for name in args.engines):
        needed += ["pushpin", "condure", "pushpin-proxy", "pushpin-handler"]
    if "nchan" in args.engines:
        needed.append("nginx")
        if not Path(NCHAN_MODULE).exists():
            raise SystemExit(f"nchan: {NCHAN_MODULE} is missing (libnginx-mod-nchan)")
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)}")
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each Node process holds its share of the sockets; each engine holds them all at once.
    wanted = args.connections + 1000
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raise SystemExit(f"open files limit {soft} is below {wanted}: ulimit -n {wanted}")


def make_workdir(name: str) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix=f"push-engines-{name}-"))
    # nginx's workers run as an unprivileged user and create their temporary files under it.
    workdir.chmod(0o755)
    for parent in workdir.parents:
        if not parent.stat().st_mode & 0o001:
            raise SystemExit(
                f"{parent} is closed to other users: set TMPDIR to a directory that isn't"
            )
    return workdir


def make_engine(name: str, workdir: Path, origin_port: int) -> Engine:
    if name == "pushpin":
        return Pushpin(workdir, origin_port, PUSHPIN_MESSAGE_RATE)
    if name == "pushpin-unpaced":
        engine = Pushpin(workdir, origin_port, 0)
        engine.name = name
        return engine
    return Nchan(workdir, origin_port)


def others_cores(seconds: float = 2) -> float:
    """Cores the rest of the machine keeps busy, while nothing of this bench runs."""
    machine, own = machine_busy_seconds(), own_cpu_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - machine - (own_cpu_seconds() - own)) / seconds


def wait_for_quiet(patience_s: float) -> None:
    """On a shared machine another load test takes the same cores: wait for it to end, within
    patience. The report's "anything else" row shows what ran alongside all the same."""
    deadline = time.monotonic() + patience_s
    while (busy := others_cores()) > QUIET_CORES and time.monotonic() < deadline:
        print(f"waiting: other work keeps {busy:.1f} cores busy", file=sys.stderr, flush=True)
        time.sleep(10)


def measure_once(name: str, origin_port: int, args: argparse.Namespace) -> Result:
    workdir = make_workdir(name)
    engine = make_engine(name, workdir, origin_port)
    wait_for_quiet(args.quiet_wait)
    print(f"{name}: measuring ...", file=sys.stderr, flush=True)
    try:
        return measure(engine, args)
    finally:
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        # Let the closed connections leave TIME_WAIT's way and the machine settle.
        time.sleep(SETTLE_S)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools(args)
    origin = OriginServer(("127.0.0.1", 0), GripOrigin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    results = []
    try:
        for name in args.engines:
            discarded = []
            for attempt in range(1 + args.repeats):
                result = measure_once(name, origin.server_address[1], args)
                busy = result.others_cpu_s / result.publish_window_s
                if busy <= QUIET_CORES or attempt == args.repeats:
                    break
                # Latency is what other work disturbs most: a run it shared is measured again.
                print(f"{name}: other work kept {busy:.1f} cores busy, again", file=sys.stderr)
                discarded.append(f"{busy:.1f}")
            if discarded:
                result.notes.append(
                    f"{name}: {len(discarded)} run(s) set aside, other work kept"
                    f" {', '.join(discarded)} cores busy while publishing"
                )
            results.append(result)
    finally:
        origin.shutdown()
        origin.server_close()
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
