"""The dashboard over HTTP: sign-in, cookie, CSRF, what it shows and what it never shows."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.emulator.clock import Clock
from partnercenter.emulator.dashboard.live_log import caller, error_text
from partnercenter.emulator.dashboard.sessions import Sessions
from partnercenter.emulator.journal import Journal, JournalEntry, JournalMiddleware

from ..emulator_support import mint
from ..testing.test_journal import entry
from .conftest import HOSTILE, HOSTILE_UPN, app_token, sign_in, user_tokens


def api_entry(**fields: Any) -> JournalEntry:
    """A journal entry of a Partner Center API call (tests set the fields that matter)."""
    return entry(**{"kind": "api", "method": "GET", "path": "/v1/customers", **fields})


def test_without_a_session_the_page_is_a_login_form(client: httpx.Client) -> None:
    page = client.get("/_emulator/ui")
    assert page.status_code == 200
    assert 'name="admin_key"' in page.text and 'type="password"' in page.text
    assert 'method="post"' in page.text  # the key travels in a body, never in a URL
    assert "<table" not in page.text


def test_wrong_key_is_refused_without_a_cookie(emulator: Emulator, client: httpx.Client) -> None:
    response = client.post("/_emulator/ui/login", data={"admin_key": "not-the-key"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert "That is not this emulator" in response.text
    assert "not-the-key" not in response.text
    # A key in the query string is not a way in.
    response = client.post(f"/_emulator/ui/login?admin_key={emulator.admin_key}")
    assert response.status_code == 401


def test_login_sets_an_httponly_strict_cookie_that_is_not_the_key(
    emulator: Emulator, client: httpx.Client
) -> None:
    response = client.post("/_emulator/ui/login", data={"admin_key": emulator.admin_key})
    assert response.status_code == 303
    assert response.headers["location"] == "/_emulator/ui"
    cookie = response.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Secure", "Path=/_emulator/ui"):
        assert attribute in cookie
    assert emulator.admin_key not in cookie
    page = client.get("/_emulator/ui")
    assert emulator.admin_key not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'nonce-" in policy and "default-src 'none'" in policy
    assert page.headers["cache-control"] == "no-store"


def test_page_shows_directory_and_grants_but_no_secret(
    emulator: Emulator, client: httpx.Client
) -> None:
    user_tokens(emulator, client, "admin@contosopartner.onmicrosoft.com")
    tokens = user_tokens(emulator, client, HOSTILE_UPN)
    sign_in(client, emulator.admin_key)
    text = client.get("/_emulator/ui").text
    for app in emulator.apps:
        assert app["client_id"] in text
        if app.get("client_secret"):
            assert app["client_secret"] not in text
    for user in emulator.users:
        assert user["password"] not in text
        if user.get("totp_secret"):
            assert user["totp_secret"] not in text
    assert tokens["refresh_token"] not in text and tokens["access_token"] not in text
    assert "TOTP registered" in text and "none: tokens lack mfa" in text
    assert "user_impersonation" in text  # the consent
    # Hostile names are escaped, never markup.
    assert HOSTILE not in text and "<script>window.pwned" not in text
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in text


def test_json_calls_need_the_session_and_its_csrf_token(
    emulator: Emulator, client: httpx.Client
) -> None:
    assert client.get("/_emulator/ui/log").status_code == 401
    csrf = sign_in(client, emulator.admin_key)
    assert client.get("/_emulator/ui/log").status_code == 403
    assert client.get("/_emulator/ui/log", headers={"x-dashboard-csrf": "wrong"}).status_code == 403
    response = client.post(
        "/_emulator/ui/admin/clock", json={"advance": 10}, headers={"x-dashboard-csrf": "x" * 32}
    )
    assert response.status_code == 403
    assert client.get("/_emulator/ui/log", headers={"x-dashboard-csrf": csrf}).status_code == 200


def test_controls_go_through_the_admin_api_and_only_the_allowed_calls(
    emulator: Emulator, client: httpx.Client
) -> None:
    headers = {"x-dashboard-csrf": sign_in(client, emulator.admin_key)}
    before = emulator.state.clock.now()
    moved = client.post("/_emulator/ui/admin/clock", json={"advance": 3600}, headers=headers)
    assert moved.status_code == 200 and moved.json()["now"] >= before + 3600
    bad = client.post("/_emulator/ui/admin/clock", json={"advance": "soon"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_value"
    client.post("/_emulator/ui/admin/clock", json={"reset": True}, headers=headers)
    rule = client.post("/_emulator/ui/admin/faults", json={"status": 503}, headers=headers)
    assert rule.status_code == 200 and rule.json()["rules"][0]["statuses"] == [503]
    assert client.delete("/_emulator/ui/admin/faults", headers=headers).json()["rules"] == []
    limits = client.post(
        "/_emulator/ui/admin/throttling", json={"burst": 5}, headers=headers
    ).json()
    assert limits["burst"] == 5
    client.delete("/_emulator/ui/admin/throttling", headers=headers)
    # info holds every secret: the dashboard cannot fetch it.
    assert client.get("/_emulator/ui/admin/info", headers=headers).status_code == 404
    assert client.post("/_emulator/ui/admin/api/reset", headers=headers).status_code == 404
    assert client.get("/_emulator/ui/admin/../info", headers=headers).status_code in (404, 401)


def test_decoder_names_kind_mfa_signature_and_the_traps(
    emulator: Emulator, client: httpx.Client
) -> None:
    headers = {"x-dashboard-csrf": sign_in(client, emulator.admin_key)}

    def decode(token: str) -> dict[str, object]:
        response = client.post("/_emulator/ui/decode", json={"token": token}, headers=headers)
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    app_only = decode(app_token(emulator, client).json()["access_token"])
    assert app_only["kind"] == "app-only" and app_only["partner_center"] == []
    assert app_only["signature"] == {
        "valid": True,
        "detail": f"verified with key {emulator.state.keys.active.kid} (the active key)",
    }
    with_mfa = decode(
        user_tokens(emulator, client, "admin@contosopartner.onmicrosoft.com")["access_token"]
    )
    assert with_mfa["kind"] == "app + user" and with_mfa["mfa"] is True
    assert with_mfa["partner_center"] == []
    no_mfa = decode(mint(emulator, mfa=False))
    assert no_mfa["mfa"] is False
    assert any(str(n).startswith("900421") for n in no_mfa["partner_center"])  # type: ignore[attr-defined]
    graph = decode(mint(emulator, user=False, aud="https://graph.windows.net"))
    assert any(str(n).startswith("900420") for n in graph["partner_center"])  # type: ignore[attr-defined]
    header, payload, signature = mint(emulator).split(".")
    tampered = decode(f"{header}.{payload}.{signature[:-4]}AAAA")
    assert tampered["signature"]["valid"] is False  # type: ignore[index]
    assert decode("not a token")["ok"] is False
    assert decode("a.b.c")["ok"] is False
    too_big = client.post("/_emulator/ui/decode", json={"token": "a" * 20000}, headers=headers)
    assert too_big.json()["ok"] is False
    wrong = client.post("/_emulator/ui/decode", content=b"[1]", headers=headers)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_json"


def test_live_log_records_requests_without_secrets(
    emulator: Emulator, client: httpx.Client
) -> None:
    headers = {"x-dashboard-csrf": sign_in(client, emulator.admin_key)}
    last = client.get("/_emulator/ui/log", headers=headers).json()["last"]
    token = app_token(emulator, client).json()["access_token"]
    app_token(emulator, client, client_secret="wrong-secret-value")
    client.get("/v1/customers?size=1", headers={"Authorization": f"Bearer {token}"})
    client.get("/v1/profiles/organization", headers={"Authorization": f"Bearer {token}"})
    entries = client.get(f"/_emulator/ui/log?after={last}", headers=headers).json()["entries"]
    assert [e["status"] for e in entries] == [200, 401, 200, 403]
    assert entries[0]["grant_type"] == "client_credentials" and entries[0]["kind"] == "token"
    assert entries[0]["app"] == "partner-center-app"
    assert entries[0]["scope"] == "https://api.partnercenter.microsoft.com/.default"
    assert entries[1]["error"] == "AADSTS7000215 invalid_client"
    assert entries[2]["path"] == "/v1/customers"  # the query is not shown
    assert entries[2]["caller"] == "app-only" and entries[2]["app"] == "partner-center-app"
    assert entries[3]["error"] == "Partner Center 900154"
    dump = str(entries)
    assert token not in dump and "wrong-secret-value" not in dump
    assert emulator.app("partner-center-app")["client_secret"] not in dump
    # The dashboard's own traffic and the admin API are not logged.
    assert not any(e["path"].startswith("/_emulator") for e in entries)
    # The rows are the emulator's one journal, the one tests read, numbered by its sequence.
    journal = emulator.state.journal
    numbered = {seq: entry for seq, entry in journal.after(last)}
    assert [numbered[e["seq"]].status for e in entries] == [200, 401, 200, 403]
    assert numbered[entries[1]["seq"]].error == "AADSTS7000215"


def test_live_log_shows_what_arrived_before_the_dashboard_opened(
    emulator: Emulator, client: httpx.Client
) -> None:
    marker = f"/v1/customers/before-{time.monotonic_ns()}"
    client.get(marker)  # no token: Partner Center's 401
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as viewer:
        headers = {"x-dashboard-csrf": sign_in(viewer, emulator.admin_key)}
        entries = viewer.get("/_emulator/ui/log", headers=headers).json()["entries"]
    (row,) = [e for e in entries if e["path"] == marker]
    assert row["status"] == 401 and row["caller"] is None


def test_live_log_shows_a_dropped_connection_while_the_dashboard_is_open(
    emulator: Emulator, client: httpx.Client
) -> None:
    headers = {"x-dashboard-csrf": sign_in(client, emulator.admin_key)}
    last = client.get("/_emulator/ui/log", headers=headers).json()["last"]
    bearer = {"Authorization": f"Bearer {mint(emulator)}"}
    rule = emulator.state.faults.add({"target": "api", "drop": True, "count": 1})
    try:
        with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as doomed:
            with pytest.raises(httpx.TransportError):
                doomed.get("/v1/profiles/legalbusiness", headers=bearer)
    finally:
        emulator.state.faults.remove(rule.id)
    # Recorded once the server notices the disconnect, a moment after the client gave up.
    deadline = time.monotonic() + 10
    rows: list[dict[str, Any]] = []
    while not rows and time.monotonic() < deadline:
        found = client.get(f"/_emulator/ui/log?after={last}", headers=headers).json()["entries"]
        rows = [e for e in found if e["path"] == "/v1/profiles/legalbusiness"]
        time.sleep(0.02)
    assert [(r["status"], r["error"]) for r in rows] == [(0, "no answer (connection dropped)")]
    assert rows[0]["caller"] == "app + user admin@contosopartner.onmicrosoft.com (MFA)"


def test_the_journal_is_polled_by_sequence_number_through_bounds_expiry_and_clear() -> None:
    now = [1000.0]
    journal = Journal(max_entries=3, ttl_seconds=60, monotonic=lambda: now[0])
    for i in range(5):
        journal.record(api_entry(path=f"/{i}"))
    assert [(seq, e.path) for seq, e in journal.after(0)] == [(3, "/2"), (4, "/3"), (5, "/4")]
    assert [seq for seq, _ in journal.after(4)] == [5]
    assert [seq for seq, _ in journal.after(0, limit=2)] == [4, 5]
    assert journal.after(0, limit=0) == []
    now[0] += 61
    assert journal.after(0) == [] and len(journal) == 0
    assert journal.last_seq == 5
    # A reset empties the journal but numbers go on, so a page polling with ``after`` sees
    # what comes next.
    journal.record(api_entry(path="/before-clear"))
    journal.clear()
    journal.record(api_entry(path="/after-clear"))
    assert [(seq, e.path) for seq, e in journal.after(5)] == [(7, "/after-clear")]


def test_sessions_are_bounded_and_expire() -> None:
    now = [0.0]
    sessions = Sessions(lifetime=10, max_sessions=2, monotonic=lambda: now[0])
    first, _ = sessions.open()
    second, _ = sessions.open()
    third, _ = sessions.open()
    assert sessions.get(first) is None and sessions.get(third) is not None
    now[0] = 11
    assert sessions.get(second) is None and sessions.get(third) is None
    assert sessions.get("x" * 1000) is None


@pytest.mark.parametrize(
    ("fields", "who", "error"),
    [
        ({"token_kind": "app", "client_id": "a"}, "app-only", None),
        ({"token_kind": "user", "user": "u@x", "mfa": False}, "app + user u@x (no MFA)", None),
        ({"status": 401, "error": "900154"}, None, "Partner Center 900154"),
        ({"status": 404, "error": "404"}, None, None),
        ({"status": 429, "error": "429"}, None, "throttled"),
        ({"status": 0}, None, "no answer (connection dropped)"),
        ({"kind": "token", "status": 400, "error": "AADSTS900144"}, None, "AADSTS900144"),
        ({"kind": "token", "token_kind": "app"}, None, None),
    ],
)
def test_rows_say_who_called_and_what_failed(
    fields: dict[str, Any], who: str | None, error: str | None
) -> None:
    recorded = api_entry(**fields)
    assert (caller(recorded), error_text(recorded)) == (who, error)


def test_journal_middleware_passes_oversized_token_bodies_through() -> None:
    journal = Journal()
    seen: list[bytes] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        message = await receive()  # type: ignore[operator]
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    body = b"grant_type=client_credentials&client_secret=" + b"s" * 70000

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: object) -> None:
        return None

    scope = {"type": "http", "path": "/t/oauth2/v2.0/token", "method": "POST", "headers": []}
    middleware = JournalMiddleware(app, journal, Clock())  # type: ignore[arg-type]
    anyio.run(middleware, scope, receive, send)  # type: ignore[arg-type]
    assert seen == [body]
    (entry,) = journal.entries()
    assert entry.grant_type is None and entry.status == 200


def test_odd_input_gets_a_clear_answer_never_a_500(
    emulator: Emulator, client: httpx.Client
) -> None:
    login = "/_emulator/ui/login"
    assert client.post(login, content=b"\xff\xfe\x00admin_key").status_code == 401
    assert client.post(login, content=b"admin_key=a&admin_key=b").status_code == 401
    assert client.post(login, content=b"x" * 10_000).status_code == 401
    headers = {"x-dashboard-csrf": sign_in(client, emulator.admin_key)}
    deep = b"[" * 100_000 + b"]" * 100_000
    answers = [
        client.post("/_emulator/ui/decode", content=deep, headers=headers),
        client.post("/_emulator/ui/decode", content=b'{"token": 5}', headers=headers),
        client.post("/_emulator/ui/decode", content=b"\xff", headers=headers),
        client.post("/_emulator/ui/admin/faults", content=b"not json", headers=headers),
        client.post("/_emulator/ui/admin/faults", json={"status": 418}, headers=headers),
        client.put("/_emulator/ui/admin/faults", headers=headers),
        client.get("/_emulator/ui/log?after=-5", headers=headers),
        client.get("/_emulator/ui/log?after=99999999999999999999999", headers=headers),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/json"), answer.text
    assert [a.status_code for a in answers[:5]] == [413, 400, 400, 400, 400]
