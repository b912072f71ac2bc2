"""A real HTTP server on 127.0.0.1 for the length of a test, standing in for a part of the
production shape that Django calls (the push engine's publisher, the edge's refresh port): its
handler records what it is sent in ``self.server.heard``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[tuple[str, list]]:
    """The server's URL, and the list its handler records into."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.heard = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.heard  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
