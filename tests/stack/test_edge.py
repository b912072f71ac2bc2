"""The edge cache in front of Django: it answers the anonymous readers' repeated requests, never
hands one reader's page to another, keeps members-only answers out, and does not hold news back
longer than one poll interval."""

from __future__ import annotations

import json
import os
import pwd
import re
import time
from pathlib import Path

import pytest

from bench.procs import process_tree, stat_fields
from tests.stack.conftest import (
    MEMBER,
    MEMBERS_STREAM,
    PUBLIC_STREAM,
    fetch,
    publish,
    wait_for,
)

# Selected or left out as a whole: `-m 'not stack'` (.ci/run's SQLite pass).
pytestmark = [pytest.mark.stack, pytest.mark.browser]

POLL_INTERVAL_S = 5


def _cache(headers) -> str:
    return headers.get("X-Cache-Status", "")


def _updates_path(stack, slug: str) -> str:
    """The updates URL a freshly opened page of the stream polls."""
    status, _, body = fetch(stack, f"/streams/{slug}/")
    assert status == 200
    found = re.search(r'data-updates-url="([^"]+)"', body)
    assert found, "no data-updates-url on the stream page"
    return found.group(1).replace("&amp;", "&")


def test_an_anonymous_readers_repeated_requests_are_answered_by_the_edge(stack):
    path = _updates_path(stack, PUBLIC_STREAM)
    first = fetch(stack, path, accept="application/json")
    second = fetch(stack, path, accept="application/json")
    assert first[0] == second[0] == 200
    assert _cache(second[1]) == "HIT", dict(second[1])
    assert json.loads(second[2]) == json.loads(first[2])
    # Django's filler for the cache's sake (SteadyHeaderLengthMiddleware) stays at the edge.
    assert "X-Header-Pad" not in first[1] and "X-Header-Pad" not in second[1]


def test_browsers_spelling_gzip_differently_share_one_compressed_copy(stack):
    path = _updates_path(stack, PUBLIC_STREAM) + "&encoding-test=1"
    chrome = fetch(stack, path, accept="application/json", encoding="gzip, deflate, br, zstd")
    safari = fetch(stack, path, accept="application/json", encoding="br, gzip, deflate")
    plain = fetch(stack, path, accept="application/json")

    assert chrome[1]["Content-Encoding"] == safari[1]["Content-Encoding"] == "gzip"
    assert _cache(safari[1]) == "HIT"
    # A client that takes no gzip gets the answer as it is, from a copy of its own.
    assert plain[1].get("Content-Encoding") is None
    assert _cache(plain[1]) == "MISS"
    assert json.loads(chrome[2]) == json.loads(safari[2]) == json.loads(plain[2])


def test_a_signed_in_readers_pages_bypass_the_edge_and_never_reach_another(stack, member):
    cookies = {cookie["name"]: cookie["value"] for cookie in member.context.cookies()}
    session = f"__Host-sessionid={cookies['__Host-sessionid']}"
    for _ in range(2):
        status, headers, body = fetch(stack, f"/streams/{PUBLIC_STREAM}/", cookie=session)
        assert status == 200
        assert _cache(headers) == "BYPASS"
        assert "account-menu__toggle" in body
    # The anonymous reader after them gets the anonymous page, cached or not.
    status, headers, body = fetch(stack, f"/streams/{PUBLIC_STREAM}/")
    assert status == 200
    assert "account-menu__toggle" not in body
    assert MEMBER not in body


def test_members_only_answers_never_enter_the_edge(stack, member):
    member.goto(f"{stack.url}/streams/{MEMBERS_STREAM}/")
    assert member.locator("h1").inner_text()
    cookies = {cookie["name"]: cookie["value"] for cookie in member.context.cookies()}
    session = f"__Host-sessionid={cookies['__Host-sessionid']}"
    page = fetch(stack, f"/streams/{MEMBERS_STREAM}/", cookie=session)
    assert page[0] == 200
    updates = re.search(r'data-updates-url="([^"]+)"', page[2]).group(1).replace("&amp;", "&")
    for _ in range(2):
        assert fetch(stack, updates, cookie=session, accept="application/json")[0] == 200

    # Whatever the member was given, an anonymous reader asking the same URLs is refused by
    # Django each time: nothing of it was kept at the edge.
    for path in (f"/streams/{MEMBERS_STREAM}/", updates):
        for _ in range(2):
            status, headers, body = fetch(stack, path, accept="application/json")
            # The page sends them to sign in; its updates do not exist for them.
            if path == updates:
                assert status == 404, (path, status)
            else:
                assert status == 302 and "/accounts/login/" in headers["Location"], status
            assert _cache(headers) != "HIT"
            assert "figures behind the budget" not in body


def test_a_cached_nothing_new_answer_outlives_a_publish_by_at_most_one_interval(stack):
    path = _updates_path(stack, PUBLIC_STREAM)
    fetch(stack, path, accept="application/json")
    assert _cache(fetch(stack, path, accept="application/json")[1]) == "HIT"

    published = publish(stack, PUBLIC_STREAM, "News the edge must not hold back")

    def brought() -> bool:
        status, _, body = fetch(stack, path, accept="application/json")
        return status == 200 and str(published.entry_id) in (json.loads(body).get("html") or "")

    wait_for(brought, timeout=POLL_INTERVAL_S + 1, what="the poll answer with the new entry")
    print(f"publish → in the cached poll's answer: {time.time() - published.at:.2f} s")


def _workers(nginx) -> list[tuple[int, str]]:
    """The nice value and user of each worker of one of the stack's nginx."""
    found = []
    for pid in process_tree(nginx.pid):
        if b"nginx: worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
            fields = stat_fields(pid)
            owner = Path(f"/proc/{pid}").stat().st_uid
            found.append((int(fields[16]), pwd.getpwuid(owner).pw_name))
    return found


def test_each_nginx_runs_as_its_role_says(stack):
    """What entrypoint.sh gives each role is what runs: one edge worker ahead of everything
    else on the host, and the push engine's on every core at the usual priority."""
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert _workers(stack.proxy) == [(-10, user)]
    assert _workers(stack.push) == [(0, user)] * os.cpu_count()
