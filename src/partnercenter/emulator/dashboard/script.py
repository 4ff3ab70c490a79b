"""The dashboard's script: polls the live log, drives the decoder and the controls.

It writes only ``textContent`` (never HTML), so a UPN or a scope cannot become markup, and
sends the session's CSRF token in a header with every change.
"""

SCRIPT = r"""
"use strict";
const app = document.getElementById("app");
const csrf = app.dataset.csrf;
const $ = (id) => document.getElementById(id);
function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}
async function call(method, path, body) {
  const init = {method, credentials: "same-origin", headers: {"x-dashboard-csrf": csrf}};
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (e) { data = {message: "no JSON answer"}; }
  if (!response.ok) {
    throw new Error((data && (data.message || data.error)) || ("HTTP " + response.status));
  }
  return data;
}
const admin = (method, path, body) => call(method, "/_emulator/ui/admin/" + path, body);
function report(message, ok) {
  const el = $("control-result");
  el.textContent = message;
  el.className = ok ? "" : "error";
}
function iso(epoch) {
  try { return new Date(epoch * 1000).toISOString().replace(".000Z", "Z"); }
  catch (e) { return "?"; }
}

// -- live log -------------------------------------------------------------------------
let after = 0;
const MAX_ROWS = 500;
async function poll() {
  try {
    const data = await call("GET", "/_emulator/ui/log?after=" + after);
    const body = $("log-table").tBodies[0];
    for (const entry of data.entries) {
      after = Math.max(after, entry.seq);
      const row = document.createElement("tr");
      row.className = "s" + String(entry.status).charAt(0);
      const who = [entry.grant_type, entry.app || entry.client_id, entry.scope, entry.caller]
        .filter((x) => x).join(" · ");
      for (const cell of [entry.seq, iso(entry.at), entry.kind,
                          entry.method + " " + entry.path, entry.status, entry.ms, who,
                          entry.error || ""]) {
        row.appendChild(text("td", cell));
      }
      body.insertBefore(row, body.firstChild);
    }
    while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
    $("log-status").textContent = "live: " + body.rows.length + " shown";
  } catch (e) {
    $("log-status").textContent = "log unavailable: " + e.message;
  }
  setTimeout(poll, 1000);
}
poll();

// -- token decoder ----------------------------------------------------------------------
$("decode").addEventListener("click", async () => {
  const out = $("decoded");
  out.replaceChildren();
  try {
    const r = await call("POST", "/_emulator/ui/decode", {token: $("token-input").value});
    if (!r.ok) { out.appendChild(text("p", r.error, "error")); return; }
    const sig = text("p", (r.signature.valid ? "signature valid: " : "signature INVALID: ") +
                     r.signature.detail, r.signature.valid ? "badge good" : "badge bad");
    sig.id = "decoded-signature";
    out.appendChild(sig);
    const kind = text("p", "kind: " + r.kind + (r.kind === "app + user"
      ? (r.mfa ? " (with MFA)" : " (WITHOUT MFA)") : ""));
    kind.id = "decoded-kind";
    out.appendChild(kind);
    if (r.times.expires_in !== undefined) {
      out.appendChild(text("p", r.times.expired ? "expired " + (-r.times.expires_in) +
        " s ago (emulator clock)" : "expires in " + r.times.expires_in + " s (emulator clock)"));
    }
    const notes = document.createElement("ul");
    notes.id = "decoded-partner-center";
    for (const note of r.partner_center) notes.appendChild(text("li", note, "error"));
    if (!r.partner_center.length) {
      notes.appendChild(text("li", "Partner Center would accept this token's audience and MFA."));
    }
    out.appendChild(notes);
    out.appendChild(text("h3", "header"));
    out.appendChild(text("pre", JSON.stringify(r.header, null, 2)));
    out.appendChild(text("h3", "claims"));
    const claims = text("pre", JSON.stringify(r.claims, null, 2));
    claims.id = "decoded-claims";
    out.appendChild(claims);
  } catch (e) {
    out.appendChild(text("p", e.message, "error"));
  }
});

// -- controls ---------------------------------------------------------------------------
function fields(form, numeric) {
  const spec = {};
  for (const el of form.elements) {
    if (!el.name || el.value === "") continue;
    spec[el.name] = numeric.includes(el.name) ? Number(el.value) : el.value;
  }
  return spec;
}
async function showFaults() {
  const data = await admin("GET", "faults");
  $("faults").textContent = JSON.stringify(data, null, 2);
}
async function showThrottling() {
  const data = await admin("GET", "throttling");
  $("throttling").textContent = JSON.stringify(data, null, 2);
}
function showClock(data) {
  $("clock-now").textContent = iso(data.now);
  $("clock-offset").textContent = String(Math.round(data.offset));
}
async function act(fn, done) {
  try { const data = await fn(); report(done(data), true); }
  catch (e) { report(e.message, false); }
}
$("fault-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const spec = fields(ev.target, ["rate", "count", "latency_ms", "status"]);
  act(async () => { const d = await admin("POST", "faults", spec); await showFaults(); return d; },
      (d) => "fault rule " + d.added.id + " added");
});
$("clear-faults").addEventListener("click", () =>
  act(async () => { await admin("DELETE", "faults"); await showFaults(); },
      () => "faults cleared"));
$("throttling-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const names = ["rate_per_second", "burst", "customer_rate_per_second", "customer_burst"];
  act(async () => { await admin("POST", "throttling", fields(ev.target, names));
                    await showThrottling(); }, () => "throttling changed");
});
$("reset-throttling").addEventListener("click", () =>
  act(async () => { await admin("DELETE", "throttling"); await showThrottling(); },
      () => "throttling restored"));
$("clock-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const seconds = Number(ev.target.elements.advance.value);
  act(async () => {
    const d = await admin("POST", "clock", {advance: seconds}); showClock(d); return d; },
      (d) => "clock advanced to " + iso(d.now));
});
for (const button of document.querySelectorAll("button.advance")) {
  button.addEventListener("click", () => act(async () => {
    const d = await admin("POST", "clock", {advance: Number(button.dataset.seconds)});
    showClock(d); return d; }, (d) => "clock advanced to " + iso(d.now)));
}
$("reset-clock").addEventListener("click", () => act(async () => {
  const d = await admin("POST", "clock", {reset: true}); showClock(d); return d; },
  () => "clock reset"));
$("rotate-keys").addEventListener("click", () =>
  act(() => admin("POST", "keys/rotate"), (d) => "new signing key " + d.active_kid));
$("reset-stats").addEventListener("click", () =>
  act(() => admin("POST", "stats/reset"), () => "counters reset"));
for (const button of document.querySelectorAll("button.revoke")) {
  button.addEventListener("click", () => act(
    () => admin("POST", "users/" + encodeURIComponent(button.dataset.upn) + "/revoke"),
    (d) => d.revoked_refresh_tokens + " refresh token(s) of " + d.upn + " revoked"));
}
showFaults().catch((e) => report(e.message, false));
showThrottling().catch((e) => report(e.message, false));
"""
