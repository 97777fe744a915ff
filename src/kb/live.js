// Added to pages by `kb serve` only (never written into the site): reloads the page when a
// rebuild published a new site, shows the errors of a build that did not publish, and the new
// warnings of the notes just changed in a small panel the reader can close.
(() => {
  "use strict";
  const script = document.currentScript;
  const version = Number(script.dataset.version);
  const SCROLL = "kb-serve-scroll";
  const BOX = "kb-serve-errors";
  const PANEL = "kb-serve-warnings";
  const DISMISSED = "kb-serve-dismissed";

  const saved = JSON.parse(sessionStorage.getItem(SCROLL) || "null");
  if (saved && saved.path === location.pathname) {
    sessionStorage.removeItem(SCROLL);
    addEventListener("load", () => scrollTo(0, saved.y));
  }

  function element(tag, text, style) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (style) node.style.cssText = style;
    return node;
  }

  function overlay(errors) {
    let box = document.getElementById(BOX);
    if (!errors.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = element("section", "", "all:initial;position:fixed;left:0;right:0;bottom:0;z-index:2147483647;" +
        "max-height:45vh;overflow:auto;background:#fff5f5;color:#7a1010;border-top:3px solid #b42318;" +
        "padding:12px 16px;font:14px/1.5 system-ui,sans-serif;box-shadow:0 -4px 16px rgba(0,0,0,.2)");
      box.id = BOX;
      box.setAttribute("role", "alert");
      document.body.append(box);
    }
    const title = element("strong", `ビルドエラー ${errors.length} 件（表示中のページは最後に正しくビルドできたものです）`,
      "display:block;margin-bottom:6px");
    const list = element("ul", "", "margin:0;padding-left:1.2em");
    for (const error of errors) {
      const item = element("li", "", "white-space:pre-wrap");
      if (error.where) {
        item.append(element("code", error.where, "font:13px ui-monospace,monospace;font-weight:600"), ": ");
      }
      item.append(error.message);
      list.append(item);
    }
    box.replaceChildren(title, list);
  }

  function panel(warnings) {
    const old = document.getElementById(PANEL);
    if (old) old.remove();
    const key = JSON.stringify([version, warnings]);  // closed for this version of the site only
    if (!warnings.length || sessionStorage.getItem(DISMISSED) === key) return;
    const box = element("aside", "", "all:initial;position:fixed;right:12px;bottom:12px;z-index:2147483646;" +
      "max-width:min(32rem,calc(100vw - 24px));max-height:35vh;overflow:auto;background:#fffbeb;color:#5c3b00;" +
      "border:1px solid #d9a400;border-radius:6px;padding:10px 12px;font:13px/1.5 system-ui,sans-serif;" +
      "box-shadow:0 2px 10px rgba(0,0,0,.2)");
    box.id = PANEL;
    box.setAttribute("role", "status");
    const close = element("button", "×", "all:initial;float:right;cursor:pointer;font:18px/1 system-ui;" +
      "color:#5c3b00;padding:0 4px");
    close.type = "button";
    close.setAttribute("aria-label", "警告を閉じる");
    close.addEventListener("click", () => {
      sessionStorage.setItem(DISMISSED, key);
      box.remove();
    });
    const title = element("strong", `警告 ${warnings.length} 件（変更したノート）`, "display:block;margin-bottom:4px");
    const list = element("ul", "", "margin:0;padding-left:1.2em");
    for (const warning of warnings) {
      const item = element("li", "", "white-space:pre-wrap");
      item.append(element("code", warning.where, "font:12px ui-monospace,monospace;font-weight:600"), ": ",
        warning.message);
      list.append(item);
    }
    box.replaceChildren(close, title, list);
    document.body.append(box);
  }

  const events = new EventSource("/__kb/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    if (state.version !== version) {
      sessionStorage.setItem(SCROLL, JSON.stringify({ path: location.pathname, y: scrollY }));
      events.close();
      location.reload();
      return;
    }
    overlay(state.errors);
    panel(state.warnings || []);
  });
})();
