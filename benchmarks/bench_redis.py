"""Fleets through Redis, side by side in one run (issue 13).

1. Cache hit through the two tiers (``RedisTokenCache``: the in-process tier in front of Redis)
   against ``MemoryTokenCache`` alone: a hit must cost the same.
2. Cold start of 8 processes x 50 threads against the emulator, without Redis (each process
   fetches its own token) and with it (one token request for the fleet): token requests made
   (emulator stats) and wall time.
3. Fan-out: app + user tokens for N customer tenants (10,000) with 50 ms of injected
   token-endpoint latency (the emulator's fault injection), ours
   (``partnercenter.aio.tokens_for_tenants``, bounded concurrency) against MSAL Python's loop
   over ``acquire_token_by_refresh_token`` on the same emulator, measured on ``--msal-tenants``
   (1,000) and projected to N.

The emulator runs in its own process (so it signs on the other core) and redis-server is
started on a free loopback port. Run:
``.venv/bin/python benchmarks/bench_redis.py [--quick] [--tenants N] [--msal-tenants N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msal
import requests

import partnercenter.aio as aio
from partnercenter import (
    ClientSecretCredential,
    Cloud,
    MemoryRefreshTokenStore,
    MemoryTokenCache,
    RedisTokenCache,
    secure_app_consent,
)
from partnercenter.stores import generate_store_key

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the sign-in helpers of the tests play the user
from tests.signin.signin_pages import User, admin_authenticator, device_login  # noqa: E402

PROCESSES = 8
THREADS = 50
LATENCY_MS = 50
CONCURRENCY = 32
ADMIN = "admin@contosopartner.onmicrosoft.com"
PC_USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
#: The fleet's key (made in the parent, passed to each worker: they must share it).
KEY = os.environ.get("PARTNERCENTER_STORE_KEY") or generate_store_key()


# -- processes: the emulator, redis-server ---------------------------------------------------


def serve_emulator(config: dict[str, Any], state_dir: str, conn: Any) -> None:
    """Child process: run the emulator, send its description, serve until told to stop."""
    from partnercenter.emulator import Emulator

    with Emulator.start(state_dir=state_dir, config=config) as emu:
        conn.send(emu.info)
        conn.recv()


class RemoteEmulator:
    """The emulator in a child process, driven through its admin API."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._dir = tempfile.mkdtemp(prefix="bench-redis-emu-")
        parent, child = multiprocessing.get_context("spawn").Pipe()
        self._conn = parent
        self._process = multiprocessing.get_context("spawn").Process(
            target=serve_emulator, args=(config, self._dir, child), daemon=True
        )
        self._process.start()
        self.info: dict[str, Any] = parent.recv()
        self.base_url: str = self.info["base_url"]
        self.ca_cert: str = self.info["ca_cert"]
        self._admin = httpx.Client(
            base_url=self.base_url,
            verify=self.ca_cert,
            headers={"Authorization": f"Bearer {self.info['admin_key']}"},
            timeout=30,
        )

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._admin.request(method, f"/_emulator/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def token_requests(self, grant: str | None = None) -> int:
        counts = self.admin("GET", "stats")["token_requests"]
        return int(counts.get(grant, 0) if grant else sum(counts.values()))

    def app(self, name: str) -> dict[str, Any]:
        return next(dict(app) for app in self.info["apps"] if app["name"] == name)

    def cloud(self) -> Cloud:
        return Cloud.custom(authority_host=self.base_url, api_root=self.base_url, name="emu")

    def cpu_seconds(self) -> float:
        """The emulator process's CPU time so far (user + system, from /proc)."""
        with open(f"/proc/{self._process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self._admin.close()
        self._conn.send("stop")
        self._process.join(30)
        shutil.rmtree(self._dir, ignore_errors=True)


class RedisProcess:
    def __init__(self) -> None:
        server = shutil.which("redis-server") or shutil.which("valkey-server")
        if server is None:
            raise SystemExit("redis-server is needed (apt-get install redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)


# -- 1. hits -----------------------------------------------------------------------------------


def per_call_us(func: Callable[[], object], number: int, repeat: int = 7) -> float:
    func()
    return statistics.median(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


def hits(redis_url: str, number: int) -> dict[str, float]:
    def endpoint(request: httpx.Request) -> httpx.Response:
        body = {"token_type": "Bearer", "expires_in": 3599, "access_token": "h.p.s"}
        return httpx.Response(200, json=body)

    tenant = "00000000-0000-0000-0000-000000000001"
    client = "00000000-0000-0000-0000-000000000002"
    credentials = {
        label: ClientSecretCredential(
            tenant, client, "s", transport=httpx.MockTransport(endpoint), cache=cache
        )
        for label, cache in (
            ("MemoryTokenCache", MemoryTokenCache()),
            ("RedisTokenCache (two tiers)", RedisTokenCache.from_url(redis_url, key=KEY)),
        )
    }
    # Alternate the two, so that a change in the machine's load hits both alike.
    samples: dict[str, list[float]] = {label: [] for label in credentials}
    for _ in range(7):
        for label, credential in credentials.items():
            samples[label].append(per_call_us(credential.get_token, number, repeat=1))
    for credential in credentials.values():
        credential.close()
    return {label: statistics.median(values) for label, values in samples.items()}


# -- 2. cold start -----------------------------------------------------------------------------


def cold_worker(
    base_url: str,
    ca_cert: str,
    tenant: str,
    app: dict[str, Any],
    redis_url: str | None,
    key: str,
) -> int:
    """Child process: THREADS threads ask for the same token at once; returns how many got it."""
    cloud = Cloud.custom(authority_host=base_url, api_root=base_url, name="emu")
    cache = RedisTokenCache.from_url(redis_url, key=key, prefix="cold:") if redis_url else None
    credential = ClientSecretCredential(
        tenant,
        app["client_id"],
        app["client_secret"],
        cloud=cloud,
        verify=ca_cert,
        cache=cache,
    )
    got: list[str] = []
    barrier = threading.Barrier(THREADS)

    def run() -> None:
        barrier.wait()
        got.append(credential.get_token().token)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    credential.close()
    return len(got)


def cold_start(emu: RemoteEmulator, redis_url: str | None) -> tuple[int, float]:
    app = emu.app("partner-center-app")
    tenant = emu.info["partner_tenant"]["id"]
    before = emu.token_requests("client_credentials")
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        # The pool's start-up (interpreters, imports) is in the wall time: a fleet pays it too.
        done = pool.starmap(
            cold_worker, [(emu.base_url, emu.ca_cert, tenant, app, redis_url, KEY)] * PROCESSES
        )
    elapsed = time.perf_counter() - started
    assert sum(done) == PROCESSES * THREADS
    return emu.token_requests("client_credentials") - before, elapsed


# -- 3. fan-out --------------------------------------------------------------------------------


def consent(emu: RemoteEmulator, store: MemoryRefreshTokenStore) -> str:
    person = User.of(next(u for u in emu.info["users"] if u["upn"] == ADMIN))
    verify = emu.ca_cert

    def complete(code: Any) -> None:
        def sign_in() -> None:
            # An unused one-time code, as the emulator hands to scripted users (single use).
            otc = admin_authenticator(emu.base_url, emu.info["admin_key"], person, verify)
            with httpx.Client(verify=verify, timeout=30) as web:
                device_login(web, code.verification_uri, code.user_code, person, otc)

        threading.Thread(target=sign_in, daemon=True).start()

    secure_app_consent(
        emu.info["partner_tenant"]["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        method="device_code",
        prompt_callback=complete,
        cloud=emu.cloud(),
        verify=emu.ca_cert,
    )
    token = store.load("fleet")
    assert token is not None
    return token


async def ours_fan_out(
    emu: RemoteEmulator, store: MemoryRefreshTokenStore, tenants: list[str]
) -> tuple[float, int]:
    http = aio.fan_out_http_client(CONCURRENCY, verify=emu.ca_cert)
    credential = aio.RefreshTokenCredential(
        emu.info["partner_tenant"]["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        cloud=emu.cloud(),
        http_client=http,
    )
    started = time.perf_counter()
    result = await aio.tokens_for_tenants(credential, tenants, concurrency=CONCURRENCY)
    elapsed = time.perf_counter() - started
    await credential.close()
    await http.aclose()
    result.raise_for_errors()
    return elapsed, len(result.tokens)


def msal_loop(emu: RemoteEmulator, refresh_token: str, tenants: list[str]) -> float:
    # requests lets REQUESTS_CA_BUNDLE override a Session's verify= (psf/requests#3829).
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    session = requests.Session()
    session.verify = emu.ca_cert
    client_id = emu.app("partner-center-cli")["client_id"]
    started = time.perf_counter()
    for tenant in tenants:
        # One app per authority, as MSAL Python has it: a customer tenant is an authority.
        app = msal.PublicClientApplication(
            client_id,
            authority=f"{emu.base_url}/{tenant}",
            http_client=session,
            instance_discovery=False,
        )
        result = app.acquire_token_by_refresh_token(refresh_token, scopes=[PC_USER_SCOPE])
        assert "access_token" in result, result.get("error_description")
        refresh_token = result.get("refresh_token", refresh_token)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--tenants", type=int, default=None, help="fan-out size (10,000)")
    parser.add_argument("--msal-tenants", type=int, default=None, help="MSAL's loop (1,000)")
    parser.add_argument(
        "--parts", default="hits,cold,fanout", help="which parts to run (default: all three)"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    tenants_count = args.tenants or (500 if args.quick else 10_000)
    msal_count = min(args.msal_tenants or (50 if args.quick else 1_000), tenants_count)

    redis = RedisProcess()
    config = {
        "settings": {"device_code_interval": 1},
        "tenants": [
            {"name": f"Fan-out customer {i}", "domains": [f"fanout{i}.onmicrosoft.com"]}
            for i in range(tenants_count if "fanout" in parts else 0)
        ],
    }
    emu = RemoteEmulator(config)
    try:
        if "hits" in parts:
            print("1. cache hit (us per get_token, median of 7 alternated rounds)")
            for label, value in hits(redis.url, 20_000 if args.quick else 200_000).items():
                print(f"   {label:32} {value:8.3f} us")
        if "cold" in parts:
            print(f"2. cold start, {PROCESSES} processes x {THREADS} threads")
            for label, url in (("without Redis", None), ("with Redis", redis.url)):
                requests_made, wall = cold_start(emu, url)
                print(f"   {label:14} token requests {requests_made:3d}   wall {wall:6.2f} s")
        if "fanout" not in parts:
            return

        ids = {t["name"]: t["id"] for t in emu.info["customer_tenants"]}
        tenants = [ids[f"Fan-out customer {i}"] for i in range(tenants_count)]
        store = MemoryRefreshTokenStore()
        refresh_token = consent(emu, store)
        emu.admin("POST", "faults", {"target": "token", "latency_ms": LATENCY_MS})
        print(f"3. fan-out, {LATENCY_MS} ms token-endpoint latency")
        client_cpu, emulator_cpu = time.process_time(), emu.cpu_seconds()
        ours, count = asyncio.run(ours_fan_out(emu, store, tenants))
        client_cpu = time.process_time() - client_cpu
        emulator_cpu = emu.cpu_seconds() - emulator_cpu
        print(
            f"   partnercenter tokens_for_tenants (concurrency {CONCURRENCY}): "
            f"{count} tenants in {ours:.1f} s"
        )
        print(
            f"   CPU per token: client {client_cpu / count * 1000:.2f} ms "
            f"({client_cpu:.1f} s), emulator {emulator_cpu / count * 1000:.2f} ms "
            f"({emulator_cpu:.1f} s)"
        )
        # The fan-out rotated the consent's token thousands of times: MSAL starts from the newest.
        newest = store.load("fleet") or refresh_token
        msal_time = msal_loop(emu, newest, tenants[:msal_count])
        projected = msal_time / msal_count * tenants_count
        print(
            f"   MSAL loop over acquire_token_by_refresh_token: {msal_count} tenants in "
            f"{msal_time:.1f} s, projected {tenants_count}: {projected:.0f} s"
        )
        print(f"   ratio (projected MSAL / ours): {projected / ours:.1f}x")
    finally:
        emu.stop()
        redis.stop()


if __name__ == "__main__":
    main()
