// Offers the device's time zone when it differs from the one chosen in the settings.
(function () {
  "use strict";
  var hint = document.getElementById("tz-hint");
  if (!hint || !window.Intl) return;
  var select = document.getElementById(hint.dataset.select);
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || !zone || select.value === zone) return;
  // "Same as the site" already shows times in the device's zone: nothing to offer.
  if (select.value === "" && zone === hint.dataset.siteZone) return;
  var known = Array.prototype.some.call(select.options, function (option) {
    return option.value === zone;
  });
  if (!known) return;
  hint.querySelector("[data-tz-name]").textContent = zone.replace(/_/g, " ");
  hint.querySelector("[data-tz-use]").addEventListener("click", function () {
    select.value = zone;
    hint.hidden = true;
    select.focus();
  });
  hint.hidden = false;
})();
