"""``make demo``: the main job on the built-in emulator.

1. Start the emulator (a local Azure AD and Partner Center API over TLS).
2. Get an app-only token the seed's REST way (v1 endpoint, ``resource=``) and the v2 way
   (``scope=.../.default``), printing what came back in a readable form.
3. Do the same job with the library: a ``ClientSecretCredential`` (cached, refreshed ahead of
   expiry) and a ``PartnerClient`` calling Partner Center, including the two mistakes people
   make most — the retired ``graph.windows.net`` audience and an app-only token on an
   App+User operation — and the errors that say how to fix them.
4. Print the emulator's counters and stop.

No secret or token is printed whole.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from . import AccessTokenCredential, ClientSecretCredential, Cloud, PartnerClient
from .emulator import Emulator
from .errors import PartnerCenterError
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


def _raw_requests(emu: Emulator, app: dict[str, Any], tenant: dict[str, Any]) -> str:
    """The seed's REST requests, by hand; returns the graph-audience token for later."""
    with httpx.Client(verify=emu.verify, timeout=10) as client:
        base = {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "grant_type": "client_credentials",
        }
        seed = {"resource": AAD_GRAPH_RESOURCE, **base}
        response = client.post(f"{emu.base_url}/{tenant['id']}/oauth2/token", data=seed)
        _show(
            "1. The seed's REST request (v1 endpoint, resource=graph.windows.net)", seed, response
        )
        graph_token = str(response.json()["access_token"])
        console.print(
            "[yellow]Note:[/] Azure AD still issues this token, but since 2025 the Partner "
            "Center API refuses the https://graph.windows.net audience (401, code 900420). "
            "Ask for Partner Center's own resource:"
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
    return graph_token


def _with_the_library(
    emu: Emulator, app: dict[str, Any], tenant: dict[str, Any], graph_token: str
) -> None:
    console.rule("[bold]5. The same job with the library")
    cloud = Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url)
    credential = ClientSecretCredential(
        tenant["id"], app["client_id"], app["client_secret"], cloud=cloud, verify=emu.verify
    )
    with (
        credential,
        PartnerClient(
            credential, verify=emu.ca_cert, application_name="partnercenter demo"
        ) as client,
    ):
        started = time.perf_counter()
        token = credential.get_token()
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(10_000):
            credential.get_token()
        cached = (time.perf_counter() - started) / 10_000
        console.print(f"credential.get_token() -> {token!r}")
        console.print(
            f"app-only: {token.is_app_only}; first call {first * 1000:.1f} ms (network), "
            f"cached calls {cached * 1e6:.2f} µs each (mean of 10,000)"
        )
        profile = client.get_legal_business_profile()
        console.print(f"legal business profile: {profile.get('companyName')!r}")
        customers = Table("customer id", "domain", title="first five customers (app-only)")
        for index, customer in enumerate(client.list_customers(size=5)):
            if index == 5:
                break
            customers.add_row(customer["id"], customer["companyProfile"]["domain"])
        console.print(customers)
        console.print(
            "An App+User operation with an app-only credential is refused before sending:"
        )
        try:
            client.get_organization_profile()
        except PartnerCenterError as error:
            console.print(f"[red]{type(error).__name__}[/]: {error}")
    console.print("A token for the retired graph.windows.net audience, sent to Partner Center:")
    with (
        AccessTokenCredential(graph_token) as stale,
        PartnerClient(stale, cloud=cloud, verify=emu.verify) as client,
    ):
        try:
            client.get_legal_business_profile()
        except PartnerCenterError as error:
            console.print(f"[red]{type(error).__name__}[/]: {error}")


def main() -> None:
    with Emulator.start() as emu:
        console.print(f"[bold green]Emulator running[/] at {emu.base_url} (CA file {emu.ca_cert})")
        app = emu.app("partner-center-app")
        tenant = emu.partner_tenant
        console.print(
            f"partner tenant {tenant['domain']} ({tenant['id']}), "
            f"app {app['name']} ({app['client_id']})"
        )
        graph_token = _raw_requests(emu, app, tenant)
        _with_the_library(emu, app, tenant, graph_token)
        console.rule("[bold]Emulator counters")
        console.print(emu.stats())
    console.print("[bold green]Emulator stopped.[/]")


if __name__ == "__main__":
    main()
