"""Cached-token cost: partnercenter vs MSAL Python vs azure-identity, in one process and one run.

1. Cache hit, all three fed from the running emulator (TLS on loopback).
2. Hit cost with 1, 100, 1,000 and 10,000 tenants cached (one credential per tenant, one shared
   cache), ours vs MSAL's shared ``TokenCache`` (MSAL up to ``--msal-tenants``).
3. Cost of filling the cache with N tenants' tokens, ours (10,000) vs MSAL (``--msal-tenants``,
   default 10,000, measured, not projected: its miss scans the whole cache, so this step takes
   a few minutes; a smaller N is reported as measured at that N only).

Steps 2 and 3 answer token requests in-process (``httpx.MockTransport`` for us, an MSAL
``http_client`` for MSAL) so that only the cache is measured, not 10,000 RSA signatures.

Run: ``.venv/bin/python benchmarks/bench_token_cache.py [--quick] [--msal-tenants N]``.
Micro-benchmarks on a shared 2-vCPU machine vary by 25-40 % between runs: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import timeit
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import msal
from azure.identity import ClientSecretCredential as AzureSecretCredential

from partnercenter import ClientSecretCredential, Cloud, MemoryTokenCache
from partnercenter.emulator import Emulator

SCOPE = "https://api.partnercenter.microsoft.com/.default"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
SECRET = "benchmark-secret"
FAKE_HOST = "https://login.bench.invalid"


def per_call_us(func: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the time per call, in microseconds."""
    func()  # warm
    runs = timeit.repeat(func, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def tenant_id(i: int) -> str:
    return str(uuid.UUID(int=i + 1))


# -- 1. cache hits fed by the emulator -------------------------------------------------------


def hits_against_emulator(number: int) -> dict[str, float]:
    # requests (MSAL's HTTP client) lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a
    # Session's verify= (psf/requests#3829), so MSAL would not trust the emulator's CA.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    with Emulator.start() as emu:
        app = emu.app("partner-center-app")
        tenant = emu.partner_tenant["id"]
        cloud = Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url)
        ours = ClientSecretCredential(
            tenant, app["client_id"], app["client_secret"], cloud=cloud, verify=emu.ca_cert
        )
        msal_app = msal.ConfidentialClientApplication(
            app["client_id"],
            client_credential=app["client_secret"],
            authority=f"{emu.base_url}/{tenant}",
            verify=emu.ca_cert,
            instance_discovery=False,
        )
        azure = AzureSecretCredential(
            tenant,
            app["client_id"],
            app["client_secret"],
            authority=emu.base_url,
            disable_instance_discovery=True,
            connection_verify=emu.ca_cert,
        )
        try:
            assert ours.get_token().token
            first = msal_app.acquire_token_for_client(scopes=[SCOPE])
            assert "access_token" in first, first
            assert azure.get_token(SCOPE).token
            before = sum(emu.stats()["token_requests"].values())
            results = {
                "partnercenter get_token()": per_call_us(ours.get_token, number * 10),
                "msal acquire_token_for_client": per_call_us(
                    lambda: msal_app.acquire_token_for_client(scopes=[SCOPE]), number
                ),
                "azure-identity get_token": per_call_us(lambda: azure.get_token(SCOPE), number),
            }
            after = sum(emu.stats()["token_requests"].values())
            assert after == before, "a 'hit' went to the token endpoint"
        finally:
            ours.close()
            azure.close()
    return results


# -- in-process token endpoints --------------------------------------------------------------


def token_body() -> dict[str, Any]:
    return {"token_type": "Bearer", "expires_in": 3599, "access_token": "h.p.s"}


def our_transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=token_body()))


class _MsalResponse:
    def __init__(self, body: dict[str, Any]) -> None:
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers: dict[str, str] = {"Content-Type": "application/json"}

    def raise_for_status(self) -> None:
        return None


class MsalHttp:
    """The ``http_client`` MSAL accepts (requests-like): discovery and token answers."""

    def get(self, url: str, **kwargs: Any) -> _MsalResponse:
        tenant = url.split("/")[3]
        base = f"{FAKE_HOST}/{tenant}"
        return _MsalResponse(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            }
        )

    def post(self, url: str, **kwargs: Any) -> _MsalResponse:
        return _MsalResponse(token_body())

    def close(self) -> None:
        return None


