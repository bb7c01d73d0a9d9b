/* The help desk's web chat: embed it on any page with one tag,
 *   <script src="https://<api>/chat/widget.js" data-widget="<widget key>" data-title="Chat with us"></script>
 * Plain JavaScript, no framework, no build step. The visitor's token is kept in this site's local storage and sent
 * in the X-Visitor-Token header (never a cookie). Replies are polled: every few seconds while the panel is open,
 * slowly while it is closed (for the unread badge), never while the page is hidden. Everything shown is set as
 * text, never as HTML. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.HelpdeskChat) { return; }
  var base = me.src.replace(/\/chat\/widget\.js(?:[?#].*)?$/, "");
  var widgetKey = me.getAttribute("data-widget") || "default";
  var title = me.getAttribute("data-title") || "Chat with us";
  var storeKey = "helpdesk-chat:" + base + ":" + widgetKey;
  var openMs = 3000, CLOSED_MS = 15000, RETRY_MS = 2000, MAX_TEXT = 4096;
  var state = {token: null, email: null, cursor: null, open: false, timer: null, polling: false, again: false,
               starting: null, seen: {}, pending: {}, surveyFor: null, unread: 0};
  var ui = {};

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storeKey) || "{}");
      state.token = saved.token || null;
      state.email = saved.email || null;
    } catch (e) { /* storage refused: the chat still works for this page view */ }
  }

  function save() {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify({token: state.token, email: state.email}));
    } catch (e) { /* as above */ }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(bytes); }
    else { for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    return "m" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function call(method, path, body) {
    var headers = {};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers["X-Visitor-Token"] = state.token; }
    return window.fetch(base + path, {method: method, headers: headers, mode: "cors", credentials: "omit",
                                      body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return {status: response.status, data: data || {}};
        });
      });
  }

  function forget() {
    state.token = null; state.cursor = null; state.starting = null;
    save();
  }

  /* A new visitor, or the same one with a renewed token (and an email address when given). */
  function start(email) {
    var body = {widget: widgetKey};
    if (email) { body.email = email; }
    return call("POST", "/chat/visitors", body).then(function (answer) {
      if (answer.status === 401 && state.token) { forget(); return start(email); }
      if (answer.status !== 201) {
        throw new Error(answer.data.description || "The chat could not start (" + answer.status + ").");
      }
      state.token = answer.data.token;
      state.email = answer.data.visitor.email || null;
      if (answer.data.poll_ms) { openMs = answer.data.poll_ms; }
      save();
      showEmail();
      return answer.data;
    });
  }

  function started() {
    if (!state.starting) {
      state.starting = start(null).catch(function (error) { state.starting = null; throw error; });
    }
    return state.starting;
  }

  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
  }

  function showEmail() {
    ui.email.hidden = Boolean(state.email);
  }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  function bubble(from, text, author) {
    var node = el("div", "hdc-msg hdc-" + from);
    if (author) { node.appendChild(el("span", "hdc-author", author)); }
    node.appendChild(el("div", "hdc-text", text));
    ui.log.appendChild(node);
    scrollDown();
    return node;
  }

  function setBadge() {
    ui.badge.textContent = state.unread ? String(state.unread) : "";
    ui.badge.hidden = !state.unread;
  }

  function render(answer) {
    (answer.messages || []).forEach(function (message) {
      if (state.seen[message.id]) { return; }
      state.seen[message.id] = true;
      var mine = message.from === "visitor" && message.client_id && state.pending[message.client_id];
      if (mine) {
        mine.classList.remove("hdc-pending", "hdc-sent");
        mine.classList.add("hdc-delivered");
        mine.setAttribute("data-id", message.id);
        delete state.pending[message.client_id];
        return;
      }
      var node = bubble(message.from === "visitor" ? "visitor" : "agent", message.text,
                        message.from === "visitor" ? null : message.author);
      node.setAttribute("data-id", message.id);
      if (message.from !== "visitor" && !state.open) { state.unread += 1; setBadge(); }
    });
    if (answer.survey) { renderSurvey(answer.survey); }
  }

  function renderSurvey(survey) {
    var box = ui.log.querySelector('.hdc-survey[data-ticket="' + survey.ticket_id + '"]');
    if (survey.rated) {
      if (box) { thank(box); }
      return;
    }
    if (box || !survey.buttons) { return; }
    box = el("div", "hdc-survey");
    box.setAttribute("data-ticket", String(survey.ticket_id));
    box.appendChild(el("p", "hdc-question", survey.question));
    var row = el("div", "hdc-choices");
    survey.buttons.forEach(function (button) {
      var press = el("button", "hdc-choice", button.label);
      press.type = "button";
      press.setAttribute("data-score", String(button.payload).split(":")[2] || "");
      press.addEventListener("click", function () { rate(box, button); });
      row.appendChild(press);
    });
    box.appendChild(row);
    ui.log.appendChild(box);
    scrollDown();
  }

  function thank(box) {
    if (box.classList.contains("hdc-rated")) { return; }
    box.classList.add("hdc-rated");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(el("p", "hdc-thanks", "Thank you for your feedback!"));
  }

  function rate(box, button) {
    Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) { b.disabled = true; });
    deliver(newId(), button.label, button.payload, 0).then(function () { thank(box); }, function (error) {
      Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) { b.disabled = false; });
      showError(error.message);
    });
  }

  /* POST the message; a network failure is retried with the same id (the server keeps one). */
  function deliver(id, text, payload, attempt) {
    var body = {id: id, text: text};
    if (payload) { body.payload = payload; }
    return started().then(function () { return call("POST", "/chat/messages", body); }).then(function (answer) {
      if (answer.status === 202) { pollSoon(); return answer.data; }
      if (answer.status === 401 && attempt < 1) { forget(); return deliver(id, text, payload, attempt + 1); }
      throw new Error(answer.data.description || "The message could not be sent (" + answer.status + ").");
    }, function (error) {
      if (attempt >= 4 || !(error instanceof TypeError)) { throw error; }
      return new Promise(function (resolve) { setTimeout(resolve, RETRY_MS * (attempt + 1)); })
        .then(function () { return deliver(id, text, payload, attempt + 1); });
    });
  }

  function send(text) {
    var id = newId();
    var node = bubble("visitor", text, null);
    node.classList.add("hdc-pending");
    node.setAttribute("data-client-id", id);
    state.pending[id] = node;
    showError("");
    var email = ui.email.value.trim();
    var ready = email && email !== state.email
      ? started().then(function () { return start(email); }) : started();
    return ready.then(function () { return deliver(id, text, null, 0); }).then(function () {
      if (state.pending[id]) { node.classList.add("hdc-sent"); }
    }, function (error) {
      node.classList.remove("hdc-pending");
      node.classList.add("hdc-failed");
      delete state.pending[id];
      showError(error.message);
    });
  }

  function poll() {
    clearTimeout(state.timer);
    if (!state.token) { return; }
    if (state.polling) { state.again = true; return; }
    state.polling = true;
    var path = "/chat/messages" + (state.cursor ? "?after=" + encodeURIComponent(state.cursor) : "");
    call("GET", path).then(function (answer) {
      if (answer.status === 401) { forget(); return; }
      if (answer.status === 200) {
        render(answer.data);
        state.cursor = answer.data.cursor || state.cursor;
        if (answer.data.poll_ms) { openMs = answer.data.poll_ms; }
      }
    }).catch(function () { /* offline for a moment: the next poll tries again */ }).then(function () {
      state.polling = false;
      if (state.again) { state.again = false; poll(); } else { schedule(); }
    });
  }

  function pollSoon() { schedule(400); }

  function schedule(ms) {
    clearTimeout(state.timer);
    if (document.hidden || !state.token) { return; }
    state.timer = setTimeout(poll, ms !== undefined ? ms : (state.open ? openMs : CLOSED_MS));
  }

  function toggle(open) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      state.unread = 0;
      setBadge();
      ui.input.focus();
      started().then(poll, function (error) { showError(error.message); });
    } else {
      schedule();
    }
  }

  function icon() {  /* a speech bubble, drawn: an emoji would depend on the visitor's fonts */
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "hdc-launcher-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  function build() {
    var style = el("link");
    style.rel = "stylesheet";
    style.href = base + "/chat/widget.css";
    document.head.appendChild(style);
    var root = el("div", "hdc-root");
    ui.launcher = el("button", "hdc-launcher");
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-label", title);
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.appendChild(icon());
    ui.badge = el("span", "hdc-badge");
    ui.badge.hidden = true;
    ui.launcher.appendChild(ui.badge);
    ui.panel = el("div", "hdc-panel");
    ui.panel.hidden = true;
    ui.panel.setAttribute("role", "dialog");
    ui.panel.setAttribute("aria-label", title);
    var header = el("div", "hdc-header");
    header.appendChild(el("span", "hdc-title", title));
    var close = el("button", "hdc-close", "\u00D7");
    close.type = "button";
    close.setAttribute("aria-label", "Close the chat");
    header.appendChild(close);
    ui.log = el("div", "hdc-log");
    ui.log.setAttribute("role", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.log.appendChild(el("p", "hdc-hello", "Hi! Ask us anything: we answer here, usually within minutes."));
    ui.form = el("form", "hdc-form");
    ui.email = el("input", "hdc-email");
    ui.email.type = "email";
    ui.email.placeholder = "Your email for follow-ups (optional)";
    ui.email.setAttribute("aria-label", "Your email for follow-ups (optional)");
    ui.email.autocomplete = "email";
    var row = el("div", "hdc-row");
    ui.input = el("textarea", "hdc-input");
    ui.input.rows = 1;
    ui.input.maxLength = MAX_TEXT;
    ui.input.placeholder = "Write a message\u2026";
    ui.input.setAttribute("aria-label", "Your message");
    var sendButton = el("button", "hdc-send", "Send");
    sendButton.type = "submit";
    row.appendChild(ui.input);
    row.appendChild(sendButton);
    ui.error = el("p", "hdc-error");
    ui.error.setAttribute("role", "alert");
    ui.error.hidden = true;
    ui.form.appendChild(ui.email);
    ui.form.appendChild(row);
    ui.form.appendChild(ui.error);
    ui.panel.appendChild(header);
    ui.panel.appendChild(ui.log);
    ui.panel.appendChild(ui.form);
    root.appendChild(ui.panel);
    root.appendChild(ui.launcher);
    document.body.appendChild(root);
    ui.launcher.addEventListener("click", function () { toggle(!state.open); });
    close.addEventListener("click", function () { toggle(false); });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) { return; }
      ui.input.value = "";
      send(text);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey) { return; }
      event.preventDefault();
      if (ui.form.requestSubmit) { ui.form.requestSubmit(); } else { sendButton.click(); }
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
    showEmail();
  }

  function init() {
    load();
    build();
    if (state.token) { started().then(poll, function () { /* shown when the visitor opens the panel */ }); }
  }

  window.HelpdeskChat = {open: function () { toggle(true); }, close: function () { toggle(false); }};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
