"""The simulated people: readers who load and poll streams, editors who publish in the admin.

Everything here runs as asyncio tasks in one process, each person with their own HTTP
client, against the site on loopback. Every request is timed and recorded in ``Stats``.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie

import httpx

from loadtest.pages import entry_ids, entry_times, form_fields, updates_url

REQUEST_TIMEOUT_S = 5.0
PAGE_RELOAD_S = 10.0
# Readers arrive over a few seconds, not all in the same millisecond.
RAMP_UP_S = 5.0
# live.js: after a failed poll it waits interval * 2^failures, at most a minute.
MAX_BACKOFF_S = 60.0
CATCH_UP_POLLS = 20
# What the friendly outage page says (templates/503.html), and what a traceback says.
FRIENDLY_503 = re.compile(r"service unavailable|back in a moment", re.IGNORECASE)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Exception Value:")

# Kinds of request, in the order the report lists them.
PAGE, POLL, POLL_304, ADMIN, PUBLISH, EDIT = (
    "page",
    "poll",
    "poll-304",
    "admin",
    "admin/publish",
    "admin/edit",
)
KINDS = (PAGE, POLL, POLL_304, ADMIN, PUBLISH, EDIT)


@dataclass
class Record:
    kind: str
    url: str
    started: float  # time.monotonic() when the request was sent
    ms: float
    status: int  # 0 for a connection error or a timeout
    friendly_503: bool = False
    problem: str = ""


@dataclass
class Stats:
    records: list[Record] = field(default_factory=list)

    def add(self, record: Record) -> None:
        self.records.append(record)


def friendly_outage_page(response: httpx.Response) -> bool:
    """A 503 a reader can live with: a human page with Retry-After, no traceback."""
    body = response.text
    return (
        response.status_code == 503
        and "retry-after" in response.headers
        and FRIENDLY_503.search(body) is not None
        and TRACEBACK.search(body) is None
    )


async def timed(
    stats: Stats, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs
) -> httpx.Response | None:
    """Send one request and record it; None when no answer came (connection error, timeout)."""
    started = time.monotonic()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        ms = (time.monotonic() - started) * 1000
        stats.add(Record(kind, url, started, ms, 0, problem=f"{type(error).__name__}: {error}"))
        return None
    ms = (time.monotonic() - started) * 1000
    if kind == POLL and response.status_code == 304:
        kind = POLL_304
    friendly = response.status_code == 503 and friendly_outage_page(response)
    problem = "" if response.status_code < 400 else response.text[:300]
    stats.add(Record(kind, url, started, ms, response.status_code, friendly, problem))
    return response


class Stop:
    """When the run is over: an event every task can wait on instead of sleeping."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    @property
    def is_set(self) -> bool:
        return self.event.is_set()

    async def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds`` or until the stop; True when the run stopped."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout=max(seconds, 0))
        except TimeoutError:
            return False
        return True


# Readers -------------------------------------------------------------------------------------


