/* The people fields' picks and chips. A pick adds a userid to its field's text (or, for a
   field of one person, puts it in); a chip's ✕ takes it out. Either way the text's change
   event reaches the edit form's one listener, which redraws the list of chips from the text.
   Without JavaScript the text is edited by hand and nothing here is needed. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var SEPARATORS = /[\s,，;；、]+/;

  function userids(text) {
    return text.split(SEPARATORS).filter(Boolean);
  }

  function changed(field) {
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function pick(button) {
    var name = button.dataset.for, userid = button.dataset.userid;
    var field = document.getElementsByName(name)[0];
    var search = document.getElementById("people-search-" + name);
    if (search) { search.value = ""; }
    if (!field) { return; }
    if (field.dataset.single) {
      field.value = userid;
    } else {
      var list = userids(field.value);
      if (list.indexOf(userid) >= 0) { return; }
      list.push(userid);
      field.value = list.join(", ");
    }
    changed(field);
  }

  function remove(button) {
    var field = document.getElementsByName(button.dataset.for)[0];
    if (!field) { return; }
    var userid = button.dataset.userid, name = button.dataset.name;
    // The person may be in the text by userid or, typed so, by name.
    field.value = field.dataset.single ? "" : userids(field.value).filter(function (u) {
      return u !== userid && (!name || u !== name);
    }).join(", ");
    changed(field);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".people-pick, .chip-remove");
    if (!button) { return; }
    if (button.classList.contains("people-pick")) { pick(button); } else { remove(button); }
  });
})();
