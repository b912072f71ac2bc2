// Times in the reader's own zone, and ages that stay true while a page is open.
// The server writes every time in the member's zone, or else in the newsroom's (named on the
// page); here each <time data-when> is rewritten in the member's zone (data-time-zone on
// <html>) or the device's, and the age after it ("21 minutes ago") is refreshed. Entries a
// page takes in later (live updates) are rewritten as they arrive.
(function () {
  "use strict";
  var MINUTE = 60000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;
  var MONTH = 30 * DAY;
  var YEAR = 365 * DAY;
  var root = document.documentElement;
  var ownZone = root.dataset.timeZone || "";

  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  // A zone the browser does not know (a made-up name, an old browser) leaves the server's
  // times as they are: they are right for the zone the page names.
  function formatsFor(zone) {
    if (!zone || !window.Intl) return null;
    try {
      return {
        clock: new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }),
        date: new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: zone }),
        full: new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "short" }),
      };
    } catch (error) {
      return null;
    }
  }

  var zone = ownZone || deviceZone();
  var formats = formatsFor(zone);

  function count(n, unit) {
    return n + " " + unit + (n === 1 ? "" : "s") + " ago";
  }

  // As pressimus/lib/timefmt.py words it.
  function ageInWords(ms) {
    if (ms < MINUTE) return "just now";
    var units = [[YEAR, "year"], [MONTH, "month"], [DAY, "day"], [HOUR, "hour"]];
    for (var i = 0; i < units.length; i++) {
      if (ms >= units[i][0]) return count(Math.floor(ms / units[i][0]), units[i][1]);
    }
    return count(Math.floor(ms / MINUTE), "minute");
  }

  function render(time) {
    var when = new Date(time.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    if (formats) {
      time.textContent = formats.clock.format(when);
      time.title = formats.full.format(when);
    }
    var age = time.nextElementSibling;
    if (!age || !age.hasAttribute("data-age")) return;
    var ms = Date.now() - when.getTime();
    if (ms < DAY) age.textContent = " · " + ageInWords(Math.max(0, ms));
    else if (formats) age.textContent = " · " + formats.date.format(when);
  }

  function renderAll(scope) {
    (scope || document).querySelectorAll("time[data-when]").forEach(render);
  }

  function nameTheZone() {
    if (!formats) return;
    document.querySelectorAll("[data-zone-name]").forEach(function (name) {
      name.textContent = zone.replace(/_/g, " ");
    });
    if (!ownZone) {
      document.querySelectorAll("[data-zone-hint]").forEach(function (hint) {
        hint.hidden = false;
      });
    }
  }

  renderAll();
  nameTheZone();
  setInterval(function () {
    renderAll();
  }, 30000);
  if (window.MutationObserver) {
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType !== 1) return;
          if (node.matches("time[data-when]")) render(node);
          else renderAll(node);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
})();
