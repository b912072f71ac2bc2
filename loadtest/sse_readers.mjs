// Push readers for `make loadtest MODE=stack` (loadtest/stack.py starts a few of these).
//
// Each reader is one browser tab on a public stream page with push on: its own TLS connection
// to the push engine's origin (HTTP/2, as a browser negotiates it with this nginx; or
// HTTP/1.1), holding an EventSource on /streams/<slug>/events/ there, with the site's Origin
// as a browser sends it. For every "change" event it records when it arrived and the version
// it names. A sample of the readers ("fetchers") also does what static/js/live.js does: it
// loads its page from the site and listens where the page's data-events-url says, and with
// each event asks its updates URL with &at=<version> on its connection to the site, applies
// `next`, and records which entries it was handed and when, so the load test can check that
// push readers get every entry once and in order.
//
// No npm packages: node's own http2/https. Usage:
//
//   node loadtest/sse_readers.mjs CONFIG.json
//
// CONFIG: {"origin": "https://127.0.0.1:8443", "events_origin": "https://127.0.0.1:8444",
//          "ca": "authority.pem", "protocol": "h2", "readers": [["slug", fetcher?], ...],
//          "connect_per_s": 500, "output": "out.json"}
// stdout: one JSON line a second ({"connected": n, "failed": n, ...}); stdin: "stop" ends
// the run (every reader listens 5 s more, fetchers poll until nothing new comes), the results
// are written to CONFIG.output, and the process exits.

import fs from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import readline from "node:readline";
import zlib from "node:zlib";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ca = fs.readFileSync(config.ca);
const origin = new URL(config.origin);
const eventsOrigin = new URL(config.events_origin || config.origin);
const useH2 = (config.protocol || "h2") === "h2";
// As a browser's EventSource: wait a little, then reconnect.
const RECONNECT_MS = 3000;
// live.js: the poll interval until the server says otherwise; while push is connected, a poll
// now and then only guards against a lost event; after failures, back off up to a minute.
const DEFAULT_INTERVAL_MS = 5000;
const SAFETY_NET_MS = 60000;
// live.js: the moment over which a page spreads its request after an event.
const SPREAD_MS = 300;
const MAX_BACKOFF_MS = 60000;
const REQUEST_TIMEOUT_MS = 10000;
// After "stop", every reader still listens this long: an event published just before the
// editors stopped is counted as missed only if it has not arrived by then.
const LINGER_MS = 5000;

const ENTRY_ID = /<article\b[^>]*?\bdata-entry-id="(\d+)"/g;
const UPDATES_URL = /\bdata-updates-url="([^"]+)"/;
const EVENTS_URL = /\bdata-events-url="([^"]+)"/;

let stopping = false;
const counts = { connected: 0, failed: 0, reconnects: 0, events: 0, fetches: 0, fetchErrors: 0 };
let lastError = "";
const httpsAgent = useH2
  ? null
  : new https.Agent({ ca, keepAlive: true, maxSockets: 4 });

