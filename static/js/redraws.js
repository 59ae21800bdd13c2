/* The edit form's redraws must not undo a change made while one of them was on its way.
   Each change posts the whole form and the answer replaces a fieldset (or a row), controls
   and all; the requests queue (hx-sync "queue all"), and a queued one reads the form only
   when it leaves, after the answer before it has been put in. A box ticked while a redraw
   was out would be unticked by that redraw, and the request queued for the tick would then
   post it unticked: the tick lost. So what was changed since a redraw left is put back
   into what it drew, before the next request reads the form. */
(function () {
  "use strict";
  var FORM = "meeting-form";
  // name (and value, for a box of a group) -> what the control holds.
  var changed = new Map();

  function key(control) {
    var box = control.type === "checkbox" || control.type === "radio";
    return box ? control.name + "\u0000" + control.value : control.name;
  }

  function state(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      return control.checked;
    }
    if (control.type === "select-multiple") {
      return Array.from(control.selectedOptions, function (option) { return option.value; });
    }
    return control.value;
  }

  function putBack(form, name, held) {
    form.querySelectorAll("[name]").forEach(function (control) {
      if (key(control) !== name) { return; }
      if (control.type === "checkbox" || control.type === "radio") {
        control.checked = held;
      } else if (control.type === "select-multiple") {
        Array.from(control.options).forEach(function (option) {
          option.selected = held.indexOf(option.value) >= 0;
        });
      } else {
        control.value = held;
      }
    });
  }

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control.name && control.form && control.form.id === FORM) {
      changed.set(key(control), state(control));
    }
  }, true);

  // The form's own requests: they read it whole, and they queue one behind the other.
  document.addEventListener("htmx:beforeRequest", function (event) {
    // This one reads the form as it is now, changes made before included.
    if (event.target.id === FORM) { changed.clear(); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // Its answer is in; the next request has not read the form yet.
    if (event.target.id !== FORM) { return; }
    changed.forEach(function (held, name) { putBack(event.target, name, held); });
  });
})();
