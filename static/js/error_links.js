/* A link of the edit page's error summary puts the cursor in its field, not only the field
   in view, so that it can be corrected at once. The link goes to the field as usual first
   (the address names it); the cursor follows once it has. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-links a[href^='#field-']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    var control = field && field.querySelector("input:not([type=hidden]), select, textarea");
    if (!control) { return; }
    setTimeout(function () { control.focus({ preventScroll: true }); }, 0);
  });
})();
