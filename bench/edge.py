"""The edge cache against nginx serving a file, in one run: `make bench` ends with it.

Starts the production shape (deploy/stack.py: nginx with the edge cache in front of two gunicorn
replicas, HTTPS on loopback), then measures with wrk a file nginx serves from disk (an upload
under /media/) and the unchanged poll a reader's open page holds (answered by the edge cache),
in alternating rounds, then the same poll with a session cookie (which bypasses the edge:
Django each time). The goal is the poll at 0.8x or more of the file.

Rounds, because the speed of a shared machine drifts by more than the difference measured: the
file alone went from 65 000 to 79 000 requests/s within a minute here. Each poll run is
compared with the file run just before it, and the median of those ratios is the result.

    .venv/bin/python bench/edge.py [--rounds 5] [--duration 6] [--connections 32]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.run import WrkResult, parse_wrk  # noqa: E402
from deploy.stack import StackUnavailable, missing_parts, running_stack  # noqa: E402

GOAL = 0.8
STREAM = "arden-valley-floods"
# About the size of an unchanged poll's answer, so both measure the same bytes on the wire.
FILE_BYTES = 700


def _wrk(url: str, args: argparse.Namespace, *headers: str) -> WrkResult:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    for header in headers:
        command += ["-H", header]
    command += ["--timeout", "10s", "--latency", url]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=args.duration + 30
    )
    return parse_wrk(done.stdout)


def _poll_url(stack) -> str:
    request = urllib.request.Request(f"{stack.url}/streams/{STREAM}/")
    with urllib.request.urlopen(request, context=stack.client_tls, timeout=10) as response:
        page = response.read().decode()
    found = re.search(r'data-updates-url="([^"]+)"', page)
    if not found:
        raise SystemExit("edge: the stream page names no updates URL")
    return stack.url + found.group(1).replace("&amp;", "&")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating file/poll rounds")
    parser.add_argument("--duration", type=int, default=6, help="seconds of wrk per URL and round")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    args = parser.parse_args()
    if missing := missing_parts():
        print("== edge: skipped, the stack needs " + "; ".join(missing))
        return 0
    if shutil.which("wrk") is None:
        print("== edge: skipped, wrk is missing (apt-get install wrk)")
        return 0
    warm_up = argparse.Namespace(**{**vars(args), "duration": 2})
    directory = Path(tempfile.mkdtemp(prefix="pressimus-edge-"))
    try:
        try:
            with running_stack(directory / "stack", database_name="pressimus_bench_edge") as stack:
                (directory / "stack" / "media" / "bench.txt").write_bytes(b"x" * FILE_BYTES)
                file = f"{stack.url}/media/bench.txt"
                poll = _poll_url(stack)
                print(f"== wrk file from nginx: {file}\n== wrk poll via the edge: {poll}")
                _wrk(file, warm_up)
                _wrk(poll, warm_up)
                rounds = []
                for number in range(1, args.rounds + 1):
                    pair = (_wrk(file, args), _wrk(poll, args))
                    rounds.append(pair)
                    print(
                        f"round {number}: file {pair[0].requests_per_s:.0f}, "
                        f"poll {pair[1].requests_per_s:.0f} req/s: "
                        f"{pair[1].requests_per_s / pair[0].requests_per_s:.3f}; errors "
                        f"{sum(run.non_2xx + run.socket_errors for run in pair)}",
                        flush=True,
                    )
                # Any session cookie sends the request past the edge, to Django.
                cookie = "Cookie: __Host-sessionid=bench"
                print("== wrk poll, signed in (past the edge, to Django)", flush=True)
                _wrk(poll, warm_up, cookie)
                signed_in = _wrk(poll, args, cookie)
        except StackUnavailable as error:
            print(f"== edge: skipped, {error}")
            return 0
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    ratios = [poll.requests_per_s / file.requests_per_s for file, poll in rounds]
    share = statistics.median(ratios)
    # The table shows the round whose ratio is the median (the lower middle one when even).
    file_result, poll_result = rounds[ratios.index(statistics.median_low(ratios))]
    results = {
        "file from nginx": file_result,
        "poll via the edge": poll_result,
        "poll, signed in": signed_in,
    }
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s over HTTPS through "
        f"nginx (edge cache) in front of 2 gunicorn replicas; the median of {args.rounds} rounds"
    )
    print(f"{'':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs file':>8} {'errors':>7}")
    for label, result in results.items():
        errors = result.non_2xx + result.socket_errors
        print(
            f"{label:<20} {result.requests_per_s:>9.1f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {result.requests_per_s / file_result.requests_per_s:>8.3f} "
            f"{errors:>7}"
        )
    verdict = "meets" if share >= GOAL else "BELOW"
    print(
        f"poll via the edge / file from nginx: {share:.3f}, the median of "
        f"{' '.join(f'{ratio:.3f}' for ratio in sorted(ratios))} ({verdict} the {GOAL} goal)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
