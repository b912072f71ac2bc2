"""The production shape on loopback (deploy/stack.py), tried as readers meet it.

One stack for the session: nginx in front (the edge cache), Nchan in an nginx of its own on
another port (the push engine), two gunicorn replicas with production settings, PostgreSQL,
Redis and the task queue's worker, over HTTPS, seeded with the demo. Chromium trusts its
throwaway certificate by key. Locally a machine without nginx and Nchan skips these tests
loudly; under CI=true they fail.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.stack import Stack, missing_parts, running_stack
from tests.chromium import chromium, require_chromium

# Playwright's sync API runs an event loop in this thread; nothing here touches the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_PASSWORD = "pressimus-demo"
MEMBER = "reader@pressimus.test"
PUBLIC_STREAM = "arden-valley-floods"
MEMBERS_STREAM = "members-briefing-the-budget-behind-closed-doors"
BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _require_stack() -> None:
    if not (missing := missing_parts()):
        return
    message = "the stack cannot run: " + "; ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    warnings.warn(message, stacklevel=2)
    pytest.skip(f"!!! STACK TESTS SKIPPED !!! {message}")


@contextmanager
def open_directory() -> Iterator[Path]:
    """A directory of its own for a stack, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="pressimus-stack-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Stack:
    require_chromium()
    _require_stack()
    with (
        open_directory() as directory,
        running_stack(directory / "stack", database_name="pressimus_stack_tests") as site,
    ):
        yield site


@pytest.fixture(scope="session")
def stack_browser(playwright, stack):
    with chromium(playwright, [f"--ignore-certificate-errors-spki-list={stack.cert_spki}"]) as b:
        yield b


@pytest.fixture
def reader(stack_browser):
    """An anonymous reader's browser window on a phone."""
    context = stack_browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


@pytest.fixture
def member(stack_browser, stack):
    """A signed-in member's browser window."""
    context = stack_browser.new_context()
    page = context.new_page()
    sign_in(page, stack, MEMBER)
    yield page
    context.close()


def sign_in(page, stack: Stack, email: str) -> None:
    page.goto(stack.url + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()
    page.locator(".account-menu__toggle").wait_for()


def open_stream(page, stack: Stack, slug: str, *, hearing: str = "push") -> None:
    """Open a stream page and wait until it hears news the way it should."""
    page.goto(f"{stack.url}/streams/{slug}/")
    page.locator(f'#entries[data-live-hearing="{hearing}"]').wait_for(timeout=15_000)


@dataclass(frozen=True)
class Published:
    entry_id: int
    text: str
    # When the publishing request's work was done: committed and announced.
    at: float


_PUBLISH = textwrap.dedent(
    """
    import json, sys, time
    from streams.models import Stream
    from streams.services import TextBlock, entry_create
    stream = Stream.objects.get(slug=sys.argv[1])
    entry = entry_create(stream=stream, blocks=[TextBlock(body="<p>" + sys.argv[2] + "</p>")])
    print(json.dumps({"id": entry.pk, "at": time.time()}))
    """
)


def publish(stack: Stack, slug: str, text: str) -> Published:
    """Publish an entry as the services do for every editor (commit, then announce)."""
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + _PUBLISH, slug, text],
        cwd=BASE_DIR,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return Published(entry_id=answer["id"], text=text, at=answer["at"])


def fetch(
    stack: Stack, path: str, *, cookie: str = "", accept: str = "text/html", encoding: str = ""
):
    """One request through the proxy, as a reader's browser makes it: (status, headers, body),
    the body decompressed when the answer came gzipped."""
    headers = {"Accept": accept}
    if cookie:
        headers["Cookie"] = cookie
    if encoding:
        headers["Accept-Encoding"] = encoding
    request = urllib.request.Request(stack.url + path, headers=headers)
    https = urllib.request.HTTPSHandler(context=stack.client_tls)
    opener = urllib.request.build_opener(https, _NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, response.headers, body.decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


def events_status(stack: Stack, slug: str, *, cookie: str = "", origin: str | None = None) -> int:
    """The status a subscription to a stream's events gets, without holding it open: asked as
    a page of the site asks (its origin; another one given), on the push engine's origin."""
    headers = {"Accept": "text/event-stream", "Origin": stack.url if origin is None else origin}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(events_url(stack, slug), headers=headers)
    try:
        with urllib.request.urlopen(request, context=stack.client_tls, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def events_url(stack: Stack, slug: str) -> str:
    return f"{stack.events_origin}/streams/{slug}/events/"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")
