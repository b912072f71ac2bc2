"use strict";
// Fields the admin's scripts draw in place of a form field (the prose editor's text area, the
// autocomplete's box) take the name of the field they stand for, from its label.
(function () {
  function labelOf(field) {
    return field && field.id ? document.querySelector(`label[for="${CSS.escape(field.id)}"]`) : null;
  }

  function nameBy(element, label) {
    if (!label || element.hasAttribute("aria-label") || element.hasAttribute("aria-labelledby")) return;
    if (!label.id) label.id = `${label.htmlFor}-label`;
    element.setAttribute("aria-labelledby", label.id);
  }

  function nameWithin(root) {
    root.querySelectorAll(".prose-editor").forEach((editor) => {
      const editable = editor.querySelector("[contenteditable]");
      if (editable) nameBy(editable, labelOf(editor.querySelector("textarea")));
    });
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      // Select2's box is named by its current choice alone, which is empty on a new form:
      // the field's label goes first, the choice after it.
      const choice = `select2-${select.id}-container`;
      const box = document.querySelector(`[role="combobox"][aria-labelledby="${CSS.escape(choice)}"]`);
      const label = labelOf(select);
      if (!box || !label) return;
      if (!label.id) label.id = `${select.id}-label`;
      box.setAttribute("aria-labelledby", `${label.id} ${choice}`);
      nameBy(document.getElementById(choice), label);
    });
  }

  // The editors and autocompletes start after the page has loaded, and in rows added later.
  const observer = new MutationObserver(() => nameWithin(document));
  document.addEventListener("DOMContentLoaded", () => {
    nameWithin(document);
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
