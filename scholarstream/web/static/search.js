// The search page's one rule beyond htmx: a type-ahead request still waiting for its delay when the
// search is submitted is stale (the results answer it), so it is dropped instead of showing
// suggestions under the results.
(function () {
  "use strict";
  var submitted = null;
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form.search")) {
      submitted = document.getElementById("q").value;
    }
  }, true);
  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    if (source && source.id === "q" && source.value === submitted) {
      event.preventDefault();
    }
  });
}());
