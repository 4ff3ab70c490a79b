"""``make demo``: the main jobs on the built-in emulator, unattended.

1. Start the emulator (a local Azure AD and Partner Center API over TLS).
2. App-only: an app-only token the seed's REST way (v1 endpoint, ``resource=``) and the v2 way
   (``scope=.../.default``), then the same job with the library, including the two mistakes
   people make most (the retired ``graph.windows.net`` audience, an app-only token on an
   App+User operation) and the errors that say how to fix them.
3. App + user, the secure application model: a one-time consent by device code with MFA (the
   demo completes the sign-in itself over the emulator's HTML pages, no browser); the refresh
   token stored encrypted; redeemed later without a user to call an App+User-only operation and
   to get a token for a customer tenant; a user without MFA refused (900421) and the fix.
4. The same steps as commands to paste, and the emulator's counters.

No secret or token is printed whole. Needs the ``[cli]`` and ``[emulator]`` extras only.
"""

from __future__ import annotations

import base64
import html
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from . import (
    AccessTokenCredential,
    ClientSecretCredential,
    Cloud,
    FileRefreshTokenStore,
    MemoryRefreshTokenStore,
    PartnerClient,
    RefreshTokenCredential,
    secure_app_consent,
)
from ._contract.wire import AAD_GRAPH_RESOURCE, PARTNER_CENTER_RESOURCE
from ._credentials.signin_protocol import DeviceCode
from .emulator import Emulator
from .emulator.identity.authenticator import next_code
from .errors import MfaMissingError, PartnerCenterError
from .stores import generate_store_key

#: The seed's public client (device code, browser) and its confidential app.
CLI_APP = "partner-center-cli"
CONFIDENTIAL_APP = "partner-center-app"


# -- printing -------------------------------------------------------------------------------------
def rule(title: str) -> None:
    print(f"\n== {title} " + "=" * max(3, 86 - len(title)))


