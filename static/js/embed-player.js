"use strict";
// Embed cards (templates/includes/blocks/embed.html) load a provider's player only when the
// reader asks: the button puts the frame kept inert in the card's <template> in the place of
// the thumbnail. Until then the provider hears nothing of the reader. Without this script the
// buttons stay hidden and each card links to the original.
(function () {
  // Every card brings this script along; the first one to run does the work for all of them.
  if (window.pressimusEmbedPlayer) return;
  window.pressimusEmbedPlayer = true;

  const SCRIPTED = ".embed-card__show[hidden], .embed-card__note[hidden]";

  function reveal(root) {
    if (root.matches && root.matches(SCRIPTED)) root.hidden = false;
    root.querySelectorAll(SCRIPTED).forEach((element) => {
      element.hidden = false;
    });
  }

  function play(button) {
    const stage = button.closest(".embed-card__stage");
    const template = stage && stage.querySelector("template.embed-card__player");
    const frame = template && template.content.querySelector("iframe");
    // Our own markup built that address; a frame from anywhere else is not ours to load.
    if (!frame || !/^https:\/\//.test(frame.getAttribute("src") || "")) return;
    const player = document.importNode(frame, true);
    stage.replaceChildren(player);
    stage.closest(".embed-card").classList.add("embed-card--playing");
    player.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".embed-card__show");
    if (button) play(button);
  });

  // Entries that arrive later (static/js/live.js) bring cards of their own.
  new MutationObserver((records) => {
    for (const record of records) {
      record.addedNodes.forEach((node) => {
        if (node.nodeType === Node.ELEMENT_NODE) reveal(node);
      });
    }
  }).observe(document.documentElement, { childList: true, subtree: true });

  reveal(document);
})();
