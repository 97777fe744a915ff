// Preview cards: hovering (a mouse) or keyboard focus on a link to a record or a paper shows a
// card after a short delay, from that page's preview.json (fetched once per page, then kept).
// Escape, leaving the link or losing focus dismisses it; touch and pen follow the link as usual.
// The card is absolutely positioned in <main> (no layout shift) and is the link's description
// (role=tooltip, aria-describedby) while it shows. Links are resolved by the browser, so the site
// works under any sub-path.
(function () {
  "use strict";
  var DELAY = 400;
  var TARGET = /\/(records|papers)\/[^/]+\/(index\.html)?$/;
  var cache = {};
  var card = null, timer = null, pending = null, shownFor = null, lastTouch = 0;

  function previewUrl(link) {
    var href = link.getAttribute("href");  // an SVG <a>'s .href is not a string
    if (!href) return null;
    var url = new URL(href, document.baseURI);
    if (url.origin !== location.origin || url.pathname === location.pathname) return null;
    if (!TARGET.test(url.pathname)) return null;
    return url.pathname.replace(/(index\.html)?$/, "preview.json");
  }

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url).then(function (r) { return r.ok ? r.json() : null; })
        .catch(function () { return null; });
    }
    return cache[url];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function theCard() {
    if (!card) {
      card = element("div", "preview-card");
      card.id = "kb-preview";
      card.setAttribute("role", "tooltip");
      card.hidden = true;
      (document.querySelector("main") || document.body).appendChild(card);  // inside a landmark
    }
    return card;
  }

  function fill(data) {
    var box = theCard();
    box.textContent = "";
    box.appendChild(element("p", "preview-title", data.title));
    box.appendChild(element("p", "preview-meta", data.kind + " · " + data.date));
    if (data.tags && data.tags.length) box.appendChild(element("p", "preview-tags", data.tags.join(" · ")));
    if (data.line) box.appendChild(element("p", "preview-line", data.line));
  }

  function place(link) {
    var box = theCard(), rect = link.getBoundingClientRect();
    var width = Math.min(360, document.documentElement.clientWidth - 16);
    box.style.width = width + "px";
    var left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - width - 8));
    box.style.left = (left + window.scrollX) + "px";
    box.style.top = (rect.bottom + window.scrollY + 6) + "px";
  }

  function show(link) {
    var url = previewUrl(link);
    if (!url) return;
    load(url).then(function (data) {
      if (!data || pending !== link) return;
      fill(data);
      place(link);
      theCard().hidden = false;
      link.setAttribute("aria-describedby", "kb-preview");
      shownFor = link;
    });
  }

  function hide() {
    clearTimeout(timer);
    timer = null;
    pending = null;
    if (card) card.hidden = true;
    if (shownFor) shownFor.removeAttribute("aria-describedby");
    shownFor = null;
  }

  function schedule(link) {
    if (link === shownFor) return;
    hide();
    if (!previewUrl(link)) return;
    pending = link;
    timer = setTimeout(function () { timer = null; show(link); }, DELAY);
  }

  function linkOf(event) {
    return event.target.closest ? event.target.closest("a[href]") : null;
  }

  document.addEventListener("touchstart", function () { lastTouch = Date.now(); hide(); }, { passive: true });
  document.addEventListener("pointerover", function (event) {
    var link = linkOf(event);
    if (link && event.pointerType === "mouse") schedule(link);
  });
  document.addEventListener("pointerout", function (event) {
    var link = linkOf(event);
    if (link && !link.contains(event.relatedTarget)) hide();
  });
  document.addEventListener("focusin", function (event) {
    var link = linkOf(event);
    if (link && Date.now() - lastTouch > 1000) schedule(link);
  });
  document.addEventListener("focusout", function (event) {
    if (linkOf(event)) hide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
})();
