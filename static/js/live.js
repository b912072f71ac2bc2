// Live updates of a stream page. The page works without this file; here it polls the URL
// in #entries' data-updates-url and applies what the server sends: new entries (at once or
// behind a button, per data-live-updates), edits in place, removals, key events pinned and
// unpinned. The server's answer carries the next URL and the interval, so it can slow every
// reader down at once. When the page also has data-events-url (push is on), it listens there
// (Server-Sent Events): each event names the stream's new version, and the page asks for what
// it has not seen at once, polling only as a safety net; if the connection drops, it polls
// as before until the browser reconnects.
(function () {
  "use strict";
  var list = document.getElementById("entries");
  if (!list || !list.dataset.updatesUrl || !window.fetch) return;

  var MAX_BACKOFF = 60000;
  // While push is connected, a poll now and then only guards against a lost event.
  var SAFETY_NET = 60000;
  // Every open page hears an event at the same moment. Asking at once, all but the first would
  // wait on the edge's cache lock, which nginx checks again only every 500 ms; spread over a
  // moment, most find the answer the first one brought already kept.
  var SPREAD = 300;
  var WATCHED = 50;
  var url = list.dataset.updatesUrl;
  var interval = 5000;
  var failures = 0;
  var timer = null;
  var oldestFirst = list.dataset.order === "oldest";
  var useButton = list.dataset.liveUpdates === "button";
  var baseTitle = document.title;
  var unseen = 0;
  var held = document.createElement("template");

  var region = document.createElement("div");
  region.className = "visually-hidden";
  region.setAttribute("aria-live", "polite");
  region.setAttribute("data-live-region", "");
  list.parentNode.insertBefore(region, list);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "button live-updates__button";
  button.hidden = true;
  list.parentNode.insertBefore(button, list);

  function plural(n) {
    return n === 1 ? "1 new entry" : n + " new entries";
  }

  function articles() {
    return Array.prototype.slice.call(list.querySelectorAll("article[data-entry-id]"));
  }

  function showCount() {
    document.title = unseen ? "(" + unseen + ") " + baseTitle : baseTitle;
  }

  // An entry's place in the stream: its publish time, then its id, as the server orders them.
  function stamp(node) {
    var time = node.querySelector("time[datetime]");
    return [time ? Date.parse(time.getAttribute("datetime")) : 0, Number(node.dataset.entryId)];
  }

  function isNewer(a, b) {
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  }

  // Between the oldest and the newest entry shown: an entry there that the page lacks was
  // published before one already shown but reached the database after it.
  function missedHere(node) {
    var shown = articles();
    if (shown.length < 2) return false;
    var ends = [stamp(shown[0]), stamp(shown[shown.length - 1])];
    var oldest = oldestFirst ? ends[0] : ends[1];
    var newest = oldestFirst ? ends[1] : ends[0];
    var mine = stamp(node);
    return isNewer(mine, oldest) && isNewer(newest, mine);
  }

  function place(node) {
    var mine = stamp(node);
    var shown = articles();
    for (var i = 0; i < shown.length; i++) {
      var theirs = stamp(shown[i]);
      if (oldestFirst ? isNewer(theirs, mine) : isNewer(mine, theirs)) {
        list.insertBefore(node, shown[i]);
        return;
      }
    }
    list.appendChild(node);
  }

  function insert(fragment) {
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    // Each in its place by publish time: new ones on the newest end, a late one where it belongs.
    Array.prototype.slice.call(fragment.querySelectorAll("article[data-entry-id]")).forEach(place);
  }

  function release() {
    insert(held.content);
    held = document.createElement("template");
    button.hidden = true;
    if (document.visibilityState === "visible") {
      unseen = 0;
      showCount();
    }
  }

  button.addEventListener("click", release);

  function addEntries(html, count) {
    var incoming = document.createElement("template");
    incoming.innerHTML = html;
    // A poll may repeat an entry already shown or held; keep one copy.
    incoming.content.querySelectorAll("article[data-entry-id]").forEach(function (node) {
      var id = node.dataset.entryId;
      var shown = list.querySelector('article[data-entry-id="' + id + '"]');
      var waiting = held.content.querySelector('article[data-entry-id="' + id + '"]');
      if (shown || waiting) node.remove();
    });
    var fresh = incoming.content.querySelectorAll("article[data-entry-id]").length;
    if (!fresh) return;
    if (useButton) {
      held.content.insertBefore(incoming.content, held.content.firstChild);
      var total = held.content.querySelectorAll("article[data-entry-id]").length;
      button.textContent = "Show " + plural(total);
      button.hidden = false;
    } else {
      insert(incoming.content);
    }
    if (document.visibilityState !== "visible" || useButton) {
      unseen += fresh;
      showCount();
    }
    region.textContent = plural(fresh) + (useButton ? ": use the button above the entries to show them." : ".");
  }

  function replaceChanged(changedHtml) {
    var missed = [];
    Object.keys(changedHtml || {}).forEach(function (id) {
      var incoming = document.createElement("template");
      incoming.innerHTML = changedHtml[id];
      var article = incoming.content.querySelector("article");
      if (!article) return;
      var selector = 'article[data-entry-id="' + id + '"]';
      var current = list.querySelector(selector) || held.content.querySelector(selector);
      if (current) current.replaceWith(article);
      else if (missedHere(article)) missed.push(changedHtml[id]);
    });
    if (missed.length) addEntries(missed.join(""), missed.length);
  }

  function removeGone(removed, visible) {
    (removed || []).forEach(function (id) {
      var current = list.querySelector('article[data-entry-id="' + id + '"]');
      if (current) current.remove();
    });
    if (!visible) return;
    // Within the newest entries the server lists, one it no longer lists was deleted.
    var shown = articles();
    if (oldestFirst) shown.reverse();
    shown = shown.slice(0, WATCHED);
    var lastListed = -1;
    shown.forEach(function (node, index) {
      if (visible[node.dataset.entryId]) lastListed = index;
    });
    shown.forEach(function (node, index) {
      if (index < lastListed && !visible[node.dataset.entryId]) node.remove();
    });
    if (lastListed === -1 && Object.keys(visible).length === 0) {
      shown.forEach(function (node) { node.remove(); });
    }
  }

  // Key events: the server lists the pinned ids, newest first, and sends the list item of
  // each pinned or edited since the reader's version; the section follows that list.
  var pinnedBox = document.getElementById("pinned-entries");
  var pinnedSection = pinnedBox && pinnedBox.closest("section");

  function applyPins(ids, pinnedHtml) {
    if (!pinnedBox || !Array.isArray(ids)) return;
    var nodes = {};
    pinnedBox.querySelectorAll("[data-entry-id]").forEach(function (node) {
      nodes[node.dataset.entryId] = node;
    });
    var incoming = document.createElement("template");
    incoming.innerHTML = Object.keys(pinnedHtml || {}).map(function (id) { return pinnedHtml[id]; }).join("");
    incoming.content.querySelectorAll("[data-entry-id]").forEach(function (node) {
      var id = node.dataset.entryId;
      if (nodes[id]) nodes[id].replaceWith(node);
      nodes[id] = node;
    });
    var wanted = ids.map(String).filter(function (id) { return nodes[id]; });
    Object.keys(nodes).forEach(function (id) {
      if (wanted.indexOf(id) === -1) nodes[id].remove();
    });
    var current = Array.prototype.map.call(
      pinnedBox.querySelectorAll("[data-entry-id]"), function (node) { return node.dataset.entryId; });
    // Moving a node loses the reader's focus in it: only reorder when the order changed.
    if (current.join() !== wanted.join()) {
      wanted.forEach(function (id) { pinnedBox.appendChild(nodes[id]); });
    }
    pinnedSection.hidden = wanted.length === 0;
  }

  function apply(data) {
    if (typeof data.interval === "number" && data.interval > 0) interval = data.interval;
    removeGone(data.removed, data.visible);
    replaceChanged(data.changed_html);
    applyPins(data.pinned, data.pinned_html);
    if (data.count && data.html) addEntries(data.html, data.count);
    if (data.next) url = data.next;
  }

  var pushed = 0;
  var pushing = false;
  // Polls still due at the usual pace after (re)connecting: the first answer may come from an
  // edge cache that kept it while the page was away, the next is fresh.
  var catchingUp = 0;
  var inFlight = false;
  var again = false;

  // The version the page holds, as its next updates URL says.
  function heldVersion() {
    var match = /[?&]v=(\d+)/.exec(url);
    return match ? Number(match[1]) : 0;
  }

  function delay() {
    if (pushing && !failures && !catchingUp) return SAFETY_NET;
    var wait = failures ? Math.min(interval * Math.pow(2, failures), MAX_BACKOFF) : interval;
    // A tab nobody looks at need not be up to the second.
    return document.hidden ? wait * 4 : wait;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, delay());
  }

  function poll() {
    // One at a time: an event heard while a poll is out asks again once it is back.
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    clearTimeout(timer);
    var target = url;
    // A version heard by push gets a URL of its own: the edge cache asks Django once for it,
    // and every reader waiting for the same news shares that answer.
    if (pushed > heldVersion()) target += (target.indexOf("?") === -1 ? "?" : "&") + "at=" + pushed;
    fetch(target, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (catchingUp) catchingUp -= 1;
        apply(data);
      })
      .catch(function () {
        failures += 1;
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          poll();
        } else {
          schedule();
        }
      });
  }

  // How the page hears of news, for the curious and for the tests: "push" while the engine's
  // connection is open, "polling" otherwise.
  function hearingBy(how) {
    list.dataset.liveHearing = how;
  }

  var RELISTEN = 30000;

  function listen(eventsUrl) {
    // The push engine has an origin of its own (the site's host, another port): the reader's
    // cookies go along, so a members-only stream knows who is listening.
    var source = new EventSource(eventsUrl, { withCredentials: true });
    function heard(event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (typeof data.v !== "number") return;
      if (data.v > pushed) pushed = data.v;
      if (pushed <= heldVersion()) return;
      // A poll already out asks again once it is back (poll); else, at a moment of its own.
      if (inFlight) return poll();
      clearTimeout(timer);
      timer = setTimeout(poll, Math.random() * SPREAD);
    }
    // On every (re)connection the page asks for anything missed while it was away, however
    // old its last event was (the engine itself replays only the newest announcement, and
    // only to a page whose Last-Event-ID it has passed).
    source.addEventListener("open", function () {
      pushing = true;
      hearingBy("push");
      catchingUp = 2;
      poll();
    });
    source.addEventListener("change", heard);
    source.addEventListener("error", function () {
      // Polling at the usual pace until the browser reconnects on its own: the safety net's
      // poll, a minute away, is brought forward. Only then: while the engine is away the
      // browser retries every few seconds, each retry fails here again, and re-arming the
      // timer each time would put the next poll off for as long as the engine stays away.
      var wasPushing = pushing;
      pushing = false;
      hearingBy("polling");
      if (wasPushing && !inFlight) schedule();
      // Refused outright (an error status, not a dropped connection), the browser gives up
      // for good: try again later, when the engine may be back.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { listen(eventsUrl); }, RELISTEN);
      }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !useButton) {
      unseen = 0;
      showCount();
    }
  });

  // At once: the answer brings the interval the server wants, and anything published
  // while the page loaded.
  hearingBy("polling");
  poll();
  if (list.dataset.eventsUrl && window.EventSource) listen(list.dataset.eventsUrl);
})();
