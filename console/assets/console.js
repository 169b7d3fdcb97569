// Turno's agents' console: keyboard navigation and a live queue. Served
// from the binary; everything works without it.
(function () {
  "use strict";
  var page = document.querySelector(".console");
  if (!page) return;

  // Keys belong to the field being typed in, and to the browser with a
  // modifier.
  function typing(e) {
    var t = e.target;
    return e.ctrlKey || e.metaKey || e.altKey ||
      (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)));
  }

  if (page.dataset.page === "ticket") {
    var box = document.getElementById("reply-text");
    if (box && location.hash === "#reply-text") box.focus();
    document.addEventListener("keydown", function (e) {
      if (typing(e) || e.key !== "r" || !box) return;
      e.preventDefault();
      box.focus();
      box.scrollIntoView({ block: "center" });
    });
    presence(box);
    return;
  }

  // Presence: tell the console every 20 s that this page is open, and
  // whether a reply is being written (the box has focus or text), so the
  // others see it in the queue and above their reply box; say "gone" when
  // the page is left. The answer is what the others are doing.
  function presence(box) {
    var note = document.getElementById("presence");
    var csrf = document.querySelector("#reply input[name=csrf]");
    if (!note || !csrf || !note.dataset.url) return;
    var url = note.dataset.url;
    function state() {
      return box && (document.activeElement === box || box.value.trim() !== "") ? "replying" : "viewing";
    }
    function body(s) { return new URLSearchParams({ csrf: csrf.value, state: s }); }
    var last = "viewing";
    function mark() {
      var s = state();
      if (document.hidden && s === "viewing") return;
      last = s;
      fetch(url, { method: "POST", credentials: "same-origin", body: body(s), headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return;
          note.textContent = p.text;
          note.classList.toggle("replying", !!p.replying);
        })
        .catch(function () {});
    }
    setInterval(mark, 20000);
    if (box) {
      box.addEventListener("focus", function () { if (last !== "replying") mark(); });
      box.addEventListener("blur", function () { if (last === "replying" && box.value.trim() === "") mark(); });
    }
    document.addEventListener("visibilitychange", function () { if (!document.hidden) mark(); });
    window.addEventListener("pagehide", function () {
      if (navigator.sendBeacon) navigator.sendBeacon(url, body("gone"));
    });
  }

  // The queue.
  var region = document.getElementById("queue-region");
  var live = document.getElementById("live");
  var selected = null; // ticket number of the selected row

  function rows() { return Array.prototype.slice.call(region.querySelectorAll("tbody tr")); }
  function select(tr, focus) {
    rows().forEach(function (r) { r.classList.remove("selected"); });
    if (!tr) { selected = null; return; }
    tr.classList.add("selected");
    selected = tr.dataset.number;
    var a = tr.querySelector("a");
    if (focus && a) a.focus();
    tr.scrollIntoView({ block: "nearest" });
  }
  function current() {
    var rs = rows();
    for (var i = 0; i < rs.length; i++) if (rs[i].dataset.number === selected) return i;
    return -1;
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e)) return;
    var rs = rows(), i = current();
    if (!rs.length) return;
    if (e.key === "j") { e.preventDefault(); select(rs[Math.min(i + 1, rs.length - 1)], true); }
    else if (e.key === "k") { e.preventDefault(); select(rs[Math.max(i - 1, 0)], true); }
    else if (e.key === "Enter" && i >= 0 && document.activeElement === document.body) { location.href = rs[i].dataset.href; }
    else if (e.key === "r" && i >= 0) { e.preventDefault(); location.href = rs[i].dataset.href + "#reply-text"; }
  });
  region.addEventListener("focusin", function (e) {
    var tr = e.target.closest && e.target.closest("tbody tr");
    if (tr) select(tr, false);
  });

  // Live updates: poll the marker; when it changed, fetch this page and
  // swap the queue in, keeping the selection.
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(region.dataset.markerUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (m) {
        if (!m || m.marker === region.dataset.marker) return null;
        return fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; });
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("queue-region");
        if (!fresh) return;
        var hadFocus = region.contains(document.activeElement);
        region.innerHTML = fresh.innerHTML;
        var views = document.querySelector(".views"), freshViews = doc.querySelector(".views");
        if (views && freshViews) views.innerHTML = freshViews.innerHTML;
        region.dataset.marker = fresh.dataset.marker;
        var again = rows().filter(function (r) { return r.dataset.number === selected; })[0];
        select(again || null, hadFocus);
        if (live) live.textContent = region.dataset.updated;
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
