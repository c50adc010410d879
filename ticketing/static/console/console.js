// Mostrador console: live updates, SLA countdowns, keyboard shortcuts, saved replies with "/", one send per click.
// Served by the backend as a file (the pages' Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const body = document.body;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // --- SLA countdowns ------------------------------------------------------------------------------------------
  function duration(seconds) {
    let minutes = Math.floor(Math.abs(seconds) / 60);
    const days = Math.floor(minutes / 1440); minutes -= days * 1440;
    const hours = Math.floor(minutes / 60); minutes -= hours * 60;
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + String(minutes).padStart(2, "0") + "m";
    return minutes + "m";
  }
  function tick() {
    const now = Date.now();
    $$(".sla[data-due]").forEach((badge) => {
      const due = Date.parse(badge.dataset.due);
      const warn = badge.dataset.warn ? Date.parse(badge.dataset.warn) : null;
      const left = (due - now) / 1000;
      let state = "ok";
      if (left < 0) state = "breached";
      else if ((warn !== null && now >= warn) || badge.classList.contains("sla-at_risk")) state = "at_risk";
      badge.textContent = (left < 0 ? body.dataset.overdue : body.dataset.dueIn) + " " + duration(left);
      badge.classList.remove("sla-ok", "sla-at_risk", "sla-breached");
      badge.classList.add("sla-" + state);
      const row = badge.closest("tr");
      if (row) row.className = "row-" + state;
    });
  }
  tick();
  setInterval(tick, 20000);

  // --- forms: one submission per click, availability on change --------------------------------------------------
  $$("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      // Disabled after the browser has read the clicked button's name and value.
      setTimeout(() => $$("button", form).forEach((b) => { b.disabled = true; }), 0);
    });
  });
  $$("select[data-autosubmit]").forEach((select) => select.addEventListener("change", () => select.form.submit()));

  // --- the reply draft survives a reload, an expired session, a refused send ---------------------------------------
  const reply = $("#reply");
  const params = new URLSearchParams(location.search);
  if (reply && reply.dataset.draftKey) {
    const key = reply.dataset.draftKey;
    try {
      if (params.get("m") === "sent" || params.get("m") === "noted" || params.get("m") === "duplicate") localStorage.removeItem(key);
      else if (!reply.value && localStorage.getItem(key)) reply.value = localStorage.getItem(key);
      reply.addEventListener("input", () => {
        if (reply.value) localStorage.setItem(key, reply.value); else localStorage.removeItem(key);
      });
    } catch (e) { /* storage disabled: nothing to keep */ }
  }

  // --- live updates --------------------------------------------------------------------------------------------
  const liveStatus = $("#live-status");
  const liveRoot = $("[data-live]");
  let refreshing = false, again = false;
  async function refresh() {
    if (!liveRoot) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const response = await fetch(liveRoot.dataset.live, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      if ($('form[action="/console/login"]', doc)) { location.reload(); return; } // the session expired
      ["#queue", "#live-head", "#live-transcript", "#live-facts"].forEach((sel) => {
        const fresh = $(sel, doc), old = $(sel);
        if (fresh && old && fresh.innerHTML !== old.innerHTML) old.innerHTML = fresh.innerHTML;
      });
      const load = $(".load strong", doc), oldLoad = $(".load strong");
      if (load && oldLoad) oldLoad.textContent = load.textContent;
      tick();
      body.dataset.refreshed = String(Date.now());
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }
  if (liveRoot && window.EventSource) {
    const source = new EventSource("/console/events");
    // Subscribed: what changed between this page's render (or a dropped connection) and now is fetched once.
    source.addEventListener("ready", () => { liveStatus.textContent = liveStatus.dataset.on; body.dataset.live = "on"; refresh(); });
    source.addEventListener("changed", refresh);
    source.addEventListener("error", () => { liveStatus.textContent = liveStatus.dataset.off; body.dataset.live = "off"; });
  }

  // --- saved replies and articles with "/" ----------------------------------------------------------------------
  const picker = $("#snippet-picker"), list = $("#snippet-list");
  let snippets = null, shown = [], selected = 0, slashAt = -1;
  async function loadSnippets() {
    if (snippets) return snippets;
    const response = await fetch(reply.dataset.snippets, { credentials: "same-origin" });
    snippets = response.ok ? (await response.json()).items : [];
    return snippets;
  }
  function closePicker() { picker.hidden = true; slashAt = -1; reply.removeAttribute("aria-activedescendant"); }
  function render() {
    list.textContent = "";
    shown.forEach((item, i) => {
      const li = document.createElement("li");
      li.id = "snippet-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === selected));
      li.textContent = item.title;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = item.kind === "article" ? "KB" : "/";
      li.appendChild(kind);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); insert(i); });
      list.appendChild(li);
    });
    picker.hidden = shown.length === 0;
    if (shown.length) reply.setAttribute("aria-activedescendant", "snippet-" + selected);
  }
  function insert(i) {
    const item = shown[i];
    if (!item || slashAt < 0) return;
    const caret = reply.selectionStart;
    reply.value = reply.value.slice(0, slashAt) + item.body + reply.value.slice(caret);
    const at = slashAt + item.body.length;
    reply.setSelectionRange(at, at);
    reply.dispatchEvent(new Event("input"));
    closePicker();
    reply.focus();
  }
  if (reply && picker) {
    let typed = 0;
    reply.addEventListener("input", async () => {
      const seen = ++typed;
      const caret = reply.selectionStart, text = reply.value.slice(0, caret);
      // "/" at the start or after a space, then up to 30 characters of the title (spaces allowed) up to the caret.
      const match = /(^|\s)\/([^\n\/]{0,30})$/.exec(text);
      if (!match) { closePicker(); return; }
      const items = await loadSnippets();
      if (seen !== typed) return; // the agent typed on meanwhile: that keystroke's handler decides
      slashAt = caret - match[2].length - 1;
      const query = match[2].toLowerCase();
      shown = items.filter((s) => s.title.toLowerCase().includes(query)).slice(0, 12);
      selected = 0;
      render();
    });
    reply.addEventListener("keydown", (e) => {
      if (!picker.hidden) {
        if (e.key === "ArrowDown") { selected = (selected + 1) % shown.length; render(); e.preventDefault(); }
        else if (e.key === "ArrowUp") { selected = (selected - 1 + shown.length) % shown.length; render(); e.preventDefault(); }
        else if (e.key === "Enter" || e.key === "Tab") { insert(selected); e.preventDefault(); }
        else if (e.key === "Escape") { closePicker(); e.preventDefault(); }
        return;
      }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        const which = reply.dataset.mode === "note" ? "note" : "send";
        const button = $('button[name="action"][value="' + which + '"]', reply.form);
        if (button) button.click();
        e.preventDefault();
      } else if (e.key === "Escape") { reply.blur(); }
    });
    reply.addEventListener("blur", () => setTimeout(closePicker, 150));
  }

  // --- keyboard shortcuts (listed on "?") -----------------------------------------------------------------------
  const help = $("#shortcuts");
  let pendingG = false;
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (help && help.open && e.key !== "?") return;
    const ticket = $(".ticket");
    if (pendingG) { pendingG = false; if (e.key === "q") { location.href = "/console"; } return; }
    switch (e.key) {
      case "?":
        if (help) { help.open ? help.close() : help.showModal(); }
        break;
      case "r": case "n":
        if (reply) { reply.dataset.mode = e.key === "n" ? "note" : "reply"; reply.focus(); e.preventDefault(); }
        break;
      case "j": case "k": {
        if (ticket) {
          const to = e.key === "j" ? ticket.dataset.next : ticket.dataset.prev;
          if (to) location.href = to;
        } else {
          const links = $$("#queue-body a.num");
          if (!links.length) break;
          let i = links.indexOf(document.activeElement);
          i = e.key === "j" ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
          links[i].focus();
        }
        break;
      }
      case "e": {
        const resolve = $("#resolve-form");
        if (resolve) resolve.requestSubmit();
        break;
      }
      case "g": pendingG = true; break;
    }
  });
})();
