/* Leaving the edit page with changes not saved asks first, as a browser does for a form it
   knows nothing of. The changes panel lists what differs from the saved meeting once a
   field is left; saving is the one way out that keeps it, so a submit does not ask. */
(function () {
  "use strict";
  var saving = false;

  document.addEventListener("submit", function (event) {
    if (event.target.id === "meeting-form") { saving = true; }
  }, true);

  window.addEventListener("beforeunload", function (event) {
    var panel = document.getElementById("changes");
    if (saving || !panel || !panel.querySelector("li.change")) { return; }
    event.preventDefault();
    // Older browsers show the dialog only for a returnValue set.
    event.returnValue = "";
  });
})();
