// The question box: suggestions come from the page's <datalist> (the browser's own list,
// usable with the keyboard); this adds "/" to jump to the box from anywhere on the page and
// Escape to leave it, as search boxes do. No third-party code; loaded with `defer`.
"use strict";
(function () {
  function box() {
    return document.getElementById("question") || document.getElementById("header-question");
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var input = box();
      if (input) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    } else if (event.key === "Escape" && typing && target.getAttribute("list") === "question-list") {
      target.blur();
    }
  });
  // An empty question is not sent: the box says what it needs instead.
  document.querySelectorAll("form[action='/ask'] input[name='q']").forEach(function (input) {
    input.form.addEventListener("submit", function (event) {
      if (!input.value.trim()) {
        event.preventDefault();
        input.setCustomValidity("Type a drug, e.g. baclofen for alcohol use disorder");
        input.reportValidity();
      }
    });
    input.addEventListener("input", function () { input.setCustomValidity(""); });
  });
})();
