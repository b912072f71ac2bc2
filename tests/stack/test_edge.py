"""The edge cache in front of Django: it answers the anonymous readers' repeated requests, never
hands one reader's page to another, keeps members-only answers out, and replaces what it keeps
for up-to-date readers the moment a change commits."""

from __future__ import annotations

import json
import os
import pwd
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.procs import process_tree, stat_fields
from tests.stack.conftest import (
    MEMBER,
    MEMBERS_STREAM,
    PUBLIC_STREAM,
    fetch,
    publish,
)

# Selected or left out as a whole: `-m 'not stack'` (.ci/run's SQLite pass).
pytestmark = [pytest.mark.stack, pytest.mark.browser]


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


def test_the_edges_nothing_new_is_replaced_the_moment_a_publish_commits(stack):
    path = _updates_path(stack, PUBLIC_STREAM)
    for encoding in ("gzip", ""):
        fetch(stack, path, accept="application/json", encoding=encoding)
        kept = fetch(stack, path, accept="application/json", encoding=encoding)
        assert _cache(kept[1]) == "HIT"
        assert json.loads(kept[2])["count"] == 0

    # Returns once the change is committed and the edge asked (live.edge, before it exits).
    published = publish(stack, PUBLIC_STREAM, "News the edge must not hold back")

    # Well within the kept copies' 5 s: each is already the new answer, and still the edge's.
    for encoding in ("gzip", ""):
        status, headers, body = fetch(stack, path, accept="application/json", encoding=encoding)
        assert status == 200
        assert _cache(headers) == "HIT", dict(headers)
        assert headers.get("Content-Encoding") == (encoding or None)
        answer = json.loads(body)
        assert answer["count"] == 1
        assert f'data-entry-id="{published.entry_id}"' in answer["html"]
        assert "News the edge must not hold back" in answer["html"]
    print(f"publish → in the edge's copy of the poll: {time.time() - published.at:.2f} s")


def test_the_refresh_port_answers_the_web_processes_polls_and_nothing_else(stack):
    refresh = stack.settings["EDGE_REFRESH_URL"]
    path = _updates_path(stack, PUBLIC_STREAM)
    host = {"Host": stack.url.split("://", 1)[1], "X-Forwarded-Proto": stack.url.split(":")[0]}

    def status(url: str, method: str = "GET") -> int:
        request = urllib.request.Request(url, headers=host, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status(refresh + path) == 200
    assert status(refresh + path, "POST") == 403
    for other in (f"/streams/{PUBLIC_STREAM}/", "/admin/", "/media/", "/"):
        assert status(refresh + other) == 404, other


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
