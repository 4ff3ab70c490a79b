"""What the request journal costs per request, and what a dashboard poll costs to read it.

The emulator's one journal (``emulator/journal.py``) records every request, for tests, the
admin API and the dashboard's live log. In one run, side by side, this script sends the same
requests through a stub ASGI application bare and with the journal's layer around it:

* a token request (a client-credentials form, a token answer whose claims are kept);
* a Partner Center API call with a bearer token (200);
* an API call that fails (401 with Partner Center's error body, which is kept).

The peer for the token request is the journal as it was merged, which decoded the whole form
with ``parse_qsl`` on every request (``before`` column, patched in for the run; the
re-encoding of the kept values it adds is well under a microsecond).

Each figure is the best of ``--batches`` batches of ``--requests`` requests (the least
disturbed by other load on the machine), in microseconds per request. Then the reader's side:
a dashboard poll of ``--rows`` new entries (the first read builds them from what was recorded)
and the same poll again when nothing is new.

    .venv/bin/python benchmarks/bench_journal.py [--requests 5000] [--batches 7] [--rows 500]
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partnercenter.emulator import journal as journal_module
from partnercenter.emulator.clock import Clock
from partnercenter.emulator.dashboard.live_log import rows
from partnercenter.emulator.directory import Directory
from partnercenter.emulator.journal import Journal, JournalMiddleware


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.{'s' * 342}"


TOKEN = _jwt(
    {
        "aud": "https://api.partnercenter.microsoft.com",
        "appid": "11111111-2222-3333-4444-555555555555",
        "tid": "contoso",
        "upn": "admin@contoso.example",
        "scp": "user_impersonation",
        "amr": ["pwd", "mfa"],
    }
)
FORM = (
    b"grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555"
    b"&client_secret=not-a-real-secret&scope=https%3A%2F%2Fapi.partnercenter.microsoft.com"
    b"%2F.default"
)
TOKEN_ANSWER = json.dumps(
    {"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN}, separators=(",", ":")
).encode()
ERROR_ANSWER = b'{"code":900154,"description":"The token is not valid.","data":[],"source":"PC"}'

CASES: dict[str, tuple[Scope, int, bytes]] = {
    "token request": (
        {
            "type": "http",
            "method": "POST",
            "path": "/contoso/oauth2/v2.0/token",
            "query_string": b"",
            "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        },
        200,
        TOKEN_ANSWER,
    ),
    "API call": (
        {
            "type": "http",
            "method": "GET",
            "path": "/v1/customers",
            "query_string": b"size=10",
            "headers": [(b"authorization", f"Bearer {TOKEN}".encode())],
        },
        200,
        b'{"totalCount":0,"items":[]}',
    ),
    "API call, 401": (
        {
            "type": "http",
            "method": "GET",
            "path": "/v1/customers",
            "query_string": b"",
            "headers": [(b"authorization", b"Bearer not-a-token")],
        },
        401,
        ERROR_ANSWER,
    ),
}


@contextmanager
def form_parsing_before() -> Iterator[None]:
    """The token form read as the merged journal read it: all of it, with ``parse_qsl``."""
    original = journal_module._kept_form_fields

    def parse_all(body: bytes) -> dict[str, bytes]:
        try:
            form = dict(parse_qsl(body.decode("utf-8"), max_num_fields=100))
        except (ValueError, UnicodeDecodeError):
            return {}
        kept = ("grant_type", "client_id", "scope", "resource")
        return {k: form[k].encode() for k in kept if k in form}

    journal_module._kept_form_fields = parse_all
    try:
        yield
    finally:
        journal_module._kept_form_fields = original


def stub(status: int, body: bytes) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return app


async def receive() -> Message:
    return {"type": "http.request", "body": FORM, "more_body": False}


async def send(message: Message) -> None:
    return None


async def batch(app: ASGIApp, scope: Scope, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return time.perf_counter() - started


def measure(requests: int, batches: int) -> list[tuple[str, float, float, float | None]]:
    results = []
    for name, (scope, status, body) in CASES.items():
        bare = stub(status, body)
        # A journal big enough to hold every request, so recording never drops one.
        journal = Journal(max_entries=requests * batches * 3)
        wrapped = JournalMiddleware(bare, journal, Clock())
        best_bare = best_wrapped = best_before = float("inf")
        for _ in range(batches):  # interleaved, so all see the same load
            best_bare = min(best_bare, anyio.run(batch, bare, scope, requests))
            best_wrapped = min(best_wrapped, anyio.run(batch, wrapped, scope, requests))
            if name == "token request":
                with form_parsing_before():
                    best_before = min(best_before, anyio.run(batch, wrapped, scope, requests))
        before = None if best_before == float("inf") else best_before / requests * 1e6
        results.append((name, best_bare / requests * 1e6, best_wrapped / requests * 1e6, before))
    return results


def poll_cost(count: int) -> tuple[float, float]:
    journal = Journal()
    scope, status, body = CASES["API call"]
    anyio.run(batch, JournalMiddleware(stub(status, body), journal, Clock()), scope, count)
    directory = Directory()
    started = time.perf_counter()
    first = rows(journal, directory, 0)
    new = time.perf_counter() - started
    assert len(first) == count
    started = time.perf_counter()
    again = rows(journal, directory, journal.last_seq)
    idle = time.perf_counter() - started
    assert again == []
    return new, idle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()
    print(f"best of {args.batches} batches of {args.requests} requests, us per request")
    print(f"  {'':16} {'bare app':>10} {'+ journal':>10} {'journal':>10} {'before':>10}")
    for name, bare, wrapped, before in measure(args.requests, args.batches):
        was = "" if before is None else f"{before - bare:+10.2f}"
        print(f"  {name:16} {bare:10.2f} {wrapped:10.2f} {wrapped - bare:+10.2f} {was}")
    new, idle = poll_cost(args.rows)
    print(f"dashboard poll, {args.rows} new rows: {new * 1e3:.2f} ms")
    print(f"dashboard poll, nothing new: {idle * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