def our_fill(count: int) -> tuple[float, list[ClientSecretCredential]]:
    cache = MemoryTokenCache()
    cloud = Cloud.custom(authority_host=FAKE_HOST, api_root=FAKE_HOST)
    transport = our_transport()
    http = httpx.Client(transport=transport)
    credentials = [
        ClientSecretCredential(
            tenant_id(i), CLIENT_ID, SECRET, cloud=cloud, cache=cache, http_client=http
        )
        for i in range(count)
    ]
    start = time.perf_counter()
    for credential in credentials:
        credential.get_token()
    return time.perf_counter() - start, credentials


def msal_fill(count: int) -> tuple[float, list[msal.ConfidentialClientApplication]]:
    cache = msal.TokenCache()
    http = MsalHttp()
    apps = [
        msal.ConfidentialClientApplication(
            CLIENT_ID,
            client_credential=SECRET,
            authority=f"{FAKE_HOST}/{tenant_id(i)}",
            token_cache=cache,
            http_client=http,
            instance_discovery=False,
        )
        for i in range(count)
    ]
    start = time.perf_counter()
    for app in apps:
        result = app.acquire_token_for_client(scopes=[SCOPE])
        assert "access_token" in result, result
    return time.perf_counter() - start, apps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (CI smoke run)")
    parser.add_argument("--msal-tenants", type=int, default=10000)
    args = parser.parse_args()
    number = 200 if args.quick else 2000
    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10000]
    msal_max = min(args.msal_tenants, 300 if args.quick else args.msal_tenants)

    print("1. cache hit, fed by the emulator (median per call)")
    hits = hits_against_emulator(number)
    ours = hits["partnercenter get_token()"]
    for name, us in hits.items():
        print(f"   {name:32s} {us:8.2f} us   {us / ours:6.1f}x ours")

    print("\n2. hit cost with N tenants cached (median per call; shared cache)")
    print(f"   {'tenants':>8s} {'partnercenter':>14s} {'msal':>10s} {'ratio':>7s}")
    our_creds: dict[int, list[ClientSecretCredential]] = {}
    fills: dict[int, float] = {}
    msal_fills: dict[int, float] = {}
    for n in sizes:
        fills[n], our_creds[n] = our_fill(n)
        last = our_creds[n][-1]
        ours_us = per_call_us(last.get_token, number * 10)
        msal_text, ratio = "-", ""
        if n <= msal_max:
            msal_fills[n], apps = msal_fill(n)
            last_app = apps[-1]
            msal_us = per_call_us(
                lambda app=last_app: app.acquire_token_for_client(scopes=[SCOPE]),  # type: ignore[misc]
                number,
            )
            msal_text, ratio = f"{msal_us:8.2f} us", f"{msal_us / ours_us:6.1f}x"
        print(f"   {n:8d} {ours_us:11.2f} us {msal_text:>10s} {ratio:>7s}")

    print("\n3. filling the cache: one token per tenant (total, and per token)")
    biggest = sizes[-1]
    our_total = fills[biggest]
    print(
        f"   partnercenter {biggest:6d} tenants: {our_total:8.2f} s "
        f"({our_total / biggest * 1e6:7.1f} us/token)"
    )
    # Reuse step 2's fills where it made them: a 10,000-tenant MSAL fill takes minutes.
    our_same = fills[msal_max] if msal_max in fills else our_fill(msal_max)[0]
    msal_total = msal_fills[msal_max] if msal_max in msal_fills else msal_fill(msal_max)[0]
    if msal_max != biggest:
        print(
            f"   partnercenter {msal_max:6d} tenants: {our_same:8.2f} s "
            f"({our_same / msal_max * 1e6:7.1f} us/token)"
        )
    print(
        f"   msal          {msal_max:6d} tenants: {msal_total:8.2f} s "
        f"({msal_total / msal_max * 1e6:7.1f} us/token)   {msal_total / our_same:6.1f}x ours"
    )
    if msal_max < biggest:
        print(f"   msal measured at {msal_max} tenants only (--msal-tenants); nothing projected")


if __name__ == "__main__":
    main()
