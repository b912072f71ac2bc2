// Who else has this entry open: the change form (and the desk) say every few seconds that
// they are still open, and show the others' names. Without this file the form still works,
// and a save based on an old copy is refused by the server all the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-presence-url]");
  if (!box || !window.fetch || !window.FormData) return;
  var url = box.dataset.presenceUrl;
  var form = box.closest("form") || document;
  var tokenField = form.querySelector("[name=csrfmiddlewaretoken]");
  var revisionField = form.querySelector("[name=based_on_revision]");
  if (!tokenField) return;
  var every = 15000;
  var timer = null;

  function payload(leaving) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", tokenField.value);
    if (leaving) body.append("leaving", "1");
    return body;
  }

  function names(others) {
    return others.map(function (other) { return other.name; });
  }

  function listed(items) {
    if (items.length < 2) return items.join("");
    return items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  }

  function show(data) {
    if (!data) return;
    if (data.beat) every = data.beat * 1000;
    var parts = [];
    if (data.others && data.others.length) {
      parts.push("Also open now by " + listed(names(data.others)) + ".");
    }
    var opened = revisionField ? Number(revisionField.value) : 0;
    if (opened && data.revision > opened) {
      parts.push("Someone saved this entry after you opened it: when you save, you will see both versions and choose.");
    }
    box.textContent = parts.join(" ");
    box.hidden = parts.length === 0;
  }

  function beat() {
    fetch(url, { method: "POST", body: payload(false), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () {})
      .then(function () {
        clearTimeout(timer);
        timer = setTimeout(beat, every);
      });
  }

  window.addEventListener("pagehide", function () {
    if (navigator.sendBeacon) navigator.sendBeacon(url, payload(true));
  });
  beat();
})();
