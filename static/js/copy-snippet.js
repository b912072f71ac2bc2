// A "Copy" button beside each read-only code box marked data-copy (the embed snippet). Without
// this file, or without clipboard access, the box can still be selected and copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("textarea[data-copy]").forEach(function (box) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary copy-button";
    button.textContent = "Copy code";
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    box.after(button, status);
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(box.value).then(
        function () { status.textContent = "Copied."; },
        function () {
          box.select();
          status.textContent = "Copying was refused: press Ctrl+C (or ⌘C) to copy the selected code.";
        }
      );
    });
  });
})();
