/*
 * Mostrador's website chat widget. Embed with one tag (README):
 *   <script async src="https://BACKEND/widget/v1/mostrador.js" data-lang="auto" data-color="#12355b"
 *           data-position="right"></script>
 * It adds a launcher and a chat panel in an open shadow root, talks to the bot over socket.io, and keeps only an
 * unguessable session key in the browser (localStorage): the conversation itself comes back from the server.
 * Everything shown is built as DOM elements and text nodes, never parsed from strings: words are text.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || document.querySelector("[data-mostrador-widget]")) return;

  const MAX_CHARS = 5000;
  const STORE_KEY = "mostrador.session";
  const SEEN_KEY = "mostrador.seen";
  const OPEN_KEY = "mostrador.open";
  const WORDS = {
    es: {
      launcher: "Chat de ayuda",
      unread: (n) => (n === 1 ? "1 mensaje nuevo" : `${n} mensajes nuevos`),
      title: "Chat",
      subtitleOpen: "Te responde el asistente; una persona si la necesitas.",
      close: "Cerrar",
      log: "Conversación",
      input: "Escribe tu mensaje",
      send: "Enviar",
      typing: "Escribiendo…",
      you: "Tú",
      bot: "Asistente",
      agentOf: (name, business) => (name ? `${name} · ${business}` : business),
      welcome: "¡Hola! Soy el asistente de {business}. Pregúntame por envíos, pagos, devoluciones, garantías o el estado de tu ticket.",
      away: "Nuestro equipo no está ahora; vuelve el {when}. Mientras tanto el asistente te sigue respondiendo y puede abrirte un ticket.",
      offline: "Sin conexión con el chat. Reintentando… Lo que escribas se enviará apenas vuelva.",
      unavailable: "El chat no está disponible en este momento. Inténtalo de nuevo en unos minutos.",
      pending: "Se enviará al volver la conexión",
      tooLong: "Tu mensaje es demasiado largo: máximo 5.000 caracteres.",
      rateLimited: "Vas muy rápido: tu mensaje se enviará en un momento.",
      readMore: "Leer el artículo",
      csatGroup: "Califica la atención del 1 (mala) al 5 (excelente)",
      csatComment: "Comentario (opcional)",
      counter: (n) => `${n} de ${MAX_CHARS} caracteres`,
    },
    en: {
      launcher: "Help chat",
      unread: (n) => (n === 1 ? "1 new message" : `${n} new messages`),
      title: "Chat",
      subtitleOpen: "Our assistant answers; a person when you need one.",
      close: "Close",
      log: "Conversation",
      input: "Type your message",
      send: "Send",
      typing: "Typing…",
      you: "You",
      bot: "Assistant",
      agentOf: (name, business) => (name ? `${name} · ${business}` : business),
      welcome: "Hi! I'm {business}'s assistant. Ask me about shipping, payments, returns, warranties or your ticket's status.",
      away: "Our team is away right now and back on {when}. Meanwhile the assistant keeps answering and can open a ticket for you.",
      offline: "The chat is offline. Reconnecting… Whatever you write will be sent as soon as it is back.",
      unavailable: "The chat isn't available right now. Please try again in a few minutes.",
      pending: "Will be sent when the connection is back",
      tooLong: "Your message is too long: 5,000 characters at most.",
      rateLimited: "You're going fast: your message will be sent in a moment.",
      readMore: "Read the article",
      csatGroup: "Rate the help you got from 1 (bad) to 5 (excellent)",
      csatComment: "Comment (optional)",
      counter: (n) => `${n} of ${MAX_CHARS} characters`,
    },
  };

  // ---- settings from the script tag -------------------------------------------------------------------------
  const data = script.dataset;
  const backend = (data.backend || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  const lang = pickLanguage(data.lang || "auto");
  const t = WORDS[lang];
  const position = data.position === "left" ? "left" : "right";
  const accent = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(data.color || "") ? data.color : "#12355b";

  function pickLanguage(wanted) {
    const candidates = wanted && wanted !== "auto" ? [wanted] : [document.documentElement.lang, ...(navigator.languages || [navigator.language])];
    for (const candidate of candidates) {
      const code = String(candidate || "").slice(0, 2).toLowerCase();
      if (code === "es" || code === "en") return code;
    }
    return "es";
  }

  // ---- storage that survives reloads (and works, in memory, where localStorage is refused) -------------------
  const memory = {};
  const storage = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (_) { return memory[key] || null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (_) { memory[key] = value; }
    },
  };

  // ---- the DOM ------------------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const host = el("div", { "data-mostrador-widget": "" });
  host.style.setProperty("--mw-accent", accent);
  host.style.setProperty("--mw-on-accent", readableOn(accent));
  const root = host.attachShadow({ mode: "open" });
  const frame = el("div", { class: `mw mw-${position}`, hidden: true });
  const stylesheet = el("link", { rel: "stylesheet", href: `${backend}/widget/v1/mostrador.css` });
  const reveal = () => frame.removeAttribute("hidden");
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const badge = el("span", { class: "mw-badge", "aria-hidden": "true", hidden: true });
  const launcher = el(
    "button",
    { type: "button", class: "mw-launcher", "aria-expanded": "false", "aria-controls": "mw-panel", "aria-label": t.launcher },
    chatIcon(),
    badge,
  );
  const title = el("h2", { class: "mw-title", id: "mw-title", text: t.title });
  const subtitle = el("p", { class: "mw-subtitle", text: t.subtitleOpen });
  const closeButton = el("button", { type: "button", class: "mw-close", "aria-label": t.close }, closeIcon());
  const notice = el("p", { class: "mw-notice", hidden: true });
  const log = el("div", { class: "mw-log", role: "log", "aria-label": t.log, "aria-relevant": "additions", tabindex: "0" });
  const typing = el("p", { class: "mw-typing", role: "status" });
  const input = el("textarea", { class: "mw-input", rows: "1", maxlength: String(MAX_CHARS), "aria-label": t.input, placeholder: t.input });
  const counter = el("span", { class: "mw-counter", "aria-live": "polite" });
  const sendButton = el("button", { type: "submit", class: "mw-send", text: t.send });
  const composer = el("form", { class: "mw-composer" }, input, sendButton, counter);
  const panel = el(
    "section",
    { class: "mw-panel", id: "mw-panel", role: "dialog", "aria-labelledby": "mw-title", hidden: true },
    el("header", { class: "mw-header" }, el("div", {}, title, subtitle), closeButton),
    notice,
    log,
    typing,
    composer,
  );
  frame.append(panel, launcher);
  root.append(stylesheet, frame);

  function svg(path) {
    const ns = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    const shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    icon.append(shape);
    return icon;
  }
  function chatIcon() {
    return svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  }
  function closeIcon() {
    return svg("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z");
  }

  function readableOn(hex) {
    const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, (c) => c + c).slice(1) : hex.slice(1);
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return luminance > 0.18 ? "#111827" : "#ffffff";
  }

  // ---- text: plain text, links, **bold**, [label](https://…) and ticket numbers; nothing else is markup --------
  // Ticket numbers as mostrador/ticket_numbers.py makes them (T-000123, T-1000000; tests/ticketing/test_ticket_numbers.py).
  const INLINE = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]{1,2000})\)|\*\*([^*\n]{1,500})\*\*|(https?:\/\/[^\s<>"']{1,2000})|\b(T-\d{6,12})\b/g;

  function richText(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      let consumed = match[0];
      fragment.append(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) fragment.append(link(match[2], match[1]));
      else if (match[3]) fragment.append(el("strong", { text: match[3] }));
      else if (match[4]) {
        const url = match[4].replace(/[.,;:!?)]+$/, "");
        consumed = url;
        fragment.append(link(url, url));
      } else fragment.append(el("strong", { class: "mw-ticket", text: match[5] }));
      last = match.index + consumed.length;
    }
    fragment.append(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function link(url, label) {
    if (!/^https?:\/\//i.test(url)) return document.createTextNode(label);
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: label });
  }

  // ---- messages -----------------------------------------------------------------------------------------------
  let businessName = "Cóndor Store";
  let unread = 0;

  function senderLabel(message) {
    if (message.from === "customer") return t.you;
    if (message.from === "agent") return t.agentOf(message.agent_name, businessName);
    return t.bot;
  }

  function messageText(message) {
    let text = String(message.text || "");
    if (message.kb_article && message.kb_article.url) {
      // The answer ends with "More details: <url>": shown instead as a link named by the article's title.
      text = text.split("\n").filter((line) => !line.includes(message.kb_article.url)).join("\n");
    }
    if (message.from === "agent" && message.agent_name && text.startsWith(`${message.agent_name}: `)) {
      text = text.slice(message.agent_name.length + 2);
    }
    return text.trim();
  }

  function clearChoices() {
    for (const row of log.querySelectorAll(".mw-choices, .mw-csat")) row.remove();
  }

  function render(message, options = {}) {
    const from = message.from === "customer" ? "customer" : message.from === "agent" ? "agent" : "bot";
    const bubble = el("div", { class: `mw-message mw-from-${from}` });
    bubble.append(el("span", { class: "mw-sender", text: senderLabel(message) }));
    const body = el("p", { class: "mw-text" });
    body.append(richText(from === "customer" ? String(message.text || "") : messageText(message)));
    bubble.append(body);
    if (message.kb_article && /^https?:\/\//i.test(message.kb_article.url || "")) {
      const label = message.kb_article.title ? `${t.readMore}: ${message.kb_article.title}` : t.readMore;
      bubble.append(el("p", { class: "mw-article" }, link(message.kb_article.url, label)));
    }
    if (options.pending) bubble.append(el("span", { class: "mw-pending", text: t.pending }));
    log.append(bubble);
    const buttons = Array.isArray(message.buttons) ? message.buttons.filter((b) => b && b.title) : [];
    if (buttons.length && options.choices !== false) {
      clearChoices();
      log.append(message.csat ? csatChoices(buttons) : choices(buttons));
    }
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function choices(buttons) {
    const row = el("div", { class: "mw-choices" });
    for (const button of buttons) {
      const choice = el("button", { type: "button", class: "mw-choice", text: String(button.title) });
      choice.addEventListener("click", () => send(String(button.payload || button.title), String(button.title)));
      row.append(choice);
    }
    return row;
  }

  function csatChoices(buttons) {
    const group = el("div", { class: "mw-csat", role: "group", "aria-label": t.csatGroup });
    const comment = el("input", { type: "text", class: "mw-csat-comment", maxlength: "1000", "aria-label": t.csatComment, placeholder: t.csatComment });
    const row = el("div", { class: "mw-choices" });
    for (const button of buttons) {
      const choice = el("button", { type: "button", class: "mw-choice mw-score", text: String(button.title) });
      choice.addEventListener("click", () => {
        const extra = comment.value.trim();
        const score = String(button.payload || button.title);
        send(extra ? `${score} ${extra}` : score, extra ? `${button.title} — ${extra}` : String(button.title));
      });
      row.append(choice);
    }
    group.append(row, comment);
    return group;
  }

  function showTyping(on) {
    typing.textContent = on ? t.typing : "";
    typing.classList.toggle("mw-on", on);
    clearTimeout(showTyping.timer);
    if (on) showTyping.timer = setTimeout(() => showTyping(false), 30000);
  }

  function showNotice(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  function markUnread(count) {
    unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    launcher.setAttribute("aria-label", count ? `${t.launcher} (${t.unread(count)})` : t.launcher);
  }

  // ---- opening and closing -------------------------------------------------------------------------------------
  const isOpen = () => !panel.hidden;

  // An open chat stays open when the customer reloads or moves to another page of the site (this tab only).
  const tab = {
    get() { try { return window.sessionStorage.getItem(OPEN_KEY) === "1"; } catch (_) { return false; } },
    set(on) { try { on ? window.sessionStorage.setItem(OPEN_KEY, "1") : window.sessionStorage.removeItem(OPEN_KEY); } catch (_) { /* private mode */ } },
  };

  function open(options = {}) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.classList.add("mw-open");
    markUnread(0);
    storage.set(SEEN_KEY, String(Date.now() / 1000));
    tab.set(true);
    log.scrollTop = log.scrollHeight;
    if (options.focus !== false) input.focus();
    connect();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    frame.classList.remove("mw-open");
    tab.set(false);
    launcher.focus();
  }

  // The launcher opens the chat (or, when it is open, takes the customer to the message box); the panel's close
  // button and Escape close it.
  launcher.addEventListener("click", () => (isOpen() ? input.focus() : open()));
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    const n = input.value.length;
    counter.textContent = n > MAX_CHARS * 0.8 ? t.counter(n) : "";
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (send(text)) {
      input.value = "";
      counter.textContent = "";
    }
  });

  // ---- the conversation over socket.io ------------------------------------------------------------------------
  let config = null;
  let socket = null;
  let ready = false; // connected, session confirmed and history shown
  // Whether the customer has written in this conversation (history included). The page's language goes with the
  // first message only: it decides the bot's language when the words say nothing ("CS-1234567"); after that a
  // message without a language (an email, an order number) keeps the conversation's, whatever the page's.
  let spoken = false;
  let connecting = null;
  const outbox = [];

  function send(text, display) {
    const message = text.trim();
    if (!message) return false;
    if (message.length > MAX_CHARS) {
      showNotice(t.tooLong);
      return false;
    }
    clearChoices();
    const item = { message, metadata: display ? { display } : {} };
    const bubble = render({ from: "customer", text: display || message }, { pending: !ready });
    if (ready) emit(item);
    else {
      outbox.push(item);
      item.bubble = bubble;
      connect();
    }
    return true;
  }

  function emit(item) {
    showTyping(true);
    const metadata = spoken ? item.metadata : { ...item.metadata, locale: lang };
    spoken = true;
    socket.emit("user_uttered", { message: item.message, metadata });
  }

  function renderHistory(messages) {
    log.replaceChildren();
    if (!messages.length) render({ from: "bot", text: t.welcome.replace("{business}", businessName) }, { choices: false });
    const seen = Number(storage.get(SEEN_KEY) || 0);
    let fresh = 0;
    messages.forEach((message, i) => {
      render(message, { choices: i === messages.length - 1 });
      if (message.from !== "customer" && (message.timestamp || 0) > seen) fresh += 1;
    });
    if (!isOpen() && seen) markUnread(fresh);
    if (isOpen()) storage.set(SEEN_KEY, String(Date.now() / 1000));
  }

  async function loadConfig() {
    try {
      const response = await fetch(`${backend}/widget/v1/config`, { credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = await response.json();
      storage.set("mostrador.config", JSON.stringify(fresh));
      return fresh;
    } catch (_) {
      // The backend is down: the bot may well be up, and the last settings we saw still say where it is.
      try { return JSON.parse(storage.get("mostrador.config") || "null"); } catch (__) { return null; }
    }
  }

  function showHours() {
    const hours = config && config.hours;
    if (!hours || hours.open || !hours.opens_at) return;
    const when = new Intl.DateTimeFormat(lang === "es" ? "es-CL" : "en-US", {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: hours.timezone, timeZoneName: "longGeneric",  // "hora de Chile", not "CLST" or "GMT-3"
    }).format(new Date(hours.opens_at));
    subtitle.textContent = t.away.replace("{when}", when);
    subtitle.classList.add("mw-away");
  }

  function connect() {
    if (!connecting) connecting = start().catch(() => {
      connecting = null;
      showNotice(t.unavailable);
    });
    return connecting;
  }

  async function start() {
    config = await loadConfig();
    if (!config || !config.socket_url) throw new Error("no settings");
    if (config.name) businessName = config.name;
    title.textContent = businessName;
    showHours();
    const { io } = await import(`${backend}/widget/v1/vendor/socket.io.esm.min.js`);
    socket = io(config.socket_url, {
      path: config.socket_path || "/socket.io",
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
    });
    socket.on("connect", () => socket.emit("session_request", { session_id: storage.get(STORE_KEY) }));
    socket.on("session_confirm", (confirm) => {
      if (confirm && typeof confirm.session_id === "string") storage.set(STORE_KEY, confirm.session_id);
    });
    socket.on("history", (payload) => {
      const messages = Array.isArray(payload && payload.messages) ? payload.messages : [];
      spoken = spoken || messages.some((m) => m && m.from === "customer");
      renderHistory(messages);
      ready = true;
      showNotice("");
      for (const item of outbox.splice(0)) {
        render({ from: "customer", text: (item.metadata && item.metadata.display) || item.message });
        emit(item);
      }
    });
    socket.on("bot_uttered", (message) => {
      render(message);
      if (!isOpen()) markUnread(unread + 1);
      else storage.set(SEEN_KEY, String(Date.now() / 1000));
    });
    socket.on("user_echo", (message) => render({ ...message, from: "customer" }));
    socket.on("bot_done", () => {
      showTyping(false);
      if (notice.textContent === t.rateLimited) showNotice("");
    });
    socket.on("widget_error", (error) => {
      const code = error && error.code;
      if (code === "rate_limited" && typeof error.message === "string") {
        // Too fast for the bot: the same message again once the socket may send (nothing is lost).
        const retry = { message: error.message, metadata: error.metadata || {} };
        setTimeout(() => (ready ? emit(retry) : outbox.push(retry)), Math.min(10, Number(error.retry_after) || 1) * 1000 + 50);
        showNotice(t.rateLimited);
        return;
      }
      showTyping(false);
      showNotice(code === "too_long" ? t.tooLong : t.unavailable);
    });
    const offline = () => {
      ready = false;
      showTyping(false);
      showNotice(t.offline);
    };
    socket.on("disconnect", offline);
    socket.on("connect_error", offline);
  }

  function mount() {
    document.body.append(host);
    if (tab.get()) open({ focus: false });
    // A returning customer's conversation is connected at once, so a reply that arrives shows on the badge.
    else if (storage.get(STORE_KEY)) connect();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
