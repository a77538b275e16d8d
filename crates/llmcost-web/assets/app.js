// llmcost dashboard: progressive enhancement only. Every page works without it.
// - filter forms submit on change (the URL keeps the view, so it can be shared);
// - tables with class "sortable" sort by a header click (keyboard: Enter/Space);
// - /live streams calls through the proxy (Server-Sent Events) into the feed.
"use strict";
(function () {
  function onReady(f) {
    if (document.readyState !== "loading") f(); else document.addEventListener("DOMContentLoaded", f);
  }

  function filters() {
    document.querySelectorAll("form.filters").forEach(function (form) {
      form.querySelectorAll("select").forEach(function (el) {
        el.addEventListener("change", function () { submit(form); });
      });
    });
  }

  // Submits a GET form without empty fields, so URLs stay short.
  function submit(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (String(v).trim() !== "") params.append(k, v); });
    var q = params.toString();
    window.location.assign(form.getAttribute("action") + (q ? "?" + q : ""));
  }

  function cellValue(td, numeric) {
    var v = td.getAttribute("data-sort") || td.textContent.trim();
    if (!numeric) return v.toLowerCase();
    var n = parseFloat(v.replace(/[^0-9eE+.\-]/g, ""));
    return isNaN(n) ? -Infinity : n;
  }

  function sortable() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      heads.forEach(function (th, col) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "sort";
        b.textContent = th.textContent;
        b.setAttribute("aria-label", "Sort by " + th.textContent);
        th.textContent = "";
        th.appendChild(b);
        b.addEventListener("click", function () {
          var numeric = th.classList.contains("num");
          var asc = th.getAttribute("aria-sort") !== "ascending";
          heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", asc ? "ascending" : "descending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, c) {
            var x = cellValue(a.cells[col], numeric), y = cellValue(c.cells[col], numeric);
            return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
  }

  function cell(tr, text, numeric) {
    var td = document.createElement("td");
    td.textContent = text;
    if (numeric) td.className = "num";
    tr.appendChild(td);
  }

  function live() {
    var feed = document.getElementById("live-feed");
    if (!feed || !window.EventSource || feed.getAttribute("data-stream") === null) return;
    var body = feed.tBodies[0];
    var status = document.getElementById("live-status");
    var es = new EventSource(feed.getAttribute("data-stream"));
    es.addEventListener("open", function () { if (status) status.textContent = "Connected: new calls appear as they are recorded."; });
    es.addEventListener("error", function () { if (status) status.textContent = "Reconnecting…"; });
    es.addEventListener("call", function (e) {
      var c = JSON.parse(e.data);
      var empty = body.querySelector("tr.empty");
      if (empty) empty.remove();
      var tr = document.createElement("tr");
      tr.className = "fresh call";
      tr.setAttribute("data-key", c.id);
      cell(tr, c.at.replace("T", " ").slice(0, 19));
      cell(tr, c.model);
      cell(tr, c.upstream || "");
      cell(tr, String(c.tokens), true);
      cell(tr, c.cost === null ? "unpriced" : c.cost + " " + c.currency, true);
      cell(tr, c.latency_ms === null ? "" : c.latency_ms + " ms", true);
      cell(tr, String(c.status === null ? "" : c.status) + (c.incomplete ? " (incomplete)" : ""), true);
      cell(tr, c.key || "");
      body.insertBefore(tr, body.firstChild);
      while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
    });
  }

  onReady(function () { filters(); sortable(); live(); });
})();
