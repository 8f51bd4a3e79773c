/* offlabel answer page: sort and filter the studies table. Progressive: without this script
   the table is complete and in the report's order, and the filters stay hidden. No inline
   handlers (the CSP allows only this file): everything is wired here. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return kind === "number" ? NaN : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    raw = (raw || "").trim();
    if (kind === "number") { return raw === "" ? NaN : parseFloat(raw); }
    return raw.toLowerCase();
  }

  function setupSort(table) {
    var headers = table.querySelectorAll("thead th[data-sort]");
    var body = table.tBodies[0];
    Array.prototype.forEach.call(headers, function (th) {
      th.addEventListener("click", function () {
        var kind = th.getAttribute("data-sort-type") === "number" ? "number" : "text";
        var index = th.cellIndex;
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) { return [row, i]; });
        rows.sort(function (a, b) {
          var x = cellValue(a[0], index, kind), y = cellValue(b[0], index, kind);
          var c;
          if (kind === "number") {
            // unknown values sort last whichever the direction
            if (isNaN(x) || isNaN(y)) { return isNaN(x) === isNaN(y) ? a[1] - b[1] : (isNaN(x) ? 1 : -1); }
            c = x - y;
          } else {
            c = x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
          }
          if (c === 0) { return a[1] - b[1]; }
          return ascending ? c : -c;
        });
        rows.forEach(function (pair) { body.appendChild(pair[0]); });
      });
    });
  }

  function setupFilters(table) {
    var box = document.getElementById("study-filters");
    var count = document.getElementById("studies-count");
    if (!box || !count) { return; }
    var design = document.getElementById("filter-design");
    var direction = document.getElementById("filter-direction");
    var outcome = document.getElementById("filter-outcome");
    var from = document.getElementById("filter-year-from");
    var to = document.getElementById("filter-year-to");
    var rows = table.tBodies[0].rows;

    function apply() {
      var d = design ? design.value : "", dir = direction ? direction.value : "";
      var out = outcome ? outcome.value : "";
      var y0 = from && from.value !== "" ? parseInt(from.value, 10) : NaN;
      var y1 = to && to.value !== "" ? parseInt(to.value, 10) : NaN;
      var shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var year = parseInt(row.getAttribute("data-year") || "", 10);
        var outcomes = (row.getAttribute("data-outcome") || "").split(" ");
        var ok = (!d || row.getAttribute("data-design") === d) &&
          (!dir || row.getAttribute("data-direction") === dir) &&
          (!out || outcomes.indexOf(out) !== -1) &&
          (isNaN(y0) || (!isNaN(year) && year >= y0)) &&
          (isNaN(y1) || (!isNaN(year) && year <= y1));
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " studies";
    }

    [design, direction, outcome].forEach(function (el) { if (el) { el.addEventListener("change", apply); } });
    [from, to].forEach(function (el) { if (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); } });
    box.hidden = false;
    apply();
  }

  ready(function () {
    var table = document.getElementById("studies");
    if (!table || !table.tBodies.length) { return; }
    setupSort(table);
    setupFilters(table);
  });
})();
