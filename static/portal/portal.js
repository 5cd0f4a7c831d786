// Progressive enhancement only: the server already turns a repeated submission into its receipt.
// A form marked data-submit-once is sent once; a second press while the first is on its way is ignored
// and the button says so to assistive technology.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-submit-once")) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-disabled", "true");
  });
});

// Coming back to the page with the browser's Back button restores it as it was left: allow sending again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submit-once][data-sent]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("button[aria-disabled]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
    });
  });
});