function unescapeHtml(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

// The ids of the entry articles of an answer's html, in document order.
function entryIds(html) {
  return [...html.matchAll(ENTRY_ID)].map((match) => Number(match[1]));
}

class Reader {
  constructor(number, slug, fetcher) {
    this.number = number;
    this.slug = slug;
    this.fetcher = fetcher;
    this.session = null; // to the site: page and polls (fetchers)
    this.eventsSession = null; // to the push engine: the EventSource
    this.eventsPath = `/streams/${slug}/events/`;
    this.connectedAt = 0; // when the first EventSource answer arrived (ms since the epoch)
    this.opens = 0;
    this.errors = 0;
    this.events = []; // [version, received ms]
    this.up = false;
    this.lastId = ""; // as EventSource: sent back as Last-Event-ID when reconnecting
    // live.js's state, for fetchers
    this.pagePath = `/streams/${slug}/`;
    this.url = "";
    this.firstCursor = null;
    this.interval = DEFAULT_INTERVAL_MS;
    this.failures = 0;
    this.pushed = 0;
    this.pushing = false;
    this.inFlight = false;
    this.again = false;
    this.timer = null;
    this.delivered = [];
    this.seen = {}; // entry id -> ms first handed over
    this.requests = []; // [started ms, took ms, status, had "at"]
  }

  // One request on the reader's own connection (HTTP/2) or its agent (HTTP/1.1), taking gzip
  // as a browser does (the edge keeps the compressed copy that every browser shares).
  request(path, accept) {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let status = 0;
      let encoding = "";
      const chunks = [];
      let settled = false;
      const done = (error) => {
        // "end" and then "close": the answer is read once.
        if (settled) return;
        settled = true;
        if (error) return reject(error);
        let raw = Buffer.concat(chunks);
        try {
          if (encoding === "gzip") raw = zlib.gunzipSync(raw);
        } catch (failure) {
          return reject(failure);
        }
        resolve({ status, body: raw.toString("utf8"), started, took: Date.now() - started });
      };
      const headers = { accept, "accept-encoding": "gzip" };
      if (useH2) {
        const stream = this.ensureSession().request({ ":path": path, ...headers });
        stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.on("response", (answer) => {
          status = answer[":status"];
          encoding = answer["content-encoding"] || "";
        });
        stream.on("data", (chunk) => chunks.push(chunk));
        stream.on("end", () => done());
        stream.on("error", done);
        stream.on("close", () => (status ? done() : done(new Error("stream closed"))));
        stream.end();
      } else {
        const req = https.request(
          { host: origin.hostname, port: origin.port, path, agent: httpsAgent, headers },
          (response) => {
            status = response.statusCode;
            encoding = response.headers["content-encoding"] || "";
            response.on("data", (chunk) => chunks.push(chunk));
            response.on("end", () => done());
            response.on("error", done);
          },
        );
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
        req.on("error", done);
        req.end();
      }
    });
  }

  // The tab's HTTP/2 connection to the site, for its page and its polls: one that fails fails
  // the request on it, and the next request opens another.
  ensureSession() {
    if (this.session && !this.session.destroyed && !this.session.closed) return this.session;
    const session = http2.connect(origin, { ca });
    session.on("error", () => {});
    this.session = session;
    return session;
  }

  // And its connection to the push engine, for its EventSource.
  ensureEventsSession() {
    const current = this.eventsSession;
    if (current && !current.destroyed && !current.closed) return current;
    const session = http2.connect(eventsOrigin, { ca });
    session.on("error", (error) => this.failed(error.message, session));
    session.on("close", () => this.failed("connection closed", session));
    this.eventsSession = session;
    return session;
  }

  connect() {
    if (stopping) return;
    // Cross-origin, as a browser's EventSource there: the page's origin goes along.
    const headers = {
      accept: "text/event-stream",
      "cache-control": "no-cache",
      origin: origin.origin,
    };
    if (this.lastId) headers["last-event-id"] = this.lastId;
    const path = this.eventsPath;
    let buffer = "";
    let event = "";
    let data = [];
    const onData = (chunk) => {
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length) this.dispatch(event || "message", data.join("\n"));
          event = "";
          data = [];
        } else if (line.startsWith(":")) {
          continue;
        } else {
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else if (field === "id") this.lastId = value;
        }
      }
    };
    const onResponse = (status) => {
      if (status !== 200) {
        this.failed(`events answered ${status}`);
        return false;
      }
      this.opened();
      return true;
    };
    if (useH2) {
      const session = this.ensureEventsSession();
      const stream = session.request({ ":path": path, ...headers });
      stream.setEncoding("utf8");
      stream.on("response", (h) => onResponse(h[":status"]));
      stream.on("data", onData);
      stream.on("error", (error) => this.failed(error.message, session));
      stream.on("close", () => this.failed("event stream closed", session));
      stream.end();
    } else {
      const req = https.request(
        { host: eventsOrigin.hostname, port: eventsOrigin.port, path, ca, headers, agent: false },
        (response) => {
          if (!onResponse(response.statusCode)) {
            response.resume();
            return;
          }
          response.setEncoding("utf8");
          response.on("data", onData);
          response.on("end", () => this.failed("event stream ended"));
          response.on("error", (error) => this.failed(error.message));
        },
      );
      req.on("error", (error) => this.failed(error.message));
      req.end();
      this.h1request = req;
    }
  }

  opened() {
    this.up = true;
    this.opens += 1;
    if (this.opens === 1) {
      this.connectedAt = Date.now();
      counts.connected += 1;
    } else {
      counts.reconnects += 1;
    }
    if (this.fetcher) {
      // live.js on "open": push is on, and the page asks once for anything it missed.
      this.pushing = true;
      this.poll();
    }
  }

  // The EventSource (or its connection) failed: as a browser, reconnect a little later, and
  // poll at the usual pace meanwhile (live.js's "error").
  failed(why, session) {
    if (stopping || this.retryTimer) return; // over, or already waiting to reconnect
    if (session && session !== this.eventsSession) return; // an earlier connection's last words
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, RECONNECT_MS);
    lastError = why;
    this.errors += 1;
    if (this.opens === 0 && this.errors === 1) counts.failed += 1;
    this.up = false;
    // live.js: the safety net's poll brought forward once, when push stops; a pace already
    // kept is left alone, or every failed retry would put the next poll off again.
    const wasPushing = this.pushing;
    this.pushing = false;
    const { eventsSession: current, h1request } = this;
    this.eventsSession = null;
    this.h1request = null;
    if (current) current.destroy();
    if (h1request) h1request.destroy();
    if (this.fetcher && wasPushing && !this.inFlight) this.schedule();
  }

  dispatch(event, text) {
    if (event !== "change") return;
    const received = Date.now();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.v !== "number") return;
    counts.events += 1;
    this.events.push([message.v, received]);
    if (!this.fetcher) return;
    if (message.v > this.pushed) this.pushed = message.v;
    if (this.pushed <= this.heldVersion()) return;
    if (this.inFlight) return this.poll();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), Math.random() * SPREAD_MS);
  }

  // Fetchers: live.js, step by step ------------------------------------------------------------

  async loadPage() {
    for (let attempt = 0; attempt < 10 && !stopping; attempt++) {
      try {
        const page = await this.request(this.pagePath, "text/html");
        const match = page.status === 200 && UPDATES_URL.exec(page.body);
        const events = page.status === 200 && EVENTS_URL.exec(page.body);
        if (match && events) {
          // Where the page listens (the push engine's origin, as the events of the others).
          const listen = new URL(unescapeHtml(events[1]), origin);
          if (listen.origin !== eventsOrigin.origin) {
            lastError = `page listens at ${listen.origin}, not ${eventsOrigin.origin}`;
            return false;
          }
          this.eventsPath = listen.pathname;
          this.url = unescapeHtml(match[1]);
          this.firstCursor = new URL(this.url, origin).searchParams.get("after");
          return true;
        }
        lastError = `page answered ${page.status}${match ? " with no data-events-url" : ""}`;
      } catch (error) {
        lastError = `page: ${error.message}`;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return false;
  }

  heldVersion() {
    const match = /[?&]v=(\d+)/.exec(this.url);
    return match ? Number(match[1]) : 0;
  }

  delay() {
    if (this.pushing && !this.failures) return SAFETY_NET_MS;
    return this.failures
      ? Math.min(this.interval * 2 ** this.failures, MAX_BACKOFF_MS)
      : this.interval;
  }

  schedule() {
    clearTimeout(this.timer);
    if (!stopping) this.timer = setTimeout(() => this.poll(), this.delay());
  }

  async poll() {
    if (!this.url) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    clearTimeout(this.timer);
    let target = this.url;
    const withAt = this.pushed > this.heldVersion();
    if (withAt) target += (target.includes("?") ? "&" : "?") + "at=" + this.pushed;
    counts.fetches += 1;
    try {
      const answer = await this.request(target, "application/json");
      this.requests.push([answer.started, answer.took, answer.status, withAt ? 1 : 0]);
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
      this.failures = 0;
      this.apply(JSON.parse(answer.body), Date.now());
    } catch (error) {
      counts.fetchErrors += 1;
      lastError = `updates: ${error.message}`;
      this.failures += 1;
    }
    this.inFlight = false;
    if (this.again) {
      this.again = false;
      return this.poll();
    }
    this.schedule();
  }

  apply(data, now) {
    if (typeof data.interval === "number" && data.interval > 0) this.interval = data.interval;
    if (data.count && data.html) {
      // Newest first, like the page; a reader meets them oldest first.
      for (const id of entryIds(data.html).reverse()) {
        this.delivered.push(id);
        if (!(id in this.seen)) this.seen[id] = now;
      }
    }
    if (data.next) this.url = data.next;
  }

  // After the editors stopped: wait out the edge cache's lifetime, then ask until nothing new.
  async catchUp() {
    if (!this.url) return;
    this.pushing = false;
    clearTimeout(this.timer);
    while (this.inFlight) await new Promise((resolve) => setTimeout(resolve, 50));
    let quietSince = Date.now();
    const until = Date.now() + 20000;
    while (Date.now() < until && Date.now() - quietSince < 6000) {
      const before = this.delivered.length;
      await this.poll();
      clearTimeout(this.timer);
      if (this.delivered.length !== before || this.failures) quietSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  result() {
    const out = {
      slug: this.slug,
      connected_at: this.connectedAt,
      opens: this.opens,
      errors: this.errors,
      events: this.events,
    };
    if (this.fetcher) {
      Object.assign(out, {
        page_path: this.pagePath,
        first_cursor: this.firstCursor,
        delivered: this.delivered,
        seen: this.seen,
        requests: this.requests,
      });
    }
    return out;
  }
}

const readers = config.readers.map(([slug, fetcher], number) => new Reader(number, slug, !!fetcher));

function status(extra = {}) {
  const memory = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({ ...counts, total: readers.length, rss: memory.rss, lastError, ...extra }) +
      "\n",
  );
}
// The first line: the process's memory before any connection.
status();
const statusTimer = setInterval(status, 1000);

// Arrive at a steady pace: fetchers load their page first, then every reader opens its
// EventSource (live.js polls once at load, then listens).
async function start() {
  const pace = Math.max(1, config.connect_per_s || 500);
  const batch = Math.max(1, Math.round(pace / 20));
  for (let i = 0; i < readers.length && !stopping; i += batch) {
    for (const reader of readers.slice(i, i + batch)) {
      if (reader.fetcher) {
        reader.loadPage().then((ok) => {
          if (!ok) {
            counts.failed += 1;
            return;
          }
          reader.poll();
          reader.connect();
        });
      } else {
        reader.connect();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop() {
  if (stopping) return;
  await Promise.all([
    new Promise((resolve) => setTimeout(resolve, LINGER_MS)),
    ...readers.filter((reader) => reader.fetcher).map((reader) => reader.catchUp()),
  ]);
  stopping = true;
  clearInterval(statusTimer);
  for (const reader of readers) {
    clearTimeout(reader.timer);
    clearTimeout(reader.retryTimer);
    if (reader.session) reader.session.destroy();
    if (reader.eventsSession) reader.eventsSession.destroy();
    if (reader.h1request) reader.h1request.destroy();
  }
  fs.writeFileSync(config.output, JSON.stringify(readers.map((reader) => reader.result())));
  status({ done: true });
  process.exit(0);
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "stop") stop();
});
process.on("SIGTERM", () => process.exit(1));
start();
