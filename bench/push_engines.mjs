// The readers for bench/push_engines.py: many Server-Sent Events connections held open at once,
// each recording when every "change" event reaches it. The same client for every push engine.
//
// Plain HTTP/1.1 on loopback, one socket per connection, as a browser's EventSource opens it.
// No npm packages. Usage:
//
//   node bench/push_engines.mjs CONFIG.json
//
// CONFIG: {"port": 8080, "path": "/streams/bench-{channel}/events/", "channels": [0, 3, ...]
//          (one per connection), "connect_per_s": 1000, "output": "out.json"}
// stdout: one JSON line every 250 ms ({"connected": n, "events": n, ...}); stdin: "stop" writes
// the results to CONFIG.output and exits. A connection that fails before it is answered is tried
// again (the engines are measured holding connections, not accepting them); one that breaks
// later is counted as dropped and left closed, so the messages it misses show as missed.

import fs from "node:fs";
import http from "node:http";
import { performance } from "node:perf_hooks";
import readline from "node:readline";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const RETRY_MS = 1000;
const MAX_ATTEMPTS = 5;
// Often enough that the bench sees the last delivery soon after it lands: the CPU it reports
// is over the window up to then.
const STATUS_MS = 250;

const counts = { connected: 0, failed: 0, retries: 0, dropped: 0, events: 0 };
let lastError = "";
let stopping = false;

// Milliseconds since the epoch with sub-millisecond resolution: loopback latencies are a few
// milliseconds, and the publisher stamps its messages with the same wall clock.
function now() {
  return performance.timeOrigin + performance.now();
}

class Connection {
  constructor(channel) {
    this.channel = channel;
    this.path = config.path.replace("{channel}", String(channel));
    this.attempts = 0;
    this.up = false;
    this.dropped = false;
    this.events = []; // [seq, latency ms]
    this.request = null;
  }

  open() {
    if (stopping) return;
    this.attempts += 1;
    let answered = false;
    const request = http.request({
      host: "127.0.0.1",
      port: config.port,
      path: this.path,
      agent: false,
      headers: { accept: "text/event-stream", "cache-control": "no-cache" },
    });
    this.request = request;
    request.on("response", (response) => {
      answered = true;
      if (response.statusCode !== 200) {
        response.resume();
        this.failedToOpen(`answered ${response.statusCode}`);
        return;
      }
      this.up = true;
      counts.connected += 1;
      response.socket.setNoDelay(true);
      response.setEncoding("utf8");
      response.on("data", (chunk) => this.receive(chunk));
      response.on("end", () => this.drop("stream ended"));
      response.on("error", (error) => this.drop(error.message));
    });
    request.on("error", (error) => {
      if (answered) this.drop(error.message);
      else this.failedToOpen(error.message);
    });
    request.end();
  }

  failedToOpen(why) {
    if (stopping) return;
    lastError = why;
    if (this.attempts >= MAX_ATTEMPTS) {
      counts.failed += 1;
      return;
    }
    counts.retries += 1;
    setTimeout(() => this.open(), RETRY_MS);
  }

  drop(why) {
    if (stopping || this.dropped || !this.up) return;
    this.dropped = true;
    this.up = false;
    counts.connected -= 1;
    counts.dropped += 1;
    lastError = why;
  }

  // The EventSource parser, cut down to what the engines send: "event:" and "data:" lines,
  // comments (keep-alives) skipped, an empty line ending the event.
  receive(chunk) {
    const received = now();
    this.buffer = (this.buffer || "") + chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (this.event === "change" && this.data !== undefined) this.record(this.data, received);
        this.event = undefined;
        this.data = undefined;
      } else if (line.startsWith("event:")) {
        this.event = line.slice(6).trim();
      } else if (line.startsWith("data:")) {
        const value = line.slice(5).replace(/^ /, "");
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      }
    }
  }

  record(text, received) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      lastError = `not JSON: ${text.slice(0, 80)}`;
      return;
    }
    counts.events += 1;
    this.events.push([message.seq, received - message.sent]);
  }
}

const connections = config.channels.map((channel) => new Connection(channel));

function status(extra = {}) {
  const line = { ...counts, total: connections.length, lastError, ...extra };
  process.stdout.write(JSON.stringify(line) + "\n");
}
status();
const statusTimer = setInterval(status, STATUS_MS);

// At a steady pace, in small batches: the engines are compared holding connections, and a
// burst of thousands at once would only measure their listen backlogs.
async function start() {
  const pace = Math.max(1, config.connect_per_s || 1000);
  const batch = Math.max(1, Math.round(pace / 20));
  for (let i = 0; i < connections.length && !stopping; i += batch) {
    for (const connection of connections.slice(i, i + batch)) connection.open();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(statusTimer);
  const results = connections.map((c) => ({
    channel: c.channel,
    up: c.up,
    dropped: c.dropped,
    attempts: c.attempts,
    events: c.events,
  }));
  fs.writeFileSync(config.output, JSON.stringify(results));
  for (const connection of connections) if (connection.request) connection.request.destroy();
  status({ done: true });
  process.exit(0);
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "stop") stop();
});
process.on("SIGTERM", () => process.exit(1));
start();
