"""Azure AD wire errors as objects that render themselves.

Raise ``AadError(aadsts.INVALID_SECRET, client_id=...)`` anywhere in the token service; the
endpoint turns it into exactly the body, status and headers Azure AD sends (see
https://learn.microsoft.com/entra/identity-platform/reference-error-codes). The message
templates come from the shared catalog in :mod:`partnercenter._contract.aadsts`, which the library
reads back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from ..._contract.aadsts import AadstsCode
from ..jose import dumps

#: Longest piece of caller input echoed in an error description.
MAX_ECHO = 200

NO_CACHE_HEADERS = {
    "Cache-Control": "no-store, no-cache",
    "Pragma": "no-cache",
    "Expires": "-1",
}
JSON_UTF8 = "application/json; charset=utf-8"
#: Entra ID lets any origin call the token endpoint and the discovery documents from script
#: (single-page apps), and answers the preflight for the token endpoint's POST.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
CORS_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "86400",
}


def echo(value: object) -> str:
    """Caller input made safe to quote in a description: bounded, one line, encodable."""
    # Lone surrogates (a JSON "\ud800" in an assertion) cannot be encoded as UTF-8.
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "..."


def aad_timestamp(epoch: float) -> str:
    """Azure AD's timestamp format: ``2026-01-09 02:02:12Z``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class AadError(Exception):
    """One AADSTS error, with the values for its message template."""

    def __init__(self, entry: AadstsCode, *, claims: str | None = None, **values: object) -> None:
        self.entry = entry
        self.values = {key: echo(value) for key, value in values.items()}
        #: A conditional-access claims challenge (JSON) for the body's ``claims`` field.
        self.claims = claims
        super().__init__(entry.format(**self.values))

    def body(
        self, *, trace_id: str, correlation_id: str, now: float, error_host: str
    ) -> dict[str, Any]:
        stamp = aad_timestamp(now)
        description = (
            f"{self.entry.format(**self.values)}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
        )
        body: dict[str, Any] = {
            "error": self.entry.error,
            "error_description": description,
            "error_codes": [self.entry.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"{error_host}/error?code={self.entry.code}",
        }
        if self.entry.suberror:
            body["suberror"] = self.entry.suberror
        if self.claims is not None:
            body["claims"] = self.claims
        return body

    def response(
        self,
        *,
        trace_id: str,
        correlation_id: str,
        now: float,
        error_host: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = self.body(
            trace_id=trace_id, correlation_id=correlation_id, now=now, error_host=error_host
        )
        all_headers = {**NO_CACHE_HEADERS, **(headers or {})}
        if self.entry.status == 401:
            # RFC 6749 5.2: a 401 for failed client authentication names the scheme.
            all_headers.setdefault("WWW-Authenticate", 'Basic realm="token endpoint"')
        return Response(
            dumps(body), status_code=self.entry.status, headers=all_headers, media_type=JSON_UTF8
        )
