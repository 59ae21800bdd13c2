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

  // After a pick or a removal the list is drawn again, and the keyboard would be left at
  // the top of the page: it goes back to the list's search box (kept across redraws).
  var refocus = null;

  function changed(field, name) {
    refocus = "people-search-" + name;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    var box = document.getElementById(refocus);
    if (box) { box.focus(); }
  }

  document.addEventListener("htmx:afterSettle", function () {
    var box = refocus && document.getElementById(refocus);
    refocus = null;
    // Only when the redraw took the focus away: not from where the person has moved on to.
    var lost = !document.activeElement || document.activeElement === document.body;
    if (box && lost) { box.focus(); }
  });

  // In a search box, Enter picks the first match and the down arrow goes to the matches.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("people-search")) { return; }
    if (event.key !== "Enter" && event.key !== "ArrowDown") { return; }
    var results = document.getElementById(box.id.replace("people-search-", "people-results-"));
    var first = results && results.querySelector(".people-pick");
    if (!first) { return; }
    event.preventDefault();
    if (event.key === "Enter") { pick(first); } else { first.focus(); }
  });

  function pick(button) {
    var name = button.dataset.for, userid = button.dataset.userid;
    var field = document.getElementsByName(name)[0];
    var search = document.getElementById("people-search-" + name);
    if (search) {
      search.value = "";
      // As if typed: the matches of the old query go, and the same query typed again is
      // searched again (htmx only searches a value that changed).
      search.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (!field) { return; }
    if (field.dataset.single) {
      field.value = userid;
    } else {
      var list = userids(field.value);
      if (list.indexOf(userid) >= 0) { return; }
      list.push(userid);
      field.value = list.join(", ");
    }
    changed(field, name);
  }

  function remove(button) {
    var field = document.getElementsByName(button.dataset.for)[0];
    if (!field) { return; }
    var userid = button.dataset.userid, name = button.dataset.name;
    // The person may be in the text by userid or, typed so, by name.
    field.value = field.dataset.single ? "" : userids(field.value).filter(function (u) {
      return u !== userid && (!name || u !== name);
    }).join(", ");
    changed(field, button.dataset.for);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".people-pick, .chip-remove");
    if (!button) { return; }
    if (button.classList.contains("people-pick")) { pick(button); } else { remove(button); }
  });
})();