@dataclass
class Reader:
    """One browser tab on a stream page, doing what static/js/live.js does."""

    number: int
    base_url: str
    page_path: str
    stats: Stats
    stop: Stop
    first_cursor: str | None = None  # the ``after`` of the first page's updates URL
    delivered: list[int] = field(default_factory=list)
    # Each entry's publish time when it was first handed over.
    publish_times: dict[int, datetime] = field(default_factory=dict)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    interval_s: float = 5.0  # live.js's default until the server says otherwise
    failures: int = 0
    etag: tuple[str, str] | None = None  # (url, ETag) of the last answer

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S)

    async def run(self) -> None:
        async with self.client() as client:
            await self.load_first_page(client)
            if not self.url:
                return
            next_page = time.monotonic() + random.uniform(0.5, 1.5) * PAGE_RELOAD_S
            # live.js polls at once: the answer brings the interval the server wants.
            while not self.stop.is_set:
                await self.poll(client)
                if time.monotonic() >= next_page:
                    await timed(self.stats, client, PAGE, "GET", self.page_path)
                    next_page = time.monotonic() + random.uniform(0.8, 1.2) * PAGE_RELOAD_S
                if await self.stop.sleep(self.delay()):
                    break
            await self.catch_up(client)

    async def load_first_page(self, client: httpx.AsyncClient) -> None:
        try:
            await self.stop.sleep(random.uniform(0, RAMP_UP_S))
            while not self.stop.is_set:
                response = await timed(self.stats, client, PAGE, "GET", self.page_path)
                if response is not None and response.status_code == 200:
                    url = updates_url(response.text)
                    if url is None:
                        raise RuntimeError(f"No data-updates-url on {self.page_path}")
                    self.url = url
                    self.first_cursor = httpx.URL(url).params.get("after")
                    return
                await self.stop.sleep(1)
        finally:
            self.loaded.set()

    def delay(self) -> float:
        if self.failures:
            return min(self.interval_s * 2**self.failures, MAX_BACKOFF_S)
        return self.interval_s

    async def poll(self, client: httpx.AsyncClient) -> bool:
        """One poll of the current URL; True when it brought new entries."""
        headers = {"Accept": "application/json"}
        if self.etag is not None and self.etag[0] == self.url:
            headers["If-None-Match"] = self.etag[1]
        response = await timed(self.stats, client, POLL, "GET", self.url, headers=headers)
        if response is None or response.status_code not in (200, 304):
            self.failures += 1
            return False
        self.failures = 0
        if response.status_code == 304:
            # The answer this URL gave before, already applied.
            return False
        if "etag" in response.headers:
            self.etag = (self.url, response.headers["etag"])
        data = json.loads(response.text)
        if isinstance(data.get("interval"), int | float) and data["interval"] > 0:
            self.interval_s = data["interval"] / 1000
        new = False
        if data.get("count") and data.get("html"):
            # Newest first, like the page; a reader meets them oldest first.
            ids = entry_ids(data["html"])[::-1]
            self.delivered.extend(ids)
            for entry_id, when in entry_times(data["html"]).items():
                self.publish_times.setdefault(entry_id, when)
            new = bool(ids)
        if data.get("next"):
            self.url = data["next"]
        return new

    async def catch_up(self, client: httpx.AsyncClient) -> None:
        """After the run: one more interval, then poll until nothing new comes."""
        await asyncio.sleep(self.interval_s)
        for _ in range(CATCH_UP_POLLS):
            self.failures = 0
            if not await self.poll(client) and not self.failures:
                return
            await asyncio.sleep(0.2)


# Editors -------------------------------------------------------------------------------------


@dataclass
class Published:
    entry_id: int
    stream_id: int
    title: str
    attempts: int
    done: float  # monotonic time the successful publish was answered


