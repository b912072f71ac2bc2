"use strict";
// Each block shows only the fields of its kind. Hidden fields still post, so switching a
// block's kind back and forth loses nothing the editor typed.
(function () {
  const FIELDS_OF_KIND = {
    quote: [".block-quote-fields"],
    image: [".block-image-fields"],
    embed: [".block-embed-fields"],
  };
  const BODY_KINDS = new Set(["text", "quote"]);

  function show(element, visible) {
    element.style.display = visible ? "" : "none";
  }

  function sync(select) {
    const block = select.closest(".inline-related");
    if (!block) return;
    for (const [kind, selectors] of Object.entries(FIELDS_OF_KIND)) {
      for (const selector of selectors) {
        block.querySelectorAll(selector).forEach((el) => show(el, select.value === kind));
      }
    }
    block.querySelectorAll(".field-body").forEach((el) => show(el, BODY_KINDS.has(select.value)));
  }

  function syncWithin(root) {
    root.querySelectorAll('select[name^="blocks-"][name$="-kind"]').forEach(sync);
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches('select[name^="blocks-"][name$="-kind"]')) sync(event.target);
  });
  document.addEventListener("formset:added", (event) => syncWithin(event.target));
  document.addEventListener("DOMContentLoaded", () => syncWithin(document));
})();
