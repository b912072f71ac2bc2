"""A provider of posts and videos on this machine: a real HTTP server on 127.0.0.1 answering in
the place of YouTube, Vimeo, X, Bluesky, Mastodon and Telegram (nothing outside is reachable).
settings.EMBED_TEST_SERVER points every request for an allowlisted host at it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.test_images import encoded, halves

VIDEO_ID = "dQw4w9WgXcQ"
VIDEO_URL = f"https://youtu.be/{VIDEO_ID}"
VIDEO_TITLE = "Aleppo: the evacuation convoy reaches the city"
PLAYER_URL = f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}?autoplay=1"


# A provider on this machine ----------------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


class ProviderServer:
    """A real HTTP server on 127.0.0.1 that answers in the providers' place.

    ``routes`` maps a path ("/oembed") to what answers it; ``requests`` lists every path and
    query asked, in order; ``notes`` is where slow or endless answers say how they ended.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.notes: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(urlsplit(self.path).path)
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            def log_message(self, format, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                # A client that gave up on a slow answer is what some tests are about.
                pass

        self._http = Server(("127.0.0.1", 0), Handler)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @classmethod
    @contextmanager
    def serving(cls, settings) -> Iterator[ProviderServer]:
        server = cls()
        server._thread.start()
        settings.EMBED_TEST_SERVER = f"127.0.0.1:{server.port}"
        try:
            yield server
        finally:
            server._http.shutdown()
            server._http.server_close()

    def wait_for_note(self, seconds: float = 5.0) -> str:
        end = time.monotonic() + seconds
        while not self.notes and time.monotonic() < end:
            time.sleep(0.02)
        return self.notes[0] if self.notes else "no note"


@pytest.fixture
def provider(settings):
    with ProviderServer.serving(settings) as server:
        yield server


def answer(body: bytes | dict, status: int = 200, content_type: str = "application/json") -> Route:
    data = json.dumps(body).encode() if isinstance(body, dict) else body

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def picture(size=(1280, 720), format="JPEG") -> bytes:
    return encoded(halves(size), format)


def youtube_answer(**changes) -> dict:
    return {
        "type": "video",
        "version": "1.0",
        "title": VIDEO_TITLE,
        "author_name": "Amnesty International",
        "author_url": "https://www.youtube.com/@amnesty",
        "provider_name": "YouTube",
        "provider_url": "https://www.youtube.com/",
        "thumbnail_url": f"https://i.ytimg.com/vi/{VIDEO_ID}/hqdefault.jpg",
        "thumbnail_width": 480,
        "thumbnail_height": 360,
        "html": f'<iframe src="https://www.youtube.com/embed/{VIDEO_ID}?feature=oembed"></iframe>',
        **changes,
    }


def youtube_routes(server: ProviderServer, **changes) -> None:
    server.routes["/oembed"] = answer(youtube_answer(**changes))
    server.routes[f"/vi/{VIDEO_ID}/hqdefault.jpg"] = answer(picture(), content_type="image/jpeg")
