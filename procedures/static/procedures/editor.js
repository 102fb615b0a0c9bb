// The SOP editor: hovering or clicking a step card highlights its sentence in the source, and the
// other way round. Marks are <mark data-step="key"> (nested when spans overlap); cards are
// <article class="sop-card" data-step="key">. Cards are paged: a step whose card is on another page
// is opened through /procedures/versions/<id>/steps/<key>/, which redirects to that page.
(function () {
  "use strict";
  const ACTIVE = "is-highlighted";

  function marksOf(key) { return document.querySelectorAll('.sop-source mark[data-step="' + CSS.escape(key) + '"]'); }
  function cardOf(key) { return document.querySelector('.sop-card[data-step="' + CSS.escape(key) + '"]'); }

  function clear() { document.querySelectorAll("." + ACTIVE).forEach((el) => el.classList.remove(ACTIVE)); }

  function highlight(key) {
    clear();
    if (!key) return;
    marksOf(key).forEach((m) => m.classList.add(ACTIVE));
    const card = cardOf(key);
    if (card) card.classList.add(ACTIVE);
  }

  // Hovering scrolls the other pane at once (an animation still running when the pointer moves on
  // would slide another element under it); clicking scrolls smoothly.
  function reveal(el, smooth) {
    if (el) el.scrollIntoView({ block: "nearest", behavior: smooth ? "smooth" : "auto" });
  }

  let pinned = null;

  function openElsewhere(key) {
    const editor = document.querySelector(".sop-editor");
    if (editor && editor.dataset.stepUrl) window.location.href = editor.dataset.stepUrl + encodeURIComponent(key) + "/";
  }

  function init() {
    const editor = document.querySelector(".sop-editor");
    if (!editor) return;
    editor.querySelectorAll(".sop-card[data-step]").forEach((card) => {
      const key = card.dataset.step;
      card.addEventListener("mouseenter", () => { highlight(key); reveal(marksOf(key)[0], false); });
      card.addEventListener("mouseleave", () => highlight(pinned));
      card.addEventListener("focus", () => highlight(key));
      card.addEventListener("click", (event) => {
        if (event.target.closest("details, a, form")) return;
        pinned = key;
        highlight(key);
        reveal(marksOf(key)[0], true);
      });
    });
    const source = editor.querySelector(".sop-source");
    if (source) {
      source.addEventListener("mouseover", (event) => {
        const mark = event.target.closest("mark[data-step]");
        if (mark) { highlight(mark.dataset.step); reveal(cardOf(mark.dataset.step), false); }
      });
      source.addEventListener("mouseleave", () => highlight(pinned));
      source.addEventListener("click", (event) => {
        const mark = event.target.closest("mark[data-step]");
        if (!mark) return;
        if (!cardOf(mark.dataset.step)) { openElsewhere(mark.dataset.step); return; }
        pinned = mark.dataset.step;
        highlight(pinned);
        reveal(cardOf(pinned), true);
      });
    }
    editor.querySelectorAll("a[data-goto]").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        if (!cardOf(link.dataset.goto)) { openElsewhere(link.dataset.goto); return; }
        pinned = link.dataset.goto;
        highlight(pinned);
        reveal(cardOf(pinned), true);
        reveal(marksOf(pinned)[0], true);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
