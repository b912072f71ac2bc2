"""Push: open stream pages hear of a change the moment it is committed.

The real-time engine is Nchan, in an nginx of its own beside the edge (deploy/nginx/
push.conf.template), on an origin of its own (``PUSH_EVENTS_ORIGIN``): it holds the readers'
Server-Sent Events connections on ``/streams/<slug>/events/``, asks Django whether each reader
may listen (``live.views.stream_events``, as an ``nchan_authorize_request``, with the reader's
cookies), and relays what Django publishes to the stream's channel (``PUSH_URL``). After a
change commits, ``announce`` publishes the stream's new version there once; Nchan keeps the
newest message for a page that reconnects with an older Last-Event-ID, and every page asks the
updates endpoint as it (re)connects, so a page that missed events catches up at once.

An event carries only the version: each page then asks the updates endpoint for what it has not
seen, exactly as a poll does (through the edge cache, which folds the readers' identical
requests into one), so nothing is missed and nothing arrives twice. Without ``PUSH_URL``
nothing is published, no page listens, and pages poll as before.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)

# Short: publishing runs after the commit, in the request of whoever changed the stream.
PUBLISH_TIMEOUT_S = 2


def is_on() -> bool:
    return bool(settings.PUSH_URL)


def channel_of(slug: str) -> str:
    # By slug, as the readers' URL names the stream: the proxy derives the channel from it.
    return f"stream-{slug}"


def announce(slugs_and_versions: dict[str, int]) -> int:
    """Tell every open page of each stream that it changed (after commit); the number of
    streams announced. Never raises: a page that does not hear of it still polls."""
    if not is_on():
        return 0
    announced = 0
    for slug, version in slugs_and_versions.items():
        url = settings.PUSH_URL.rstrip("/") + "/" + urllib.parse.quote(channel_of(slug))
        request = urllib.request.Request(
            url,
            data=json.dumps({"v": version}).encode(),
            # The event's name for the page's EventSource.
            headers={"Content-Type": "application/json", "X-EventSource-Event": "change"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=PUBLISH_TIMEOUT_S) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            logger.warning("push: could not announce %s version %s: %s", slug, version, error)
            continue
        announced += 1
    return announced
