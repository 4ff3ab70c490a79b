"""``make demo``: the main job on the built-in emulator.

Starts the emulator, then gets an app-only Partner Center token two ways: the seed's REST way
(v1 endpoint, ``resource=``; first with the seed's historical ``https://graph.windows.net``
audience, then with Partner Center's own resource) and the v2 way (``scope=.../.default``).
It prints what came back in a readable form, decoding the token's header and claims (no
secret or token is printed whole), and stops.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from .emulator import Emulator
from .wire import AAD_GRAPH_RESOURCE, PARTNER_CENTER_RESOURCE

console = Console()


def _decode(segment: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return data


def _redact(token: str) -> str:
    return f"{token[:12]}…{token[-6:]} ({len(token)} chars)"


def _show(title: str, request: dict[str, str], response: httpx.Response) -> None:
    console.rule(f"[bold]{title}")
    shown = {k: ("••••••" if k == "client_secret" else v) for k, v in request.items()}
    console.print(f"POST {response.request.url}")
    console.print(shown)
    console.print(
        f"[bold]HTTP {response.status_code}[/]  "
        f"Cache-Control: {response.headers.get('cache-control')}  "
        f"Pragma: {response.headers.get('pragma')}"
    )
    body = response.json()
    fields = Table("field", "value", "JSON type", title="response body")
    for key, value in body.items():
        shown_value = _redact(value) if key == "access_token" else str(value)
        fields.add_row(key, shown_value, type(value).__name__)
    console.print(fields)
    if "access_token" not in body:
        return
    header_segment, payload_segment, _ = body["access_token"].split(".")
    console.print("token header:", _decode(header_segment))
    claims = Table("claim", "value", title="token claims (decoded, not verified)")
    for key, value in _decode(payload_segment).items():
        if key in ("iat", "nbf", "exp"):
            value = f"{value}  ({time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(value))})"
        claims.add_row(key, str(value))
    console.print(claims)


def main() -> None:
    with Emulator.start() as emu:
        console.print(f"[bold green]Emulator running[/] at {emu.base_url} (CA file {emu.ca_cert})")
        app = emu.app("partner-center-app")
        tenant = emu.partner_tenant
        console.print(
            f"partner tenant {tenant['domain']} ({tenant['id']}), "
            f"app {app['name']} ({app['client_id']})"
        )
        with httpx.Client(verify=emu.verify, timeout=10) as client:
            base = {
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "grant_type": "client_credentials",
            }
            seed = {"resource": AAD_GRAPH_RESOURCE, **base}
            _show(
                "1. The seed's REST request (v1 endpoint, resource=graph.windows.net)",
                seed,
                client.post(f"{emu.base_url}/{tenant['id']}/oauth2/token", data=seed),
            )
            console.print(
                "[yellow]Note:[/] Azure AD still issues this token, but since 2025 "
                "the Partner Center API refuses the https://graph.windows.net "
                "audience (401, code 900420). Ask for Partner Center's own resource:"
            )
            v1 = {"resource": PARTNER_CENTER_RESOURCE, **base}
            _show(
                "2. v1 endpoint, resource=https://api.partnercenter.microsoft.com",
                v1,
                client.post(f"{emu.base_url}/{tenant['domain']}/oauth2/token", data=v1),
            )
            v2 = {"scope": f"{PARTNER_CENTER_RESOURCE}/.default", **base}
            _show(
                "3. v2 endpoint, scope=https://api.partnercenter.microsoft.com/.default",
                v2,
                client.post(f"{emu.base_url}/{tenant['id']}/oauth2/v2.0/token", data=v2),
            )
            wrong = {**v2, "client_secret": "not-the-secret"}
            _show(
                "4. A wrong secret gets Azure AD's error body",
                wrong,
                client.post(f"{emu.base_url}/{tenant['id']}/oauth2/v2.0/token", data=wrong),
            )
        console.print("emulator stats:", emu.stats())
    console.print("[bold green]Emulator stopped.[/]")


if __name__ == "__main__":
    main()
