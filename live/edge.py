"""The edge's copies of the polls readers hold, replaced the moment a change commits.

The edge cache (deploy/nginx/pressimus.conf.template) keeps each poll answer for its max-age,
5 s, and every up-to-date page of a stream polls the same URL, the ``next`` its last answer
named: kept until it expires, the edge's "nothing new" there would hide a publish from polling
readers for up to 5 s on top of their own wait for the next poll. So the updates endpoint notes
the ``next`` of each answer it makes (``note_next``: one URL per version of the stream), and
once a change commits ``refresh`` asks the edge's refresh port (``EDGE_REFRESH_URL``, never
open to readers) again for each noted URL pages may still poll: the newest, and each older one
a newer one replaced less than a poll interval ago (pages sent there before poll it once
more). The edge passes those requests to Django whatever it keeps, and keeps the new answers in
place of the old ones: a polling reader sees a change at their next poll.

Each URL asked again is a render. Asking for every poll URL answered within the last max-age
instead (the edge's every copy, old URLs that load generators and stale pages still hold
included) cost the load test three times the requests to Django, and its poll p99 and push p99
goals; these are the URLs the pages that poll are on.

Without ``EDGE_REFRESH_URL`` nothing is noted or refreshed: the edge's copies expire on their
own (no edge, or an edge that only honours max-age).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# A bound on what one change asks again; a stream changing every second needs fewer.
NEXT_URLS_KEPT = 8
NEXT_URLS_TIMEOUT = 600
# Beyond the poll interval: the poll's own latency, and the moment a copy takes to be replaced.
HELD_MARGIN_S = 1.0
# The edge keeps one copy per encoding it asks Django for (its map on Accept-Encoding).
ENCODINGS = ("gzip", "")
# The header that tells the updates endpoint how new its answer must be at least: the process
# the edge asks may still remember the answer it gave just before the change (LIVE_MEMO_MS).
VERSION_HEADER = "X-Refresh-Version"
# How web processes' access logs (and the load test reading them) tell refreshes apart.
USER_AGENT = "pressimus-edge-refresh"
REFRESH_TIMEOUT_S = 5


def is_on() -> bool:
    return bool(settings.EDGE_REFRESH_URL)


def _next_key(slug: str) -> str:
    return f"live:next:{slug}"


def _held(noted: list[tuple[str, float]], now: float) -> list[str]:
    """The noted URLs pages may still poll, newest first: the newest, and each one that a newer
    one replaced within one poll interval (pages sent there until then poll it once more)."""
    interval = settings.LIVE_POLL_INTERVAL_MS / 1000 + HELD_MARGIN_S
    held = [url for url, _ in noted[:1]]
    for (url, _), (_, replaced_at) in zip(noted[1:], noted, strict=False):
        if now - replaced_at > interval:
            break
        held.append(url)
    return held


def note_next(slug: str, url: str) -> None:
    """Note that the stream's readers are sent on to ``url`` (an answer's ``next``)."""
    if not is_on():
        return
    key = _next_key(slug)
    noted: list[tuple[str, float]] = cache.get(key) or []
    if noted[:1] and noted[0][0] == url:
        return
    now = time.time()
    noted = [(url, now), *((old, at) for old, at in noted if old != url)]
    # What pages may still poll is the newest few: the rest is forgotten.
    cache.set(key, noted[: min(len(_held(noted, now)), NEXT_URLS_KEPT)], NEXT_URLS_TIMEOUT)


def refresh(versions: dict[str, int]) -> threading.Thread | None:
    """Replace the edge's copies of the URLs pages of each changed stream (by slug, with its
    new version) may still poll, in the background: the thread doing it, None if there is
    nothing to do. Never raises: a copy left in place expires on its own anyway."""
    if not is_on() or not versions:
        return None
    keys = {_next_key(slug): version for slug, version in versions.items()}
    now = time.time()
    jobs = [
        (url, keys[key])
        for key, noted in cache.get_many(list(keys)).items()
        for url in _held(noted, now)
    ]
    if not jobs:
        return None
    # In a thread: each request comes back to the web processes through the edge, and this
    # runs in the request of whoever made the change, after its commit. Not a daemon: a
    # command that made the change (manage.py) finishes it before it exits.
    thread = threading.Thread(target=_refresh_all, args=(jobs,), name="edge-refresh")
    thread.start()
    return thread


def _ask(url: str, version: int, encoding: str) -> None:
    """Ask the edge for ``url`` afresh in one encoding; its new answer replaces the copy."""
    site = urlsplit(settings.SITE_URL)
    request = urllib.request.Request(
        settings.EDGE_REFRESH_URL.rstrip("/") + url,
        headers={
            # The edge keys its copies by the host readers ask.
            "Host": site.netloc,
            "X-Forwarded-Proto": site.scheme,
            "Accept-Encoding": encoding,
            VERSION_HEADER: str(version),
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=REFRESH_TIMEOUT_S) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("edge: could not refresh %s: %s", url, error)


def _refresh_all(jobs: list[tuple[str, int]]) -> None:
    # Every URL compressed first: the copies browsers get.
    for encoding in ENCODINGS:
        for url, version in jobs:
            _ask(url, version, encoding)
