"""``--debug``: a trace of every HTTP exchange on stderr, with every secret redacted.

Redacted: the ``Authorization`` header and cookies; form fields that carry secrets
(``client_secret``, ``client_assertion``, ``refresh_token``, ``code``, ``device_code``,
``code_verifier``, ``password``, ``assertion``); JSON fields that carry tokens or secrets
(``access_token``, ``refresh_token``, ``id_token``, ``device_code``, ``password`` and
anything named like a secret or key); and query parameters of the same names.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import click
import httpx

__all__ = ["event_hooks", "redact_form", "redact_json"]

REDACTED: Final = "<redacted>"
_SECRET_FIELDS: Final = frozenset(
    {
        "access_token",
        "assertion",
        "client_assertion",
        "client_secret",
        "code",
        "code_verifier",
        "device_code",
        "id_token",
        "otc",
        "password",
        "refresh_token",
        "token",
        "user_code",
    }
)
_SECRET_NAME: Final = re.compile(r"secret|password|token|key|assertion|credential", re.I)
_SECRET_HEADERS: Final = frozenset(
    {"authorization", "cookie", "set-cookie", "ms-continuationtoken", "proxy-authorization"}
)
_MAX_BODY: Final = 4000


def _secret(name: str) -> bool:
    return name.lower() in _SECRET_FIELDS or bool(_SECRET_NAME.search(name))


def redact_form(text: str) -> str:
    """A urlencoded body (or query) with secret fields replaced."""
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if _secret(k) else v) for k, v in pairs], safe="/:<>")


def redact_json(value: Any) -> Any:
    """A JSON value with the values of secret-named keys replaced, recursively."""
    if isinstance(value, dict):
        return {k: REDACTED if _secret(str(k)) else redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def _headers(headers: httpx.Headers) -> str:
    return "\n".join(
        f"  {name}: {REDACTED if name.lower() in _SECRET_HEADERS else value}"
        for name, value in headers.items()
    )


def _body(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"  <{len(content)} bytes>"
    if "json" in content_type:
        try:
            text = json.dumps(redact_json(json.loads(text)), ensure_ascii=False)
        except ValueError:
            return f"  <{len(content)} bytes, not JSON>"
    elif "x-www-form-urlencoded" in content_type:
        text = redact_form(text)
    else:
        # HTML pages and other text may embed anything (sign-in pages hold form tokens).
        return f"  <{len(content)} bytes of {content_type.split(';')[0] or 'data'}>"
    if len(text) > _MAX_BODY:
        text = text[:_MAX_BODY] + f"... ({len(text)} characters)"
    return "  " + text


def _url(url: httpx.URL) -> str:
    query = url.query.decode("ascii", "replace")
    base = str(url.copy_with(query=None))
    return f"{base}?{redact_form(query)}" if query else base


def event_hooks() -> dict[str, list[Callable[..., Any]]]:
    """httpx event hooks that print each request and response on stderr, redacted."""
    started: dict[int, float] = {}

    def on_request(request: httpx.Request) -> None:
        started[id(request)] = time.perf_counter()
        lines = [f"> {request.method} {_url(request.url)}", _headers(request.headers)]
        body = _body(request.content, request.headers.get("content-type", ""))
        if body:
            lines.append(body)
        click.echo("\n".join(lines), err=True)

    def on_response(response: httpx.Response) -> None:
        response.read()
        elapsed = time.perf_counter() - started.pop(id(response.request), time.perf_counter())
        lines = [
            f"< HTTP {response.status_code} {response.reason_phrase} ({elapsed * 1000:.0f} ms)",
            _headers(response.headers),
        ]
        body = _body(response.content, response.headers.get("content-type", ""))
        if body:
            lines.append(body)
        click.echo("\n".join(lines), err=True)

    return {"request": [on_request], "response": [on_response]}
