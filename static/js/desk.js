// The desk (templates/admin/streams/desk.html): the page is a plain form that works without
// this file. Here it becomes keyboard-first: rich text boxes, blocks added by toolbar,
// shortcut or slash command, sources picked or created as you type, pictures by paste or
// drop, bylines as chips, saving without leaving the page (errors beside their fields, a
// colleague's newer save shown beside yours), what you write kept in this browser until it
// is saved, and the lists below kept live.
(function () {
  "use strict";
  const desk = document.querySelector("[data-desk]");
  if (!desk || !window.fetch || !window.FormData) return;

  const streamId = desk.dataset.streamId;
  const feedUrl = desk.dataset.feedUrl;
  const sourcesUrl = desk.dataset.sourcesUrl;
  const composerUrl = desk.dataset.composerUrl;
  const isMac = /Mac|iPhone|iPad/.test(navigator.platform || "");
  const POLL_MS = 5000;
  const PRESENCE_MS = 15000;
  const AUTOSAVE_MS = 400;
  let version = desk.dataset.version;
  let form = null;
  let autosaveTimer = null;
  let presenceTimer = null;

  // Small helpers -------------------------------------------------------------------------

  function token() {
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function say(text, kind) {
    const line = form && form.querySelector("[data-status-line]");
    if (!line) return;
    line.textContent = text;
    line.className = "desk-status" + (kind ? " desk-status--" + kind : "");
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function textToHtml(text) {
    return text
      .split(/\n{2,}/)
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => "<p>" + escapeHtml(part).replace(/\n/g, "<br>") + "</p>")
      .join("");
  }

  function looksLikeHtml(value) {
    return /^\s*<[a-z]/i.test(value);
  }

  // Pasted HTML keeps its meaning, never its styles or scripts: the server cleans it again
  // through our one sanitiser; this keeps the page free of inline styles the CSP refuses.
  const ALLOWED = { P: [], BR: [], STRONG: [], B: [], EM: [], I: [], U: [], S: [], A: ["href"],
    UL: [], OL: [], LI: [], H2: [], H3: [], H4: [], BLOCKQUOTE: [], Q: [], CODE: [], SUB: [], SUP: [] };

  function cleanPasted(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    function walk(node, into) {
      node.childNodes.forEach((child) => {
        if (child.nodeType === Node.TEXT_NODE) {
          into.appendChild(document.createTextNode(child.textContent));
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          const name = child.tagName;
          if (name === "SCRIPT" || name === "STYLE" || name === "TEMPLATE") return;
          if (ALLOWED[name]) {
            const copy = document.createElement(name.toLowerCase());
            ALLOWED[name].forEach((attr) => {
              const value = child.getAttribute(attr);
              if (value && /^(https?:|mailto:)/i.test(value.trim())) copy.setAttribute(attr, value.trim());
            });
            walk(child, copy);
            into.appendChild(copy);
          } else {
            walk(child, into);
            if (name === "DIV" || name === "TR") into.appendChild(document.createElement("br"));
          }
        }
      });
    }
    const out = document.createElement("div");
    walk(doc.body, out);
    return out.innerHTML;
  }

  // Rich text boxes ----------------------------------------------------------------------

  function richify(textarea) {
    const editable = document.createElement("div");
    editable.className = textarea.className;
    editable.contentEditable = "true";
    editable.setAttribute("role", "textbox");
    editable.setAttribute("aria-multiline", "true");
    editable.dataset.richFor = textarea.name;
    if (textarea.placeholder) editable.dataset.placeholder = textarea.placeholder;
    const label = textarea.id && form.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || textarea.id + "-label";
      editable.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", () => editable.focus());
    }
    if (textarea.getAttribute("aria-describedby")) {
      editable.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    const value = textarea.value;
    editable.innerHTML = looksLikeHtml(value) ? cleanPasted(value) : textToHtml(value);
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = textarea.name;
    hidden.value = textarea.value;
    editable.id = textarea.id;
    textarea.replaceWith(editable, hidden);
    return editable;
  }

  function syncRich() {
    form.querySelectorAll("[data-rich-for]").forEach((editable) => {
      const hidden = editable.nextElementSibling;
      if (!hidden || hidden.tagName !== "INPUT") return;
      const empty = editable.textContent.trim() === "" && !editable.querySelector("img");
      hidden.value = empty ? "" : editable.innerHTML;
      hidden.name = editable.dataset.richFor;
    });
  }

  function onPaste(event) {
    const editable = event.target.closest("[contenteditable=true]");
    if (!editable) return;
    const data = event.clipboardData;
    if (!data) return;
    const files = Array.prototype.filter.call(data.files || [], (file) => file.type.startsWith("image/"));
    if (files.length) {
      event.preventDefault();
      files.forEach((file) => addPicture(file, editable.closest("[data-block]")));
      return;
    }
    const html = data.getData("text/html");
    const text = data.getData("text/plain");
    if (!html && !text) return;
    event.preventDefault();
    // A bare link to a post or video on its own line: offer it as an embed.
    if (!html && /^https?:\/\/\S+$/.test(text.trim()) && isEmbeddable(text.trim()) && !editable.textContent.trim()) {
      const block = addBlock("embed", editable.closest("[data-block]"));
      block.querySelector("[data-embed-url]").value = text.trim();
      removeIfEmpty(editable.closest("[data-block]"));
      scheduleAutosave();
      return;
    }
    document.execCommand("insertHTML", false, html ? cleanPasted(html) : textToHtml(text) || escapeHtml(text));
  }

  function isEmbeddable(url) {
    return /^https:\/\/(www\.)?(youtube\.com|youtu\.be|vimeo\.com|x\.com|twitter\.com|bsky\.app|t\.me)\//i.test(url)
      || /^https:\/\/[^/]+\/@[^/]+\/\d+/.test(url);
  }

  // A command typed alone on a line: /key, /quote, /picture, /embed.
  function slashCommand(editable) {
    const selection = window.getSelection();
    if (!selection.rangeCount) return false;
    let line = selection.anchorNode;
    while (line && line !== editable && !(line.nodeType === 1 && /^(P|DIV|LI)$/.test(line.tagName))) {
      line = line.parentNode;
    }
    const holder = line && line !== editable ? line : editable;
    const said = holder.textContent.trim().toLowerCase();
    const commands = { "/key": "key", "/quote": "quote", "/picture": "image", "/image": "image", "/embed": "embed", "/video": "embed" };
    if (!commands[said]) return false;
    if (holder === editable) editable.innerHTML = ""; else holder.remove();
    const command = commands[said];
    if (command === "key") {
      const toggle = form.querySelector("[name=pinned]");
      if (toggle) {
        toggle.checked = !toggle.checked;
        say(toggle.checked ? "Key event: on." : "Key event: off.");
      }
    } else {
      addBlock(command, editable.closest("[data-block]"));
    }
    scheduleAutosave();
    return true;
  }

  // Blocks ------------------------------------------------------------------------------

  function blocks() {
    return Array.prototype.slice.call(form.querySelectorAll("[data-blocks] > [data-block]"));
  }

  function renumber() {
    blocks().forEach((block, index) => {
      block.querySelectorAll("[name],[id],[for],[data-rich-for],[aria-labelledby]").forEach((node) => {
        ["name", "id", "for", "data-rich-for", "aria-labelledby"].forEach((attr) => {
          const value = node.getAttribute(attr);
          if (value) node.setAttribute(attr, value.replace(/blocks-(\d+|__prefix__)-/g, "blocks-" + index + "-"));
        });
      });
    });
    const total = form.querySelector("[name=blocks-TOTAL_FORMS]");
    if (total) total.value = String(blocks().length);
  }

  function enhanceBlock(block) {
    block.querySelectorAll("textarea[data-rich]").forEach(richify);
    const picker = block.querySelector("[data-source-picker]");
    if (picker) sourcePicker(picker);
    const upload = block.querySelector("[data-upload]");
    if (upload) upload.addEventListener("change", () => preview(block));
  }

  function addBlock(kind, after) {
    const template = form.querySelector('template[data-empty-block="' + kind + '"]');
    if (!template) return null;
    const block = template.content.firstElementChild.cloneNode(true);
    const holder = form.querySelector("[data-blocks]");
    if (after && after.parentNode === holder) after.after(block); else holder.appendChild(block);
    renumber();
    enhanceBlock(block);
    const first = block.querySelector("[data-source-name], [contenteditable=true], [data-upload], [data-embed-url]");
    if (first) first.focus();
    scheduleAutosave();
    return block;
  }

  function removeIfEmpty(block) {
    if (!block) return;
    const editable = block.querySelector("[contenteditable=true]");
    if (block.dataset.kind === "text" && editable && !editable.textContent.trim() && blocks().length > 1) {
      block.remove();
      renumber();
    }
  }

  function removeBlock(block) {
    const all = blocks();
    const index = all.indexOf(block);
    block.remove();
    if (!blocks().length) addBlock("text");
    renumber();
    const next = blocks()[Math.max(0, index - 1)];
    const focusable = next && next.querySelector("[contenteditable=true], input:not([type=hidden]), textarea");
    if (focusable) focusable.focus();
    scheduleAutosave();
  }

  function currentBlock() {
    const active = document.activeElement;
    return active && active.closest ? active.closest("[data-block]") : null;
  }

  // Pictures ------------------------------------------------------------------------------

  function preview(block) {
    const input = block.querySelector("[data-upload]");
    const img = block.querySelector("[data-preview]");
    const file = input && input.files && input.files[0];
    if (!img || !file) return;
    const reader = new FileReader();
    reader.onload = () => {
      img.src = reader.result;
      img.hidden = false;
    };
    reader.readAsDataURL(file);
    const alt = block.querySelector("[data-alt]");
    if (alt && !alt.value) alt.focus();
  }

  function addPicture(file, after) {
    const block = addBlock("image", after);
    if (!block) return;
    const input = block.querySelector("[data-upload]");
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    preview(block);
  }

  // Sources: pick one as you type, or create it in place ----------------------------------

  function sourcePicker(picker) {
    const input = picker.querySelector("[data-source-name]");
    const hidden = picker.querySelector("[data-source-id]");
    input.removeAttribute("list");
    const list = document.createElement("ul");
    list.className = "desk-suggestions";
    list.setAttribute("role", "listbox");
    list.id = input.id + "-suggestions";
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.after(list);
    const badge = document.createElement("span");
    badge.className = "desk-badge";
    badge.hidden = true;
    badge.textContent = "new source";
    list.after(badge);
    let options = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    function choose(option) {
      if (!option) return;
      if (option.id) {
        hidden.value = option.id;
        input.value = option.name;
        badge.hidden = true;
      } else {
        hidden.value = "";
        input.value = option.name;
        badge.hidden = false;
      }
      close();
      const block = picker.closest("[data-block]");
      const cited = block.querySelector("[data-cited-url]");
      if (option.url && cited && !cited.value) cited.value = option.url;
      const words = block.querySelector("[contenteditable=true]");
      if (words) words.focus();
      scheduleAutosave();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show() {
      list.innerHTML = "";
      options.forEach((option, index) => {
        const item = document.createElement("li");
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.className = "desk-suggestion" + (option.id ? "" : " desk-suggestion--create");
        item.textContent = option.id ? option.name + (option.domain ? " · " + option.domain : "") : "Create source “" + option.name + "”";
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(option);
        });
        list.appendChild(item);
      });
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      highlight(options.length ? 0 : -1);
    }

    function highlight(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
      if (index >= 0) input.setAttribute("aria-activedescendant", list.id + "-" + index);
    }

    function lookup() {
      const typed = input.value.trim();
      hidden.value = "";
      badge.hidden = true;
      if (!typed) {
        options = [];
        show();
        return;
      }
      const mine = ++asked;
      const isUrl = /^https?:\/\//i.test(typed);
      fetch(sourcesUrl + "?q=" + encodeURIComponent(typed), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : { sources: [] }))
        .then((data) => {
          if (mine !== asked) return;
          options = data.sources.map((source) => ({ id: source.id, name: source.name, domain: source.domain, url: isUrl ? typed : "" }));
          if (!data.exact && !isUrl) options.push({ id: null, name: typed });
          if (isUrl && !options.length) {
            const host = typed.replace(/^https?:\/\/(www\.)?/i, "").split(/[/?#]/)[0];
            options.push({ id: null, name: host, url: typed });
          }
          show();
        })
        .catch(() => {});
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(lookup, 120);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(options.length - 1, active + 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(0, active - 1));
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && active >= 0) {
        event.preventDefault();
        choose(options[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "Tab" && active >= 0 && input.value.trim()) {
        choose(options[active]);
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // Bylines --------------------------------------------------------------------------------

  function bylines() {
    const box = form.querySelector("[data-bylines]");
    if (!box) return;
    const add = box.querySelector("[data-byline-add]");
    const chips = box.querySelector("[data-chips]");
    const people = {};
    document.querySelectorAll("#desk-people option").forEach((option) => {
      people[option.value.toLowerCase()] = option.dataset.value;
    });
    box.addEventListener("click", (event) => {
      const remove = event.target.closest("[data-remove-chip]");
      if (!remove) return;
      const chip = remove.closest("li");
      const next = chip.nextElementSibling || chip.previousElementSibling;
      chip.remove();
      (next ? next.querySelector("button") : add).focus();
      scheduleAutosave();
    });
    function commit() {
      const name = add.value.trim();
      if (!name) return;
      const value = people[name.toLowerCase()] || "n:" + name;
      if (!chips.querySelector('input[value="' + CSS.escape(value) + '"]')) {
        const chip = document.createElement("li");
        chip.className = "desk-chip";
        chip.innerHTML = '<input type="hidden" name="bylines"><span></span> <button type="button" class="desk-chip__remove" data-remove-chip>×</button>';
        chip.querySelector("input").value = value;
        chip.querySelector("span").textContent = name;
        chip.querySelector("button").setAttribute("aria-label", "Remove " + name + " from the bylines");
        chips.appendChild(chip);
      }
      add.value = "";
      scheduleAutosave();
    }
    add.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        commit();
      } else if (event.key === "Backspace" && !add.value && chips.lastElementChild) {
        chips.lastElementChild.remove();
        scheduleAutosave();
      }
    });
    add.addEventListener("change", commit);
  }

  // Keeping what is written in this browser until it is saved ----------------------------

  function storageKey() {
    return "pressimus:desk:" + streamId + ":" + (form.dataset.entryId || "new");
  }

  function snapshot() {
    syncRich();
    const state = { savedAt: Date.now(), fields: [], blocks: [] };
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      if (field.type === "file" || field.name === "csrfmiddlewaretoken" || field.closest("template")) return;
      if (field.closest("[data-block]") || field.name.startsWith("blocks-")) return;
      if (field.type === "checkbox") state.fields.push([field.name, field.checked ? "on" : ""]);
      else state.fields.push([field.name, field.value]);
    });
    blocks().forEach((block) => {
      const values = {};
      block.querySelectorAll("[name]").forEach((field) => {
        if (field.type === "file") return;
        values[field.name.replace(/^blocks-\d+-/, "")] = field.value;
      });
      const picture = block.querySelector("[data-upload]");
      values.__picture = Boolean(picture && picture.files && picture.files.length);
      state.blocks.push({ kind: block.dataset.kind, values: values });
    });
    return state;
  }

  function hasWords(state) {
    return state.blocks.some((block) => Object.keys(block.values).some((name) => name !== "kind" && name !== "block" && !name.startsWith("__") && String(block.values[name]).replace(/<[^>]*>/g, "").trim()))
      || state.fields.some(([name, value]) => name === "title" && value.trim());
  }

  function autosave() {
    try {
      const state = snapshot();
      if (hasWords(state)) localStorage.setItem(storageKey(), JSON.stringify(state));
      else localStorage.removeItem(storageKey());
    } catch (error) {
      // Private windows and full storage: writing goes on, unsaved work is just not kept.
    }
  }

  function scheduleAutosave() {
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(autosave, AUTOSAVE_MS);
  }

  function forget() {
    try {
      localStorage.removeItem(storageKey());
    } catch (error) { /* nothing kept, nothing to forget */ }
  }

  function restore() {
    let state = null;
    try {
      state = JSON.parse(localStorage.getItem(storageKey()) || "null");
    } catch (error) {
      state = null;
    }
    if (!state || !hasWords(state)) return;
    blocks().forEach((block) => block.remove());
    let pictures = 0;
    state.blocks.forEach((saved) => {
      const block = addBlock(saved.kind);
      if (!block) return;
      Object.keys(saved.values).forEach((name) => {
        if (name.startsWith("__")) return;
        const field = block.querySelector('[name$="-' + name + '"]');
        if (!field) return;
        field.value = saved.values[name];
        const editable = block.querySelector('[data-rich-for$="-' + name + '"]');
        if (editable) editable.innerHTML = looksLikeHtml(field.value) ? cleanPasted(field.value) : textToHtml(field.value);
      });
      if (saved.values.__picture) pictures += 1;
    });
    if (!blocks().length) addBlock("text");
    const chips = form.querySelector("[data-chips]");
    if (chips && state.fields.some(([name]) => name === "bylines")) chips.innerHTML = "";
    state.fields.forEach(([name, value]) => {
      if (name === "bylines") {
        if (chips && value) {
          const chip = document.createElement("li");
          chip.className = "desk-chip";
          chip.innerHTML = '<input type="hidden" name="bylines"><span></span> <button type="button" class="desk-chip__remove" data-remove-chip>×</button>';
          chip.querySelector("input").value = value;
          const option = document.querySelector('#desk-people option[data-value="' + CSS.escape(value) + '"]');
          const label = option ? option.value : value.replace(/^[pn]:/, "");
          chip.querySelector("span").textContent = label;
          chip.querySelector("button").setAttribute("aria-label", "Remove " + label + " from the bylines");
          chips.appendChild(chip);
        }
        return;
      }
      const field = form.querySelector('input[name="' + name + '"]:not([data-block] *), select[name="' + name + '"], textarea[name="' + name + '"]:not([data-block] *)');
      if (!field || field.type === "hidden") return;
      if (field.type === "checkbox") field.checked = value === "on";
      else field.value = value;
    });
    renumber();
    const when = new Date(state.savedAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const notice = document.createElement("p");
    notice.className = "desk-restored";
    notice.setAttribute("role", "status");
    notice.innerHTML = "<span></span> <button type=\"button\" class=\"button button--secondary\">Discard it</button>";
    notice.querySelector("span").textContent = "Restored what you were writing, kept at " + when + "." + (pictures ? " Pictures must be chosen again." : "");
    notice.querySelector("button").addEventListener("click", () => {
      forget();
      loadComposer(form.dataset.entryId || "");
    });
    form.prepend(notice);
  }

  // Saving -----------------------------------------------------------------------------

  function clearErrors() {
    form.querySelectorAll(".desk-errors").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  function showErrors(errors) {
    let first = null;
    Object.keys(errors).forEach((name) => {
      const list = document.createElement("ul");
      list.className = "errorlist desk-errors";
      list.setAttribute("role", "alert");
      errors[name].forEach((message) => {
        const item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      let field = name === "__all__" ? null : form.querySelector('[data-rich-for="' + name + '"]') || form.querySelector('[name="' + name + '"]:not([type=hidden])') || form.querySelector('[name="' + name + '"]');
      if (field && field.type === "hidden" && field.previousElementSibling && field.previousElementSibling.matches("[contenteditable]")) field = field.previousElementSibling;
      if (field && field.type === "hidden") field = field.closest("[data-block]") || null;
      if (field) {
        field.before(list);
        field.setAttribute("aria-invalid", "true");
        if (!first) first = field;
      } else {
        form.querySelector("[data-actions]").before(list);
      }
    });
    const target = first && first.matches("input, textarea, [contenteditable], select") ? first : first && first.querySelector("input, textarea, [contenteditable]");
    if (target) target.focus();
    say("Not saved: see what to correct above.", "error");
  }

  function showConflict(conflict) {
    const box = document.createElement("div");
    box.className = "desk-conflict";
    box.setAttribute("role", "alert");
    box.innerHTML = "<p><strong></strong> Your version is below, as you left it. Theirs, as stored now:</p><div class=\"desk-conflict__theirs\"></div><p>Press the button again to replace theirs with yours, or <a href=\"#\" data-take-theirs>start again from theirs</a>.</p>";
    box.querySelector("strong").textContent = conflict.message;
    box.querySelector(".desk-conflict__theirs").innerHTML = conflict.theirs;
    box.querySelector("[data-take-theirs]").addEventListener("click", (event) => {
      event.preventDefault();
      forget();
      loadComposer(form.dataset.entryId);
    });
    form.prepend(box);
    const revision = form.querySelector("[name=based_on_revision]");
    if (revision) revision.value = String(conflict.revision);
    say("Not saved: " + conflict.changed_by + " changed this entry meanwhile.", "error");
    box.scrollIntoView({ block: "start" });
  }

  let sending = false;

  function send(action) {
    if (sending) return;
    syncRich();
    clearErrors();
    form.querySelectorAll(".desk-conflict, .desk-restored").forEach((node) => node.remove());
    const body = new FormData(form);
    body.set("action", action);
    sending = true;
    say("Saving…");
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token() },
    })
      .then((response) => response.json().then((data) => ({ status: response.status, data: data })))
      .then(({ status, data }) => {
        if (data.ok) {
          forget();
          loadComposer("").then(() => say(data.message, "success"));
          refresh(true);
        } else if (status === 409 && data.conflict) {
          showConflict(data.conflict);
        } else if (data.errors) {
          showErrors(data.errors);
        } else {
          say("Not saved: " + (data.message || "the server refused it."), "error");
        }
      })
      .catch(() => say("Not sent: the connection failed. What you wrote is kept here; try again.", "error"))
      .then(() => {
        sending = false;
      });
  }

  function primaryAction() {
    const primary = form.querySelector("[data-primary]");
    if (!primary) return null;
    const when = form.querySelector("[name=publish_at]");
    if (primary.value === "publish" && when && when.value && new Date(when.value) > new Date()) return "schedule";
    return primary.value;
  }

  // The composer, new or holding an entry to edit ------------------------------------

  function setUp(newForm) {
    form = newForm;
    form.querySelectorAll("[data-blocks] > [data-block]").forEach(enhanceBlock);
    renumber();
    bylines();
    restore();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const submitter = event.submitter;
      send(submitter && submitter.value ? submitter.value : primaryAction());
    });
    form.addEventListener("input", (event) => {
      const editable = event.target.closest && event.target.closest("[contenteditable=true]");
      if (editable && event.inputType && event.inputType.startsWith("insert")) slashCommand(editable);
      scheduleAutosave();
    });
    form.addEventListener("change", scheduleAutosave);
    form.addEventListener("paste", onPaste);
    form.addEventListener("click", (event) => {
      const add = event.target.closest("[data-add]");
      if (add) addBlock(add.dataset.add, currentBlock() || blocks()[blocks().length - 1]);
      const remove = event.target.closest("[data-remove-block]");
      if (remove) removeBlock(remove.closest("[data-block]"));
      const cancel = event.target.closest("[data-cancel-edit]");
      if (cancel) {
        event.preventDefault();
        forget();
        loadComposer("");
      }
    });
    form.addEventListener("dragover", (event) => {
      if (event.dataTransfer && Array.prototype.some.call(event.dataTransfer.items || [], (item) => item.kind === "file")) {
        event.preventDefault();
        form.classList.add("desk-composer--drop");
      }
    });
    form.addEventListener("dragleave", () => form.classList.remove("desk-composer--drop"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("desk-composer--drop");
      const files = Array.prototype.filter.call(event.dataTransfer.files || [], (file) => file.type.startsWith("image/"));
      if (!files.length) return;
      event.preventDefault();
      files.forEach((file) => addPicture(file, currentBlock() || blocks()[blocks().length - 1]));
    });
    startPresence();
  }

  function loadComposer(entryId) {
    const url = composerUrl + (entryId ? "?edit=" + encodeURIComponent(entryId) : "");
    return fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("#desk-composer-section");
        document.querySelector("#desk-composer-section").replaceWith(fresh);
        stopPresence();
        setUp(fresh.querySelector("#desk-composer"));
        const first = form.querySelector("[contenteditable=true]");
        if (first) first.focus();
      })
      .catch(() => say("The entry could not be opened: reload the page.", "error"));
  }

  // Who else has the entry open ------------------------------------------------------

  function startPresence() {
    const url = form.dataset.presenceUrl;
    const line = form.querySelector("[data-presence]");
    if (!url || !line) return;
    function beat() {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token());
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => {
          if (!data) return;
          const names = data.others.map((other) => other.name);
          line.textContent = names.length ? "Also open now by " + names.join(", ") + "." : "";
          line.hidden = names.length === 0;
        })
        .catch(() => {})
        .then(() => {
          presenceTimer = setTimeout(beat, PRESENCE_MS);
        });
    }
    beat();
  }

  function stopPresence() {
    clearTimeout(presenceTimer);
    const url = form && form.dataset.presenceUrl;
    if (url && navigator.sendBeacon) {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token());
      body.append("leaving", "1");
      navigator.sendBeacon(url, body);
    }
  }

  window.addEventListener("pagehide", stopPresence);

  // The lists below: live, and acted on in place ---------------------------------------

  let refreshTimer = null;

  function refresh(now) {
    clearTimeout(refreshTimer);
    const sections = document.querySelector("[data-sections]");
    fetch(feedUrl + "?v=" + (now ? "0" : encodeURIComponent(version)), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.status === 200 ? response.json() : null))
      .then((data) => {
        if (!data) return;
        // Never under the reader's cursor: a list being used waits for the next round.
        if (sections.contains(document.activeElement) && !now) return;
        version = String(data.version);
        sections.innerHTML = data.html;
      })
      .catch(() => {})
      .then(() => {
        refreshTimer = setTimeout(() => refresh(false), document.hidden ? POLL_MS * 4 : POLL_MS);
      });
  }

  document.addEventListener("submit", (event) => {
    const act = event.target.closest(".desk-act");
    if (!act) return;
    event.preventDefault();
    fetch(act.getAttribute("action"), {
      method: "POST",
      body: new FormData(act),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token() },
    })
      .then((response) => response.json())
      .then((data) => {
        say(data.message, data.ok ? "success" : "error");
        refresh(true);
      })
      .catch(() => say("Not done: the connection failed; try again.", "error"));
  });

  document.addEventListener("click", (event) => {
    const edit = event.target.closest("[data-edit]");
    if (!edit) return;
    event.preventDefault();
    const correcting = edit.hasAttribute("data-correct");
    loadComposer(edit.dataset.edit).then(() => {
      window.scrollTo({ top: document.querySelector("#desk-composer-section").offsetTop - 16 });
      const note = form.querySelector("[name=correction]");
      if (correcting && note) {
        note.required = true;
        note.focus();
      }
    });
  });

  // Keys ----------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (!form) return;
    const mod = isMac ? event.metaKey : event.ctrlKey;
    const inComposer = form.contains(document.activeElement) || document.activeElement === document.body;
    if (!mod || !inComposer) return;
    if (event.key === "Enter") {
      event.preventDefault();
      const action = primaryAction();
      if (action) send(action);
    } else if (event.key === "s" || event.key === "S") {
      const draft = form.querySelector("[data-draft]");
      if (!draft) return;
      event.preventDefault();
      send("draft");
    } else if (event.shiftKey && (event.key === "9" || event.key === "(" || event.code === "Digit9")) {
      event.preventDefault();
      addBlock("quote", currentBlock());
    } else if (event.key === "k" || event.key === "K") {
      const editable = event.target.closest && event.target.closest("[contenteditable=true]");
      if (!editable) return;
      event.preventDefault();
      const url = window.prompt("Link to (an address starting with https://):", "https://");
      if (url && /^(https?:|mailto:)/i.test(url.trim())) document.execCommand("createLink", false, url.trim());
    }
  });

  document.execCommand("defaultParagraphSeparator", false, "p");
  setUp(document.querySelector("#desk-composer"));
  // The desk is for writing: the words go straight into the composer, unless the page was
  // opened at something else (an error, a correction note, a section).
  if (!location.hash && (document.activeElement === document.body || !document.activeElement)) {
    const first = form.querySelector("[aria-invalid=true], [contenteditable=true]");
    if (first) first.focus();
  }
  refreshTimer = setTimeout(() => refresh(false), POLL_MS);
})();
