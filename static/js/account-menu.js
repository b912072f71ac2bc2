// The avatar menu is a <details> element and works without this file. Here it also
// closes on Escape (focus back on its button), on a click outside and when focus leaves.
(function () {
  "use strict";
  var menus = document.querySelectorAll("[data-account-menu]");

  function close(menu, refocus) {
    if (!menu.open) return;
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  }

  menus.forEach(function (menu) {
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close(menu, true);
      }
    });
    menu.addEventListener("focusout", function (event) {
      // relatedTarget is null when focus goes nowhere (a click on plain text): stay open.
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) close(menu, false);
    });
  });

  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (!menu.contains(event.target)) close(menu, false);
    });
  });
})();
