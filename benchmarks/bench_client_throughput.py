"""Requests per second through ``AsyncPartnerClient`` beside a bare ``httpx.AsyncClient``.

Issue 4's client benchmark. In one run it

1. starts the emulator as users run it (``partnercenter emulator serve --state-dir TMP``, TLS
   on) in a separate process and reads ``TMP/emulator.json``;
2. gets one app-only token (``partnercenter.aio.ClientSecretCredential``, the seed's
   ``partner-center-app``);
3. drives ``GET /v1/profiles/legalbusiness`` for ``--duration`` seconds with ``--connections``
   concurrent workers, alternately (a) through ``AsyncPartnerClient`` (one client per worker,
   all sharing the credential, so every call is a cache hit plus the client's own work: ids,
   headers, the pre-flight check, the retry flow, JSON parsing) and (b) with a bare
   ``httpx.AsyncClient`` per worker sending the pre-fetched token and ``Accept`` and parsing
   the JSON body too. One ``AsyncClient`` per connection in both, so the two sides pay
   the same connection-pool cost;
4. repeats that ``--rounds`` times, interleaved, and prints the medians of requests/s and of
   this process's CPU per request, and the throughput ratio (the median of each round's
   back-to-back ratio; target: the client within 10% of bare httpx, i.e. >= 0.90);
5. measures the same two calls in-process on ``httpx.MockTransport`` (no network, no server:
   the client's own cost per call, far less noisy than the loopback figures).

Every request must succeed (HTTP 200), or the run exits 1. The load generator and the emulator
share this machine's cores: compare the two columns of one run, never absolute figures.

    .venv/bin/python benchmarks/bench_client_throughput.py [--duration 4] [--rounds 7] \
        [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import partnercenter
import partnercenter.aio as aio
from partnercenter import Cloud

PATH = "/v1/profiles/legalbusiness"
OPERATION = "get_legal_business_profile"
TARGET_RATIO = 0.90
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


# -- the emulator as a separate process ---------------------------------------------------------
def start_emulator(state_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    script = Path(sys.executable).with_name("partnercenter")
    cli = str(script) if script.exists() else shutil.which("partnercenter")
    if cli is None:
        raise SystemExit("the `partnercenter` command is not installed (pip install -e '.[all]')")
    log = state_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [cli, "emulator", "serve", "--state-dir", str(state_dir), "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    info_path = state_dir / "emulator.json"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited:\n{log.read_text(errors='replace')}")
        if info_path.exists():
            info: dict[str, Any] = json.loads(info_path.read_text())  # written atomically
            return process, info
        time.sleep(0.05)
    stop_emulator(process)
    raise RuntimeError(f"the emulator did not write {info_path} in {START_TIMEOUT_SECONDS:.0f} s")


def stop_emulator(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the loads ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Round:
    name: str
    requests: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / self.requests * 1e6


Worker = Callable[[float], Awaitable[int]]


async def drive(name: str, workers: list[Worker], duration: float) -> Round:
    """Run every worker until ``duration`` passes; count the requests they completed."""
    cpu = time.process_time()
    started = time.perf_counter()
    stop = started + duration
    counts = await asyncio.gather(*(worker(stop) for worker in workers))
    elapsed = time.perf_counter() - started
    return Round(name, sum(counts), elapsed, time.process_time() - cpu)


def bare_worker(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Worker:
    async def run(stop: float) -> int:
        count = 0
        while time.perf_counter() < stop:
            response = await client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"bare httpx: HTTP {response.status_code}: {response.text}")
            response.json()
            count += 1
        return count

    return run


def client_worker(client: aio.AsyncPartnerClient) -> Worker:
    async def run(stop: float) -> int:
        count = 0
        while time.perf_counter() < stop:
            await client.get_legal_business_profile()  # raises on anything but success
            count += 1
        return count

    return run


async def benchmark(info: dict[str, Any], args: argparse.Namespace) -> list[Round]:
    ca = ssl.create_default_context(cafile=info["ca_cert"])
    app = next(a for a in info["apps"] if a["name"] == "partner-center-app")
    cloud = Cloud.custom(authority_host=info["base_url"], api_root=info["base_url"])
    async with aio.ClientSecretCredential(
        info["partner_tenant"]["id"],
        app["client_id"],
        app["client_secret"],
        cloud=cloud,
        verify=ca,
    ) as credential:
        token = await credential.get_token()
        async with httpx.AsyncClient(verify=ca) as probe:
            args.sample = await probe.get(
                info["base_url"] + PATH, headers={"Authorization": f"Bearer {token.token}"}
            )
        args.token = token.token
        url = info["base_url"] + PATH
        headers = {"Authorization": f"Bearer {token.token}", "Accept": "application/json"}
        bare_clients = [httpx.AsyncClient(verify=ca) for _ in range(args.connections)]
        our_clients = [
            aio.AsyncPartnerClient(credential, verify=ca) for _ in range(args.connections)
        ]
        loads: dict[str, list[Worker]] = {
            "bare httpx.AsyncClient": [bare_worker(c, url, headers) for c in bare_clients],
            "AsyncPartnerClient": [client_worker(c) for c in our_clients],
        }
        try:
            for name, workers in loads.items():  # warm up: connections, TLS, caches
                await drive(name, workers, 1.0)
            rounds: list[Round] = []
            for index in range(args.rounds):
                # Alternate the order so neither load always runs first in a round.
                order = list(loads.items())
                if index % 2:
                    order.reverse()
                for name, workers in order:
                    result = await drive(name, workers, args.duration)
                    rounds.append(result)
                    print(
                        f"  round {index + 1}: {name:<24} {result.per_second:8.0f} req/s  "
                        f"{result.cpu_us_per_request:7.0f} us CPU/req (this process)",
                        flush=True,
                    )
            return rounds
        finally:
            for bare in bare_clients:
                await bare.aclose()
            for ours in our_clients:
                await ours.close()


def in_process(token: str, body: bytes, number: int, repeat: int = 7) -> dict[str, float]:
    """CPU microseconds per call on ``httpx.MockTransport`` answering ``body``: the client's
    own cost against bare httpx's, without sockets, TLS or a server sharing the cores."""

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async def measure() -> dict[str, float]:
        transport = httpx.MockTransport(answer)
        url = "https://api.partnercenter.microsoft.com" + PATH
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        async with (
            httpx.AsyncClient(transport=transport) as bare,
            aio.AsyncPartnerClient(
                aio.AccessTokenCredential(token), transport=transport, cloud=Cloud.GLOBAL
            ) as ours,
        ):

            async def bare_call() -> None:
                (await bare.get(url, headers=headers)).json()

            calls = {
                "bare httpx.AsyncClient": bare_call,
                "AsyncPartnerClient": ours.get_legal_business_profile,
            }
            runs: dict[str, list[float]] = {name: [] for name in calls}
            for _ in range(repeat):
                for name, call in calls.items():
                    # CPU time, not wall time: other jobs on a shared machine steal the core
                    # without charging this process.
                    started = time.process_time()
                    for _ in range(number):
                        await call()
                    runs[name].append((time.process_time() - started) / number * 1e6)
            return {name: statistics.median(values) for name, values in runs.items()}

    return asyncio.run(measure())


