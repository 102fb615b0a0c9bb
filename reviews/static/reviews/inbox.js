// sopdesk inbox keyboard: j/k move, Enter open, c claim, u release, 1-9 pick an outcome,
// Ctrl+Enter decide, / filters, Esc back, ? help. Ages and SLA countdowns tick every 30 s.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function rows() { return Array.from(document.querySelectorAll("[data-queue] tbody tr[data-item]")); }

  function selected() { return document.querySelector("[data-queue] tr.is-selected"); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("is-selected"); });
    if (!row) return;
    row.classList.add("is-selected");
    row.scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("sopdesk.inbox.selected", row.dataset.item); } catch (e) { /* private mode */ }
  }

  function restoreSelection() {
    var all = rows();
    if (!all.length) return;
    var remembered = null;
    try { remembered = sessionStorage.getItem("sopdesk.inbox.selected"); } catch (e) { /* ignore */ }
    var row = all.find(function (r) { return r.dataset.item === remembered; }) || all[0];
    select(row);
  }

  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selected());
    var next = all[Math.min(all.length - 1, Math.max(0, index + delta))] || all[0];
    select(next);
  }

  function clickIn(scope, selector) {
    var el = scope && scope.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function toggleHelp() {
    var help = document.querySelector("[data-help]");
    if (help) help.hidden = !help.hidden;
  }

  function showParams(form) {
    var checked = form.querySelector("input[name=outcome]:checked");
    var open = [];
    if (checked) {
      var label = checked.closest("[data-params]");
      open = label && label.dataset.params ? label.dataset.params.split(",") : [];
    }
    form.querySelectorAll("[data-param]").forEach(function (p) {
      p.hidden = open.indexOf(p.dataset.param) === -1;
    });
  }

  document.addEventListener("keydown", function (event) {
    var form = document.querySelector("[data-decision-form]");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.key === "Escape") {
      if (typing(event.target)) { event.target.blur(); return; }
      var help = document.querySelector("[data-help]");
      if (help && !help.hidden) { help.hidden = true; return; }
      var detail = document.querySelector("[data-detail]");
      if (detail) window.location = detail.dataset.inboxUrl;
      return;
    }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    var detailHead = document.querySelector("[data-detail]");
    switch (event.key) {
      case "?": toggleHelp(); break;
      case "/": {
        var first = document.querySelector("[data-filters] select");
        if (first) { event.preventDefault(); first.focus(); }
        break;
      }
      case "j":
        if (detailHead) { if (detailHead.dataset.next) window.location = detailHead.dataset.next; }
        else move(1);
        break;
      case "k":
        if (detailHead) { if (detailHead.dataset.prev) window.location = detailHead.dataset.prev; }
        else move(-1);
        break;
      case "Enter": {
        var row = selected();
        if (row && !detailHead) { event.preventDefault(); window.location = row.dataset.href; }
        break;
      }
      case "c": clickIn(detailHead ? document.querySelector(".detail-head") : selected(), "[data-claim]"); break;
      case "u": clickIn(detailHead ? document.querySelector(".detail-head") : selected(), "[data-unclaim]"); break;
      default:
        if (form && /^[1-9]$/.test(event.key)) {
          var radios = form.querySelectorAll("input[name=outcome]");
          var radio = radios[Number(event.key) - 1];
          if (radio) {
            radio.checked = true;
            radio.dispatchEvent(new Event("change", { bubbles: true }));
            event.preventDefault();
          }
        }
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help-toggle]")) { toggleHelp(); return; }
    var row = event.target.closest("[data-queue] tr[data-item]");
    if (row && !event.target.closest("a, button, input, select, textarea")) {
      select(row);
      window.location = row.dataset.href;
    }
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-decision-form]");
    if (form && event.target.name === "outcome") showParams(form);
  });

  function fmt(seconds) {
    seconds = Math.abs(Math.round(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    if (d) return h ? d + "d " + h + "h" : d + "d";
    if (h) return h + "h " + String(m).padStart(2, "0") + "m";
    if (m) return m + "m";
    return seconds + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = fmt((now - Date.parse(el.dataset.since)) / 1000);
    });
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      el.textContent = left < 0 ? fmt(left) + " over" : "in " + fmt(left);
      el.classList.toggle("due-over", left < 0);
      el.classList.toggle("due-soon", left >= 0 && left < 4 * 3600);
    });
  }

  function init() {
    restoreSelection();
    var form = document.querySelector("[data-decision-form]");
    if (form) showParams(form);
    setInterval(tick, 30000);
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "inbox-results") restoreSelection();
  });
})();
