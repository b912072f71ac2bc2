// Reading with the keyboard and sharing: j and k move from entry to entry, ? shows the keys;
// each entry's Share button uses the device's share sheet where there is one, and copies the
// link otherwise; the key events list jumps to an entry on the page and, on a phone, shows
// its first few until asked for all. Pages read the same without this file.
(function () {
  "use strict";
  var COLLAPSED_KEY_EVENTS = 3;

  // Entries --------------------------------------------------------------------------------

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll("main article.entry"));
  }

  function current(list) {
    var active = document.activeElement && document.activeElement.closest && document.activeElement.closest("article.entry");
    if (active && list.indexOf(active) !== -1) return list.indexOf(active);
    // Otherwise the first entry whose top is at or below the top of the window.
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().top >= -1) return i - 0.5;
    }
    return list.length - 0.5;
  }

  function visit(article) {
    if (!article) return;
    if (!article.hasAttribute("tabindex")) article.setAttribute("tabindex", "-1");
    article.focus({ preventScroll: true });
    article.scrollIntoView({ block: "start", behavior: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
  }

  function move(step) {
    var list = entries();
    if (!list.length) return;
    var at = current(list);
    var next = step > 0 ? Math.floor(at + 1) : Math.ceil(at - 1);
    visit(list[Math.max(0, Math.min(list.length - 1, next))]);
  }

  // The keys ---------------------------------------------------------------------------------

  var help = null;

  function showKeys() {
    if (!help) {
      help = document.createElement("dialog");
      help.className = "keys-dialog";
      help.setAttribute("aria-labelledby", "keys-dialog-title");
      help.innerHTML =
        '<h2 id="keys-dialog-title">Keys for reading</h2>' +
        "<dl><dt><kbd>j</kbd></dt><dd>Next entry</dd><dt><kbd>k</kbd></dt><dd>Previous entry</dd>" +
        "<dt><kbd>?</kbd></dt><dd>Show these keys</dd><dt><kbd>Esc</kbd></dt><dd>Close</dd></dl>" +
        '<form method="dialog"><button class="button" type="submit">Close</button></form>';
      document.body.appendChild(help);
    }
    if (typeof help.showModal === "function") help.showModal();
  }

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable=true], [contenteditable='']");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (help && help.open) return;
    if (event.key === "j") {
      event.preventDefault();
      move(1);
    } else if (event.key === "k") {
      event.preventDefault();
      move(-1);
    } else if (event.key === "?") {
      event.preventDefault();
      showKeys();
    }
  });

  // Sharing ----------------------------------------------------------------------------------

  function say(button, text) {
    var status = button.parentNode.querySelector("[data-share-status]");
    if (!status) {
      status = document.createElement("span");
      status.className = "entry__share-status";
      status.setAttribute("role", "status");
      status.setAttribute("data-share-status", "");
      button.after(status);
    }
    status.textContent = text;
  }

  function copyByHand(url) {
    var field = document.createElement("textarea");
    field.value = url;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    field.remove();
    return copied;
  }

  function share(button) {
    var url = new URL(button.dataset.share, location.href).href;
    var title = button.dataset.shareTitle || document.title;
    if (navigator.share) {
      navigator.share({ title: title, url: url }).catch(function () {});
      return;
    }
    var done = function () {
      say(button, "Link copied.");
    };
    var fallback = function () {
      if (copyByHand(url)) done();
      else say(button, "Copy this link: " + url);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, fallback);
    else fallback();
  }

  function showShareButtons(scope) {
    (scope || document).querySelectorAll("[data-share]").forEach(function (button) {
      button.hidden = false;
      button.textContent = navigator.share ? "Share" : "Copy link";
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = " to this entry";
      if (!navigator.share) button.appendChild(label);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-share]");
    if (button) {
      event.preventDefault();
      share(button);
      return;
    }
    var jump = event.target.closest && event.target.closest("[data-jump]");
    if (jump) {
      var target = document.getElementById(jump.dataset.jump);
      if (!target) return;
      event.preventDefault();
      history.replaceState(null, "", "#" + jump.dataset.jump);
      visit(target);
    }
  });

  // Key events: on a phone, the first few, then a button for the rest -----------------------

  function collapseKeyEvents() {
    var list = document.getElementById("pinned-entries");
    if (!list) return;
    var section = list.closest("section");
    var toggle = section.querySelector("[data-key-events-toggle]");
    var count = list.querySelectorAll("[data-entry-id]").length;
    if (count <= COLLAPSED_KEY_EVENTS) {
      list.classList.remove("key-events__list--collapsed");
      if (toggle) toggle.hidden = true;
      return;
    }
    if (!toggle) {
      toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "key-events__toggle";
      toggle.setAttribute("data-key-events-toggle", "");
      toggle.setAttribute("aria-controls", "pinned-entries");
      toggle.addEventListener("click", function () {
        var collapsed = list.classList.toggle("key-events__list--collapsed");
        label(collapsed);
      });
      list.after(toggle);
      list.classList.add("key-events__list--collapsed");
    }
    toggle.hidden = false;
    label(list.classList.contains("key-events__list--collapsed"));

    function label(collapsed) {
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      toggle.textContent = collapsed ? "Show all " + count + " key events" : "Show fewer key events";
    }
  }

  showShareButtons();
  collapseKeyEvents();
  if (window.MutationObserver) {
    new MutationObserver(function (changes) {
      var keyEvents = false;
      changes.forEach(function (change) {
        if (change.target.id === "pinned-entries") keyEvents = true;
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) showShareButtons(node.matches("[data-share]") ? node.parentNode : node);
        });
      });
      if (keyEvents) collapseKeyEvents();
    }).observe(document.body, { childList: true, subtree: true });
  }
})();