def table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for index, row in enumerate([header, *rows]):
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _decode(segment: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return data


def _redact(token: str) -> str:
    return f"{token[:12]}…{token[-6:]} ({len(token)} chars)"


def _show(title: str, request: dict[str, str], response: httpx.Response) -> None:
    rule(title)
    shown = {k: ("••••••" if k == "client_secret" else v) for k, v in request.items()}
    print(f"POST {response.request.url}")
    print(f"  {shown}")
    print(
        f"HTTP {response.status_code}  Cache-Control: {response.headers.get('cache-control')}  "
        f"Pragma: {response.headers.get('pragma')}"
    )
    body = response.json()
    rows = [
        [k, _redact(v) if k == "access_token" else str(v)[:90], type(v).__name__]
        for k, v in body.items()
    ]
    table(rows, ["field", "value", "JSON type"])
    if "access_token" not in body:
        return
    header_segment, payload_segment, _ = body["access_token"].split(".")
    print("token header:", _decode(header_segment))
    claims = []
    for key, value in _decode(payload_segment).items():
        if key in ("iat", "nbf", "exp"):
            value = f"{value}  ({time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(value))})"
        claims.append([key, str(value)[:90]])
    table(claims, ["claim (decoded, not verified)", "value"])


# -- the emulator's sign-in pages, driven with plain form posts (what a person would type) ---------
def _field(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    if not found:
        raise RuntimeError(f"the sign-in page has no field {name!r}")
    return html.unescape(found.group(1))


def _post_step(client: httpx.Client, page: httpx.Response, step: str, **data: str) -> Any:
    found = re.search(r'<form [^>]*action="([^"]+)"', page.text)
    if not found:
        raise RuntimeError("the sign-in page has no form")
    action = urljoin(str(page.url), html.unescape(found.group(1)))
    return client.post(action, data={"flow": _field(page.text, "flow"), "step": step, **data})


def sign_in_pages(
    client: httpx.Client,
    page: httpx.Response,
    user: dict[str, Any],
    next_code: Callable[[], str],
) -> httpx.Response:
    """From a sign-in page: user name and password, the TOTP code when MFA is asked (from
    ``next_code``: codes are single use, see :func:`authenticator_code`), and the consent page
    when shown. Returns the last response."""
    page = _post_step(client, page, "signin", username=user["upn"], password=user["password"])
    if 'id="otc"' in page.text and user.get("totp_secret"):
        page = _post_step(client, page, "mfa", otc=next_code())
    if 'id="accept"' in page.text:
        page = _post_step(client, page, "consent", action="accept")
    return page


def authenticator_code(emu: Emulator, upn: str) -> Callable[[], str]:
    """What ``upn``'s authenticator app shows when the MFA page asks: a code the emulator has
    not accepted yet (it accepts each code once, as Entra does)."""

    def code() -> str:
        record = emu.state.directory.user(upn)
        if record is None:
            raise KeyError(upn)
        return next_code(emu.state, record).code

    return code


def device_sign_in(emu: Emulator, code: DeviceCode, user: dict[str, Any]) -> str:
    """Enter ``code`` on the emulator's /devicelogin page and sign in as ``user``."""
    with httpx.Client(verify=emu.verify, timeout=10) as client:
        page = client.post(code.verification_uri, data={"otc": code.user_code})
        final = sign_in_pages(client, page, user, authenticator_code(emu, user["upn"]))
    return final.text


def _signing_in_as(emu: Emulator, user: dict[str, Any]) -> Any:
    """A device-code prompt callback that completes the sign-in in the background, as the
    person at another device would."""

    def prompt(code: DeviceCode) -> None:
        print(f"  Azure AD says: {code.message}")
        print(f"  ...the demo signs in as {user['upn']} on that page (password, then TOTP)")
        threading.Thread(target=device_sign_in, args=(emu, code, user), daemon=True).start()

    return prompt


# -- app-only -------------------------------------------------------------------------------------
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
        print(
            "Note: Azure AD still issues this token, but since 2025 the Partner Center API "
            "refuses the https://graph.windows.net audience (401, code 900420). Ask for "
            "Partner Center's own resource:"
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
    rule("5. The same job with the library (app-only)")
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
        print(f"credential.get_token() -> {token!r}")
        print(
            f"app-only: {token.is_app_only}; first call {first * 1000:.1f} ms (network), "
            f"cached calls {cached * 1e6:.2f} µs each (mean of 10,000)"
        )
        profile = client.get_legal_business_profile()
        print(f"legal business profile: {profile.get('companyName')!r}")
        rows = []
        for index, customer in enumerate(client.list_customers(size=5)):
            if index == 5:
                break
            rows.append([customer["id"], customer["companyProfile"]["domain"]])
        table(rows, ["customer id (first five, app-only)", "domain"])
        print("An App+User operation with an app-only credential is refused before sending:")
        try:
            client.get_organization_profile()
        except PartnerCenterError as error:
            print(f"  {type(error).__name__}: {error}")
    print("A token for the retired graph.windows.net audience, sent to Partner Center:")
    with (
        AccessTokenCredential(graph_token) as stale,
        PartnerClient(stale, cloud=cloud, verify=emu.verify) as client,
    ):
        try:
            client.get_legal_business_profile()
        except PartnerCenterError as error:
            print(f"  {type(error).__name__}: {error}")


# -- app + user: the secure application model ----------------------------------------------------
def _user(emu: Emulator, *, mfa: bool) -> dict[str, Any]:
    tenant = emu.partner_tenant["id"]
    for user in emu.users:
        if user.get("tenant_id") == tenant and bool(user.get("totp_secret")) == mfa:
            return user
    raise RuntimeError(
        f"the emulator's seed has no partner user {'with' if mfa else 'without'} MFA"
    )


def app_and_user(emu: Emulator, workdir: Path) -> dict[str, Any]:
    """The secure application model end to end; returns what it showed (for the test)."""
    cloud = Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url, name="emulator")
    tenant = emu.partner_tenant
    app = emu.app(CLI_APP)
    admin, agent = _user(emu, mfa=True), _user(emu, mfa=False)
    customer = emu.customer_tenants[0]
    outcome: dict[str, Any] = {}

    rule("6. App + user: a one-time consent by device code, with MFA")
    key = generate_store_key()
    store_path = workdir / "refresh-tokens.json"
    store = FileRefreshTokenStore(store_path, key=key, keyring=False)
    result = secure_app_consent(
        tenant["id"],
        app["client_id"],
        store=store,
        method="device_code",
        prompt_callback=_signing_in_as(emu, admin),
        cloud=cloud,
        verify=emu.verify,
        sign_in_timeout=60,
    )
    print(f"Signed in as {result.username} (tenant {result.tenant_id}), MFA: {result.has_mfa}")
    header = json.loads(store_path.read_text())
    stored = store.load(result.store_key or "") or ""
    print(
        f"The refresh token is stored encrypted in {store_path}: "
        f"{header['encryption']}, key id {header['key_id']} (the key itself lives in "
        "PARTNERCENTER_STORE_KEY or the OS keyring); the token is not in the file in clear: "
        f"{bool(stored) and stored not in store_path.read_text()}"
    )
    outcome["mfa"] = result.has_mfa

    rule("7. Later, unattended: redeem the refresh token for an App+User-only operation")
    with (
        RefreshTokenCredential(
            tenant["id"], app["client_id"], store=store, cloud=cloud, verify=emu.verify
        ) as credential,
        PartnerClient(credential, verify=emu.verify, application_name="partnercenter demo") as pc,
    ):
        organization = pc.get_organization_profile()
        token = credential.get_token()
        print(f"credential.get_token() -> {token!r}")
        print(f"get_organization_profile() (App+User only): {organization.get('companyName')!r}")
        print("The refresh token was rotated and saved back to the store by that redemption.")
        outcome["organization"] = organization.get("companyName")

        rule("8. A token for a customer tenant (the same refresh token, redeemed there)")
        customer_token = credential.get_token(tenant_id=customer["id"])
        print(
            f"get_token(tenant_id={customer['domain']!r}) -> tenant {customer_token.tenant_id}, "
            f"kind {customer_token.kind}, MFA {customer_token.has_mfa}"
        )
        outcome["customer_tenant"] = customer_token.tenant_id

    rule("9. A user without MFA: refused, and the fix")
    try:
        secure_app_consent(
            tenant["id"],
            app["client_id"],
            store=MemoryRefreshTokenStore(),
            method="device_code",
            prompt_callback=_signing_in_as(emu, agent),
            cloud=cloud,
            verify=emu.verify,
            sign_in_timeout=60,
        )
    except MfaMissingError as error:
        print(f"partnercenter refuses to store it: {type(error).__name__}: {error}")
        outcome["consent_refused"] = type(error).__name__
    print("And if such a token reaches Partner Center anyway, the API refuses it:")
    no_mfa = MemoryRefreshTokenStore()
    secure_app_consent(
        tenant["id"],
        app["client_id"],
        store=no_mfa,
        method="device_code",
        require_mfa=False,
        prompt_callback=_signing_in_as(emu, agent),
        cloud=cloud,
        verify=emu.verify,
        sign_in_timeout=60,
    )
    with (
        RefreshTokenCredential(
            tenant["id"], app["client_id"], store=no_mfa, cloud=cloud, verify=emu.verify
        ) as credential,
        PartnerClient(credential, verify=emu.verify, mfa_check="off") as pc,
    ):
        try:
            pc.get_organization_profile()
        except PartnerCenterError as error:
            print(f"  {type(error).__name__}: {error}")
            outcome["api_refused"] = getattr(error, "code", None)
    print(
        "The fix: register an MFA method for the user (or enforce it with Conditional Access / "
        "security defaults) and sign in again; Partner Center requires MFA on every app + user "
        "token since 2023."
    )
    return outcome


def commands_to_paste(emu: Emulator) -> None:
    rule("10. The same steps from the command line (paste them)")
    customer = emu.customer_tenants[0]["domain"]
    print(
        f"""\
  partnercenter emulator serve &                      # prints the path of its emulator.json
  export PARTNERCENTER_STORE_KEY="$(partnercenter store new-key)"   # headless: no OS keyring
  partnercenter login --emulator --name app           # app-only (the seed app's secret)
  partnercenter --profile app customers list -o table --query "[].companyProfile"
  partnercenter login --emulator --device-code --name user   # sign in on /devicelogin, with MFA
  partnercenter --profile user whoami                 # app + user, MFA: true
  partnercenter --profile user call GET /v1/profiles/organization     # App+User only
  partnercenter --profile user token --tenant {customer}
  partnercenter store list                            # account, tenant, days left of 90
  partnercenter --profile user token --query accessToken -o tsv | partnercenter decode"""
    )


def main() -> None:
    # A 1 s device-code polling interval (Azure AD announces 5 s) keeps the unattended
    # sign-ins quick; everything else is the emulator's default.
    config = {"settings": {"device_code_interval": 1}}
    with Emulator.start(config=config) as emu, tempfile.TemporaryDirectory() as workdir:
        print(f"Emulator running at {emu.base_url} (CA file {emu.ca_cert})")
        app = emu.app(CONFIDENTIAL_APP)
        tenant = emu.partner_tenant
        print(
            f"partner tenant {tenant['domain']} ({tenant['id']}), "
            f"app {app['name']} ({app['client_id']})"
        )
        graph_token = _raw_requests(emu, app, tenant)
        _with_the_library(emu, app, tenant, graph_token)
        app_and_user(emu, Path(workdir))
        commands_to_paste(emu)
        rule("Emulator counters")
        print(json.dumps(emu.stats(), indent=1)[:2000])
    print("Emulator stopped.")


if __name__ == "__main__":
    main()
