"""The edge's copies of the polls readers hold, replaced the moment a change commits.

The edge cache (deploy/nginx/pressimus.conf.template) keeps each poll answer for its max-age,
5 s, and every up-to-date page of a stream polls the same URL, the ``next`` its last answer
named: kept until it expires, the edge's "nothing new" there would hide a publish from polling
readers for up to 5 s on top of their own wait for the next poll. So the updates endpoint notes
the ``next`` of each answer it makes (``note_next``: one URL per version of the stream), and
once a change commits ``refresh`` asks the edge's refresh port (``EDGE_REFRESH_URL``, never
open to readers) again for the URLs of the stream's last versions. The edge passes those
requests to Django whatever it keeps, and keeps the new answers in place of the old ones: a
polling reader sees a change at their next poll, within one interval.

Only the last versions' URLs: a stream that changes every few seconds leaves pages that have
not polled since behind on older ones, and asking again for every URL answered lately cost
the load test ten times the requests to Django and its poll latency goal. Those pages get the
change when their copy expires, at most one max-age later, as without a refresh port.

Without ``EDGE_REFRESH_URL`` nothing is noted or refreshed: the edge's copies expire on their
own (no edge, or an edge that only honours max-age).
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# The newest version's URL (where up-to-date pages are) and the one before it (pages that have
# not polled since the last change): the pages a change finds on older URLs are few.
NEXT_URLS_KEPT = 2
NEXT_URLS_TIMEOUT = 600
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


def note_next(slug: str, url: str) -> None:
    """Note that the stream's readers are sent on to ``url`` (an answer's ``next``)."""
    if not is_on():
        return
    key = _next_key(slug)
    noted = cache.get(key) or []
    if noted[:1] == [url]:
        return
    cache.set(key, [url, *(u for u in noted if u != url)][:NEXT_URLS_KEPT], NEXT_URLS_TIMEOUT)


def refresh(versions: dict[str, int]) -> threading.Thread | None:
    """Replace the edge's copies of the URLs noted for each changed stream (by slug, with its
    new version), in the background: the thread doing it, None if there is nothing to do.
    Never raises: a copy left in place expires on its own anyway."""
    if not is_on() or not versions:
        return None
    keys = {_next_key(slug): version for slug, version in versions.items()}
    jobs = [(url, keys[key]) for key, urls in cache.get_many(list(keys)).items() for url in urls]
    if not jobs:
        return None
    # In a thread: each request comes back to the web processes through the edge, and this
    # runs in the request of whoever made the change, after its commit. Not a daemon: a
    # command that made the change (manage.py) finishes it before it exits.
    thread = threading.Thread(target=_refresh_all, args=(jobs,), name="edge-refresh")
    thread.start()
    return thread


def refresh_one(url: str, version: int) -> bool:
    """Ask the edge for ``url`` afresh in each encoding it keeps; whether every copy was."""
    site = urlsplit(settings.SITE_URL)
    done = True
    for encoding in ENCODINGS:
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
            done = False
    return done


def _refresh_all(jobs: Iterable[tuple[str, int]]) -> None:
    for url, version in jobs:
        refresh_one(url, version)
