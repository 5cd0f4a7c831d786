// The admin's autocomplete filters (grants/admin/common.py AutocompleteFilter): Select2 renders the
// chosen value in a read-only textbox with no name of its own; give it the filter's label so that a
// screen reader says what the box filters by. A file, not an inline script: the site's CSP.
"use strict";
function nameTheBoxes() {
  document.querySelectorAll("form.sc-autocomplete-filter select").forEach(function (select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    const rendered = document.getElementById("select2-" + select.id + "-container");
    if (label && rendered) {
      rendered.setAttribute("aria-label", label.textContent.trim());
    }
  });
}
// jQuery runs its ready handlers (Select2's set-up among them) on a timer: name the boxes after them.
window.addEventListener("load", function () {
  window.setTimeout(nameTheBoxes, 0);
});