def report_in_process(costs: dict[str, float], number: int) -> None:
    bare, ours = costs["bare httpx.AsyncClient"], costs["AsyncPartnerClient"]
    print()
    print(f"In-process, httpx.MockTransport ({number} calls x 7, medians):")
    for name, cost in costs.items():
        print(f"  {name:<24} {cost:8.1f} us CPU/call")
    print(f"  client overhead: {ours - bare:+.1f} us/call ({ours / bare - 1:+.1%})")


def report(rounds: list[Round], args: argparse.Namespace) -> bool:
    names = ["bare httpx.AsyncClient", "AsyncPartnerClient"]
    rates = {n: statistics.median(r.per_second for r in rounds if r.name == n) for n in names}
    cpu = {n: statistics.median(r.cpu_us_per_request for r in rounds if r.name == n) for n in names}
    # Each round runs both loads back to back: their ratio is the least exposed to the load
    # other jobs put on this shared machine, which drifts over a run.
    bare = [r for r in rounds if r.name == names[0]]
    ours = [r for r in rounds if r.name == names[1]]
    paired = statistics.median(o.per_second / b.per_second for o, b in zip(ours, bare, strict=True))
    print()
    print(
        f"GET {PATH} ({OPERATION}), {args.connections} connections, "
        f"{args.rounds} x {args.duration:g} s per load, medians:"
    )
    print(f"  {'':<24} {'req/s':>8}  {'CPU us/req (client process)':>28}")
    for name in names:
        print(f"  {name:<24} {rates[name]:8.0f}  {cpu[name]:28.0f}")
    overhead = cpu[names[1]] - cpu[names[0]]
    print(
        f"  client / bare throughput: {paired:.3f} (median of the rounds' ratios; "
        f"ratio of medians {rates[names[1]] / rates[names[0]]:.3f}; target >= {TARGET_RATIO:.2f})"
    )
    print(
        f"  client CPU per request: {overhead:+.0f} us "
        f"({cpu[names[1]] / cpu[names[0]] - 1:+.1%}) beside bare httpx"
    )
    met = paired >= TARGET_RATIO
    print("  target met" if met else "  TARGET MISSED")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per load per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--calls", type=int, default=3000, help="in-process calls per repeat")
    args = parser.parse_args(argv)
    print(
        f"partnercenter {partnercenter.__version__}, httpx {httpx.__version__}, "
        f"Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        process, info = start_emulator(Path(tmp))
        try:
            print(f"emulator (pid {process.pid}) at {info['base_url']}")
            rounds = asyncio.run(benchmark(info, args))
        finally:
            stop_emulator(process)
    met = report(rounds, args)
    report_in_process(in_process(args.token, args.sample.content, args.calls), args.calls)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
