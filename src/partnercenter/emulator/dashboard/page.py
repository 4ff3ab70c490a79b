"""The dashboard's HTML: server-rendered tables plus one small script (no build step).

Every value that reaches the page passes through :func:`esc` (UPNs, scopes, client and tenant
names come from config files and sign-ins, so they are untrusted), and the script only ever
sets ``textContent``. A per-response nonce lets the Content-Security-Policy forbid every
other script and style.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import Any

from .script import SCRIPT
from .style import STYLE


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def when(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    try:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "?"


def _document(title: str, body: str, nonce: str, script: bool) -> str:
    code = f'<script nonce="{esc(nonce)}">{SCRIPT}</script>' if script else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No favicon request (it would be the API's 404).
        '<link rel="icon" href="data:,">'
        f'<title>{esc(title)}</title><style nonce="{esc(nonce)}">{STYLE}</style></head>'
        f"<body>{body}{code}</body></html>"
    )


def login_page(nonce: str, error: str | None = None) -> str:
    message = f'<p class="error" id="login-error">{esc(error)}</p>' if error else ""
    body = (
        '<main class="login"><h1>partnercenter emulator</h1>'
        "<p>Sign in with the admin key from <code>emulator.json</code> "
        "(<code>admin_key</code>).</p>"
        f"{message}"
        '<form method="post" action="/_emulator/ui/login">'
        '<label>Admin key <input type="password" name="admin_key" id="admin_key" '
        'autocomplete="off" required autofocus></label>'
        '<button type="submit" id="sign-in">Sign in</button></form></main>'
    )
    return _document("Sign in: partnercenter emulator", body, nonce, script=False)


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], table_id: str) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    # Cells arrive already escaped (some carry markup such as <code> or badges).
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table id="{esc(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _list(values: Iterable[object]) -> str:
    return "<br>".join(esc(v) for v in values) or "—"


def _badge(text: str, good: bool) -> str:
    return f'<span class="badge {"good" if good else "bad"}">{esc(text)}</span>'


def dashboard_page(
    nonce: str,
    csrf: str,
    directory: dict[str, Any],
    grants: dict[str, Any],
    overview: dict[str, Any],
) -> str:
    tenants = _table(
        ["name", "id", "kind", "domains", "MFA"],
        (
            [
                esc(t["name"]),
                f"<code>{esc(t['id'])}</code>",
                esc(t["kind"]),
                _list(t["domains"]),
                esc(t["mfa"]),
            ]
            for t in directory["tenants"]
        ),
        "tenants",
    )
    apps = _table(
        [
            "name",
            "client id",
            "type",
            "home",
            "secrets",
            "certificates (SHA-1)",
            "redirect URIs",
            "app roles",
        ],
        (
            [
                esc(a["name"]),
                f"<code>{esc(a['client_id'])}</code>",
                esc(a["type"]),
                esc(a["home_tenant"]),
                esc(a["secrets"])
                + (
                    " (expire " + ", ".join(esc(when(x)) for x in a["secret_expiry"]) + ")"
                    if a["secrets"]
                    else ""
                ),
                _list(a["certificates"]),
                _list(a["redirect_uris"]),
                _list(f"{uri}: {', '.join(names)}" for uri, names in a["roles"].items()),
            ]
            for a in directory["apps"]
        ),
        "apps",
    )
    users = _table(
        ["user principal name", "name", "tenant", "roles", "MFA", ""],
        (
            [
                esc(u["upn"]),
                esc(u["display_name"]),
                esc(u["tenant"]),
                _list(u["roles"]),
                _badge(u["mfa"], u["mfa"] == "TOTP registered"),
                f'<button type="button" class="revoke" data-upn="{esc(u["upn"])}">'
                "revoke sessions</button>",
            ]
            for u in directory["users"]
        ),
        "users",
    )
    consents = _table(
        ["user", "app", "permissions granted"],
        ([esc(c["user"]), esc(c["app"]), _list(c["permissions"])] for c in grants["consents"]),
        "consents",
    )
    refresh = _table(
        ["user", "app", "amr", "issued", "usable until (unused)", "resource", "state"],
        (
            [
                esc(r["user"]),
                esc(r["app"]),
                _badge(" ".join(r["amr"]) or "—", "mfa" in r["amr"]),
                esc(when(r["issued"])),
                esc(when(r["usable_until"])),
                esc(r["resource"] or "—"),
                _badge("revoked", False) if r["revoked"] else "active",
            ]
            for r in grants["refresh_tokens"]
        ),
        "refresh-tokens",
    )
    stats = overview["stats"]
    body = f"""