@dataclass
class Editor:
    """An editor in the Django admin, behind the TLS proxy production has.

    The site's cookies are Secure (__Host-): the editor sends X-Forwarded-Proto: https, as the
    proxy would, and keeps its cookies itself, since an HTTP client keeps Secure cookies off
    a plain-HTTP URL.
    """

    number: int
    base_url: str
    admin_path: str
    email: str
    password: str
    stream_ids: list[int]
    stats: Stats
    stop: Stop
    published: list[Published] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    failed_attempts: int = 0

    def origin(self) -> str:
        return "https://" + httpx.URL(self.base_url).netloc.decode()

    async def request(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, **kwargs
    ) -> httpx.Response | None:
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": self.origin() + path,
            **kwargs.pop("headers", {}),
        }
        if method == "POST":
            headers["Origin"] = self.origin()
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await timed(self.stats, client, kind, method, path, headers=headers, **kwargs)
        if response is not None:
            for header in response.headers.get_list("set-cookie"):
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        return response

    async def run(self, start: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S) as client:
            await start.wait()
            while not self.stop.is_set and not await self.sign_in(client):
                await self.stop.sleep(1)
            sequence = 0
            while not self.stop.is_set:
                if self.published and random.random() < 0.2:
                    await self.edit(client, random.choice(self.published))
                else:
                    sequence += 1
                    await self.publish(client, sequence)
                await self.stop.sleep(random.uniform(1.0, 2.0))

    async def sign_in(self, client: httpx.AsyncClient) -> bool:
        self.cookies.clear()
        page = await self.request(client, ADMIN, "GET", "/accounts/login/")
        if page is None or page.status_code != 200:
            return False
        data = {
            "csrfmiddlewaretoken": form_fields(page.text, action="/accounts/login/").get(
                "csrfmiddlewaretoken", ""
            ),
            "login": self.email,
            "password": self.password,
        }
        response = await self.request(client, ADMIN, "POST", "/accounts/login/", data=data)
        return response is not None and response.status_code == 302

    async def publish(self, client: httpx.AsyncClient, sequence: int) -> None:
        """Publish one entry; after a failure, try again until it is saved or the run ends."""
        title = f"Loadtest editor {self.number} entry {sequence}"
        stream_id = random.choice(self.stream_ids)
        attempts = 0
        while not self.stop.is_set:
            attempts += 1
            entry_id = await self.publish_once(client, stream_id, title)
            if entry_id is not None:
                done = time.monotonic()
                self.published.append(Published(entry_id, stream_id, title, attempts, done))
                return
            self.failed_attempts += 1
            await self.stop.sleep(random.uniform(0.5, 1.0))

    async def publish_once(
        self, client: httpx.AsyncClient, stream_id: int, title: str
    ) -> int | None:
        add_path = f"{self.admin_path}streams/entry/add/"
        form = await self.request(client, ADMIN, "GET", add_path)
        if form is None or form.status_code != 200:
            return None
        data = {
            "csrfmiddlewaretoken": form_fields(form.text).get("csrfmiddlewaretoken", ""),
            "stream": str(stream_id),
            "title": title,
            "published_at_0": "",
            "published_at_1": "",
            "correction": "",
            "_action": "publish",
            "_continue": "1",
            "blocks-TOTAL_FORMS": "1",
            "blocks-INITIAL_FORMS": "0",
            "blocks-MIN_NUM_FORMS": "1",
            "blocks-MAX_NUM_FORMS": "1000",
            "blocks-0-position": "0",
            "blocks-0-kind": "text",
            "blocks-0-body": f"<p>{title}: what the load test's editor saw happen.</p>",
            "bylines-TOTAL_FORMS": "1",
            "bylines-INITIAL_FORMS": "0",
            "bylines-MIN_NUM_FORMS": "0",
            "bylines-MAX_NUM_FORMS": "1000",
            "bylines-0-position": "0",
            "bylines-0-name": f"Load Test Editor {self.number}",
        }
        response = await self.request(client, PUBLISH, "POST", add_path, data=data)
        if response is None or response.status_code != 302:
            return None
        match = re.search(r"/streams/entry/(\d+)/change/", response.headers.get("location", ""))
        return int(match[1]) if match else None

    async def edit(self, client: httpx.AsyncClient, entry: Published) -> None:
        """Correct a published entry through its change form, as sent back by a browser."""
        path = f"{self.admin_path}streams/entry/{entry.entry_id}/change/"
        form = await self.request(client, ADMIN, "GET", path)
        if form is None or form.status_code != 200:
            return
        data = form_fields(form.text, form_id="entry_form")
        data["blocks-0-body"] = f"<p>{entry.title}: corrected at {time.strftime('%H:%M:%S')}.</p>"
        data["correction"] = "A detail was corrected by the load test."
        data["_action"] = "save"
        data["_continue"] = "1"
        response = await self.request(client, EDIT, "POST", path, data=data)
        if response is not None and response.status_code == 302:
            self.edited.append(entry.entry_id)
