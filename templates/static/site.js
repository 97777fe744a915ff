// kb site: small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  // Sortable lists: <div data-sort-list="ID" hidden> with buttons data-sort-key="name|count".
  function sortList(list, key) {
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      var na = Number(a.dataset.name), nb = Number(b.dataset.name);
      if (key === "count") {
        var diff = Number(b.dataset.count) - Number(a.dataset.count);
        if (diff !== 0) return diff;
      }
      return na - nb;
    });
    items.forEach(function (item) { list.appendChild(item); });
  }

  document.querySelectorAll("[data-sort-list]").forEach(function (controls) {
    var list = document.getElementById(controls.dataset.sortList);
    if (!list) return;
    controls.hidden = false;
    controls.querySelectorAll("button[data-sort-key]").forEach(function (button) {
      button.addEventListener("click", function () {
        sortList(list, button.dataset.sortKey);
        controls.querySelectorAll("button").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
      });
    });
  });

  // Sortable tables: <table class="sortable">; th data-type="number" sorts numerically.
  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
  }

  function compareRows(index, numeric, direction) {
    return function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (numeric) {
        var nx = x === "" ? -Infinity : Number(x), ny = y === "" ? -Infinity : Number(y);
        return (nx - ny) * direction;
      }
      return x.localeCompare(y, "ja") * direction;
    };
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(compareRows(index, th.dataset.type === "number", ascending ? 1 : -1));
        rows.forEach(function (row) { body.appendChild(row); });
        table.querySelectorAll("thead th").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  });

  // Dark-mode toggle: the reader's choice is kept in localStorage ("kb-theme") and applied by
  // base.html's inline script before the first paint; with no choice the system preference rules.
  var toggle = document.getElementById("theme-toggle");
  var root = document.documentElement;
  var prefersDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function isDark() {
    if (root.dataset.theme) return root.dataset.theme === "dark";
    return Boolean(prefersDark && prefersDark.matches);
  }

  function showTheme() {
    toggle.setAttribute("aria-pressed", String(isDark()));
  }

  if (toggle) {
    showTheme();
    toggle.addEventListener("click", function () {
      var theme = isDark() ? "light" : "dark";
      root.dataset.theme = theme;
      try { localStorage.setItem("kb-theme", theme); } catch (e) { /* private mode: this page only */ }
      showTheme();
    });
    if (prefersDark && prefersDark.addEventListener) prefersDark.addEventListener("change", showTheme);
  }

  // Table of contents (<details class="toc">): open beside the text on a wide screen where CSS
  // cannot force it open (browsers without ::details-content); a phone keeps it folded.
  var wide = window.matchMedia ? window.matchMedia("(min-width: 68rem)") : null;
  document.querySelectorAll("details.toc").forEach(function (toc) {
    if (wide && wide.matches) toc.open = true;
    markCurrentSection(toc);
  });

  // The table of contents marks the part being read: the first part in the top third of the window.
  function markCurrentSection(toc) {
    if (!window.IntersectionObserver) return;
    var parts = [];
    toc.querySelectorAll('a[href^="#"]').forEach(function (a) {
      var target = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
      if (!target) return;
      var node = /^H[1-6]$/.test(target.tagName) ? (target.closest("section") || target) : target;
      parts.push({link: a, node: node, seen: false});
    });
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        parts.forEach(function (part) { if (part.node === entry.target) part.seen = entry.isIntersecting; });
      });
      var current = parts.filter(function (part) { return part.seen; })[0];
      if (!current) return;
      parts.forEach(function (part) {
        if (part === current) part.link.setAttribute("aria-current", "true");
        else part.link.removeAttribute("aria-current");
      });
    }, {rootMargin: "0px 0px -66% 0px"});
    parts.forEach(function (part) { observer.observe(part.node); });
  }

  // Copy buttons: <button data-copy="ELEMENT-ID" hidden>.
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
    return Promise.resolve();
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent;
      var copying = navigator.clipboard && window.isSecureContext
        ? navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); })
        : fallbackCopy(text);
      copying.then(function () {
        button.textContent = "コピーしました";
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