<header><h1>partnercenter emulator</h1>
<nav><a href="#directory">directory</a> <a href="#grants">grants</a> <a href="#log">live log</a>
<a href="#decoder">token decoder</a> <a href="#controls">faults, throttling, clock</a>
<form method="post" action="/_emulator/ui/logout" class="inline">
<input type="hidden" name="csrf" value="{esc(csrf)}"><button type="submit">sign out</button></form>
</nav></header>
<main data-csrf="{esc(csrf)}" id="app">
<section id="overview"><h2>Overview</h2>
<p>Emulator clock: <strong id="clock-now">{esc(when(overview["now"]))}</strong>
(offset <span id="clock-offset">{esc(round(overview["offset"]))}</span> s).
Token requests: {esc(sum(stats["token_requests"].values()))}, tokens issued:
{esc(sum(stats["tokens_issued"].values()))}, token errors:
{esc(sum(stats["token_errors"].values()))}, API requests: {esc(stats["api_requests"])}.
<a href="/_emulator/ui">refresh</a></p></section>
<section id="directory"><h2>Directory</h2>
<h3>Tenants</h3>{tenants}<h3>Applications</h3>{apps}<h3>Users</h3>{users}</section>
<section id="grants"><h2>Grants</h2>
<h3>Consents ({esc(grants["consents_total"])})</h3>{consents}
<h3>Refresh tokens ({esc(grants["refresh_tokens_total"])}; values never shown)</h3>{refresh}
</section>
<section id="log"><h2>Live log</h2>
<p class="muted">Requests as they arrive, from the journal tests read too (the last hour;
bodies, queries and tokens are never shown). <span id="log-status">connecting…</span></p>
<table id="log-table"><thead><tr><th>#</th><th>time (emulator)</th><th>kind</th><th>request</th>
<th>status</th><th>ms</th><th>grant / client / caller</th><th>error</th></tr></thead>
<tbody></tbody></table></section>
<section id="decoder"><h2>Token decoder</h2>
<textarea id="token-input" rows="4" placeholder="paste an access token (eyJ...)"
autocomplete="off" spellcheck="false"></textarea>
<button type="button" id="decode">decode</button>
<div id="decoded"></div></section>
<section id="controls"><h2>Faults, throttling, clock</h2>
<div class="grid">
<form id="fault-form"><h3>Add a fault rule</h3>
<label>target <select name="target"><option>api</option><option>token</option>
<option>all</option></select></label>
<label>status <select name="status"><option value="">(none)</option><option>500</option>
<option>503</option><option>429</option></select></label>
<label>rate (0..1) <input name="rate" value="1" inputmode="decimal"></label>
<label>count <input name="count" inputmode="numeric" placeholder="unlimited"></label>
<label>latency ms <input name="latency_ms" inputmode="numeric" placeholder="0"></label>
<label>drop <select name="drop"><option value="">no</option><option>close</option>
<option>reset</option><option>after</option></select></label>
<label>path prefix <input name="path_prefix" placeholder="/v1/customers"></label>
<button type="submit">add rule</button>
<button type="button" id="clear-faults">clear all</button>
<pre id="faults"></pre></form>
<form id="throttling-form"><h3>Throttling</h3>
<label>rate per second <input name="rate_per_second" inputmode="decimal"></label>
<label>burst <input name="burst" inputmode="decimal"></label>
<label>per customer rate <input name="customer_rate_per_second" inputmode="decimal"></label>
<label>per customer burst <input name="customer_burst" inputmode="decimal"></label>
<button type="submit">apply</button>
<button type="button" id="reset-throttling">restore configured</button>
<pre id="throttling"></pre></form>
<form id="clock-form"><h3>Clock</h3>
<label>advance by seconds <input name="advance" inputmode="numeric" value="3600"></label>
<button type="submit">advance</button>
<button type="button" class="advance" data-seconds="86400">+1 day</button>
<button type="button" class="advance" data-seconds="7776000">+90 days</button>
<button type="button" id="reset-clock">reset</button>
<h3>Keys and counters</h3>
<button type="button" id="rotate-keys">rotate signing key</button>
<button type="button" id="reset-stats">reset counters</button>
</form>
</div>
<p id="control-result" role="status"></p>
</section></main>
"""
    return _document("partnercenter emulator", body, nonce, script=True)
