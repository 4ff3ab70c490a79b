"""Client-credentials tokens per second over loopback TLS, beside the raw RS256 signing rate.

Issue 2's benchmark. In one run it

1. measures how many tokens one core can sign: the emulator's own claims builder
   (``identity/claims.py``) and ``KeyRing.sign`` in a loop on this process's main thread,
   with the claims the token endpoint signs for the seed's ``partner-center-app`` asking for
   the Partner Center API;
2. starts the emulator as users run it (``partnercenter emulator serve --state-dir TMP``,
   TLS on) in a separate process and reads ``emulator.json``;
3. drives client-credentials POSTs (the v2 ``scope=`` form and the v1 ``resource=`` form)
   with ``wrk -t1 -c32 -d10s --latency -s post.lua`` (load generator and server are separate
   processes; an httpx load generator would eat one of the two cores itself);
4. drives the same client-credentials POSTs, with the same wrk load, at the Node
   ``oauth2-mock-server`` (https://www.npmjs.com/package/oauth2-mock-server), also over TLS,
   installed with ``npm install`` into the run's temporary directory (never the repository)
   and started by this script; ``--no-node`` leaves it out;
5. prints tokens/s end to end against the single-core signing rate (target: at least 70%),
   latency, and the emulator against oauth2-mock-server, all from this one run.

Every request must succeed: wrk's non-2xx and socket error counts, and the emulator's own
``/_emulator/stats`` (errors, requests vs tokens issued), must all show no failure, or the
run exits 1. The signing and both wrk loads are repeated ``--rounds`` times (3 by default),
interleaved, and medians are reported: the machine is shared and noisy, so the table also
shows how much CPU everything else on it used during each load ("others").

    .venv/bin/python benchmarks/bench_token_service.py [--duration 10] [--connections 32]
        [--rounds 3]

Needs ``wrk`` on PATH (Debian: ``apt-get install wrk``), and ``node``/``npm`` for the peer.
CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from partnercenter._contract.wire import (
    DEFAULT_SCOPE_SUFFIX,
    PARTNER_CENTER_RESOURCE,
    TOKEN_PATH_V1,
    TOKEN_PATH_V2,
)
from partnercenter.emulator.config import build
from partnercenter.emulator.identity.claims import ACR_SECRET, app_only_claims
from partnercenter.emulator.identity.lifetime import TokenLifetimes
from partnercenter.emulator.keys import KeyRing

APP_NAME = "partner-center-app"
TARGET_RATIO = 0.70
NODE_NAME = "oauth2-mock-server (Node), /token"
#: The npm package measured beside the emulator; pinned so runs compare like with like.
NODE_PACKAGE = "oauth2-mock-server@8.2.3"
NODE_SERVER = """\
import { OAuth2Server } from "oauth2-mock-server";
const [key, cert] = process.argv.slice(2);
const server = new OAuth2Server(key, cert);
await server.issuer.keys.generate("RS256");
await server.start(0, "127.0.0.1");
console.log(JSON.stringify({ port: server.address().port }));
"""
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


# -- (a) signing on one core ----------------------------------------------------------------
def signing_rate(seconds: float, work_dir: Path) -> tuple[float, float | None]:
    """Tokens per second one thread signs: the emulator's claims builder + ``KeyRing.sign``.

    Also returns the share of a core everything else on the machine used meanwhile.
    """
    directory, settings = build(None, apps_dir=work_dir / "apps")
    keys = KeyRing.load_or_create(None)  # fresh RSA-2048 keys, as the emulator makes
    tenant = directory.partner_tenant
    app = next(app for app in directory.apps if app.name == APP_NAME)
    target = directory.resource(PARTNER_CENTER_RESOURCE)
    assert target is not None
    v1_header = target.token_version == 1
    # Drawn per token, as the endpoint does (Entra's 60-90 minute default).
    lifetimes = TokenLifetimes(settings)
    count = 0
    busy_before, cpu_before = machine_busy_seconds(), time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    now = time.perf_counter()
    while now < deadline:
        for _ in range(50):
            claims = app_only_claims(
                tenant=tenant,
                app=app,
                resource=target,
                audience=target.uri,
                client_acr=ACR_SECRET,
                now=time.time(),
                lifetime=lifetimes.choose(cae=False).seconds,
                base_url="https://127.0.0.1",
            )
            keys.sign(claims, v1_header=v1_header)
        count += 50
        now = time.perf_counter()
    busy_after, cpu_after = machine_busy_seconds(), time.process_time()
    others = None
    if busy_before is not None and busy_after is not None:
        others = max(0.0, (busy_after - busy_before) - (cpu_after - cpu_before)) / (now - start)
    return count / (now - start), others


# -- (b) the emulator as a separate process ---------------------------------------------------
def emulator_command(state_dir: Path) -> list[str]:
    script = Path(sys.executable).with_name("partnercenter")
    cli = str(script) if script.exists() else shutil.which("partnercenter")
    if cli is None:
        raise SystemExit("the `partnercenter` command is not installed (pip install -e '.[all]')")
    return [cli, "emulator", "serve", "--state-dir", str(state_dir), "--port", "0"]


def wait_for_info(process: subprocess.Popen[bytes], info_path: Path, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the emulator exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        if info_path.exists():
            info: dict[str, Any] = json.loads(info_path.read_text())  # written atomically
            return info
        time.sleep(0.05)
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


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (Linux ``/proc/stat``), all cores."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process (Linux ``/proc``), all threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- (c) load with wrk --------------------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    name: str
    url: str
    body: str
    lua: Path


@dataclass(frozen=True)
class WrkResult:
    requests: int
    tokens_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    server_cpu_ms_per_token: float | None
    wrk_cpu_share: float
    #: Cores busy with anything but the emulator and wrk (other jobs on this shared box).
    other_load: float | None
    server_errors: dict[str, int]
    server_unissued: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50/p99 (ms), request count and error counts from wrk's text output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ", output, re.M)
    if rate is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    percentiles = {
        int(m[1]): _ms(m[2], m[3])
        for m in re.finditer(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    if 50 not in percentiles or 99 not in percentiles:
        raise RuntimeError(f"no latency distribution in wrk output (--latency):\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": float(total[1]),
        "rate": float(rate[1]),
        "p50": percentiles[50],
        "p99": percentiles[99],
        "non_2xx": float(non_2xx[1]) if non_2xx else 0.0,
        "socket_errors": float(sum(int(g) for g in sockets.groups())) if sockets else 0.0,
    }


def write_lua(path: Path, body: str) -> None:
    if not body.isascii() or any(c in body for c in '"\\\n\r'):
        raise ValueError("the form body must be plain url-encoded ASCII")
    path.write_text(
        "-- generated by benchmarks/bench_token_service.py\n"
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )


class EmulatorProcess:
    """Admin calls on the running emulator process (over the wire, as any tool would)."""

    def __init__(self, info: dict[str, Any], pid: int) -> None:
        self.info = info
        self.pid = pid
        self.client = httpx.Client(base_url=info["base_url"], verify=info["ca_cert"], timeout=30)

    def stats(self) -> dict[str, Any]:
        response = self.client.get(
            "/_emulator/stats", headers={"Authorization": f"Bearer {self.info['admin_key']}"}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def settled_stats(self, timeout: float = 10.0) -> dict[str, Any]:
        """Stats once every token request counted so far has been answered.

        When wrk stops, requests it sent may still be in the server; wait for them so that
        the next window's counts are not off by the stragglers.
        """
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            answered = sum(stats["tokens_issued"].values()) + sum(stats["token_errors"].values())
            if answered >= sum(stats["token_requests"].values()) or time.monotonic() > deadline:
                return stats
            time.sleep(0.05)

    def check_token(self, load: Load) -> None:
        """One request through httpx: a 200 with a three-part JWT (and the v1 resource echo)."""
        response = self.client.post(
            load.url,
            content=load.body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("access_token", "").count(".") != 2:
            raise RuntimeError(f"{load.name}: {response.status_code} {body}")
        if "resource=" in load.body and body.get("resource") != PARTNER_CENTER_RESOURCE:
            raise RuntimeError(f"{load.name}: no resource echo in {body}")

    def close(self) -> None:
        self.client.close()


class NodeServer:
    """oauth2-mock-server in its own Node process, over TLS with a throwaway certificate.

    It keeps no statistics, so ``settled_stats`` reports none and only wrk's own error counts
    (non-2xx, socket errors) can fail its load.
    """

    def __init__(self, work: Path) -> None:
        self.work = work / "node"
        self.work.mkdir()
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", NODE_PACKAGE],
            cwd=self.work,
            check=True,
        )
        key, cert = self._certificate()
        (self.work / "server.mjs").write_text(NODE_SERVER)
        self.process = subprocess.Popen(
            ["node", "server.mjs", str(key), str(cert)],
            cwd=self.work,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"oauth2-mock-server did not start ({self.process.wait()})")
        self.pid = self.process.pid
        self.url = f"https://127.0.0.1:{json.loads(line)['port']}/token"
        self.client = httpx.Client(verify=str(cert), timeout=30)

    def _certificate(self) -> tuple[Path, Path]:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        key_path, cert_path = self.work / "key.pem", self.work / "cert.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key_path, cert_path

    def settled_stats(self) -> dict[str, Any]:
        return {"token_requests": {}, "tokens_issued": {}, "token_errors": {}}

    def check_token(self, load: Load) -> None:
        response = self.client.post(
            load.url,
            content=load.body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("access_token", "").count(".") != 2:
            raise RuntimeError(f"{load.name}: {response.status_code} {body}")

    def close(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_wrk(
    load: Load, emulator: EmulatorProcess | NodeServer, *, connections: int, duration: float
) -> WrkResult:
    before = emulator.settled_stats()
    cpu_before = process_cpu_seconds(emulator.pid)
    busy_before = machine_busy_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--latency",
        "-s",
        str(load.lua),
        load.url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = process_cpu_seconds(emulator.pid)
    busy_after = machine_busy_seconds()
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr}")
    parsed = parse_wrk(completed.stdout)
    after = emulator.settled_stats()
    grant = "client_credentials"
    requested = after["token_requests"].get(grant, 0) - before["token_requests"].get(grant, 0)
    issued = after["tokens_issued"].get(grant, 0) - before["tokens_issued"].get(grant, 0)
    errors = {
        code: count - before["token_errors"].get(code, 0)
        for code, count in after["token_errors"].items()
        if count != before["token_errors"].get(code, 0)
    }
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    server_cpu = (
        (cpu_after - cpu_before) * 1000 / issued
        if cpu_before is not None and cpu_after is not None and issued
        else None
    )
    other_load = None
    if None not in (busy_before, busy_after, cpu_before, cpu_after):
        assert busy_before is not None and busy_after is not None
        assert cpu_before is not None and cpu_after is not None
        others = (busy_after - busy_before) - (cpu_after - cpu_before) - wrk_cpu
        other_load = max(0.0, others) / duration
    return WrkResult(
        requests=int(parsed["requests"]),
        tokens_per_s=parsed["rate"],
        p50_ms=parsed["p50"],
        p99_ms=parsed["p99"],
        non_2xx=int(parsed["non_2xx"]),
        socket_errors=int(parsed["socket_errors"]),
        server_cpu_ms_per_token=server_cpu,
        wrk_cpu_share=wrk_cpu / duration,
        other_load=other_load,
        server_errors=errors,
        server_unissued=requested - issued,
    )


# -- (d) the report -----------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def report(
    args: argparse.Namespace,
    signing: list[float],
    signing_others: list[float],
    results: dict[str, list[WrkResult]],
) -> bool:
    sign = median(signing)
    rounds = f"median of {args.rounds} rounds" if args.rounds > 1 else "1 round"
    print()
    print(
        f"Token service throughput (issue 2): {os.cpu_count()} CPUs, emulator over TLS, "
        f"wrk -t1 -c{args.connections} -d{args.duration:g}s --latency, {rounds}"
    )
    header = (
        f"{'':48} {'tokens/s':>9} {'vs sign':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'failed':>6} {'srv CPU/tok':>11} {'wrk CPU':>7} {'others':>6}"
    )
    print(header)
    print("-" * len(header))
    sign_others = f"{median(signing_others):.0%}" if signing_others else "n/a"
    print(
        f"{'RS256 signing, one core (claims + KeyRing.sign)':48} {sign:9,.0f} {'100%':>8} "
        f"{'':>7} {'':>7} {'':>6} {'':>11} {'':>7} {sign_others:>6}"
    )
    ok = True
    busiest = max(signing_others, default=0.0)
    for name, runs in results.items():
        rate = median([r.tokens_per_s for r in runs])
        ratio = rate / sign
        failed = sum(
            r.non_2xx + r.socket_errors + sum(r.server_errors.values()) + r.server_unissued
            for r in runs
        )
        ok = ok and failed == 0
        cpu_values = [r.server_cpu_ms_per_token for r in runs if r.server_cpu_ms_per_token]
        cpu = f"{median(cpu_values):.2f} ms" if cpu_values else "n/a"
        loads = [r.other_load for r in runs if r.other_load is not None]
        others = f"{median(loads):.0%}" if loads else "n/a"
        busiest = max(busiest, max(loads, default=0.0))
        print(
            f"{name:48} {rate:9,.0f} {ratio:8.0%} {median([r.p50_ms for r in runs]):7.1f} "
            f"{median([r.p99_ms for r in runs]):7.1f} {failed:6d} {cpu:>11} "
            f"{median([r.wrk_cpu_share for r in runs]):7.0%} {others:>6}"
        )
        for r in runs:
            if r.server_errors:
                print(f"    server errors: {r.server_errors}")
    if NODE_NAME in results:
        node = median([r.tokens_per_s for r in results[NODE_NAME]])
        for name, runs in results.items():
            if name != NODE_NAME:
                rate = median([r.tokens_per_s for r in runs])
                print(f"{name} / {NODE_NAME}: {rate:,.0f} / {node:,.0f} = {rate / node:.2f}x")
    print(
        "srv CPU/tok: emulator process CPU (all threads) per token; wrk CPU and others: "
        "share of one core used by wrk and by everything else on the machine"
    )
    if busiest > 0.25:
        print(
            f"note: other work used up to {busiest:.0%} of a core during a run; "
            "this machine is shared, so figures may be low"
        )
    if args.rounds > 1:
        print("rounds (tokens/s, and vs that round's signing rate):")
        print(f"    signing: {', '.join(f'{v:,.0f}' for v in signing)}")
        for name, runs in results.items():
            per_round = ", ".join(
                f"{r.tokens_per_s:,.0f} ({r.tokens_per_s / s:.0%})"
                for r, s in zip(runs, signing, strict=True)
            )
            print(f"    {name}: {per_round}")
    worst = min(
        median([r.tokens_per_s for r in runs]) / sign
        for name, runs in results.items()
        if name != NODE_NAME
    )
    verdict = "met" if worst >= TARGET_RATIO else "NOT met"
    print(
        f"target: end to end >= {TARGET_RATIO:.0%} of single-core signing "
        f"({TARGET_RATIO * sign:,.0f} tokens/s): {verdict} (lowest: {worst:.1%})"
    )
    if not ok:
        print("FAILED: some requests did not get a token (see the 'failed' column)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="repeat, interleaved, and report medians"
    )
    parser.add_argument("--warmup", type=float, default=2, help="seconds of wrk warm-up")
    parser.add_argument(
        "--no-node", action="store_true", help="leave out the oauth2-mock-server peer"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-token-") as tmp:
        work = Path(tmp)
        state_dir = work / "state"
        log = work / "emulator.log"
        print(f"starting: {' '.join(emulator_command(state_dir))}", flush=True)
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                emulator_command(state_dir), stdout=log_file, stderr=subprocess.STDOUT
            )
        emulator: EmulatorProcess | None = None
        node_server: NodeServer | None = None
        try:
            info = wait_for_info(process, state_dir / "emulator.json", log)
            emulator = EmulatorProcess(info, process.pid)
            app = next(app for app in info["apps"] if app["name"] == APP_NAME)
            tenant = info["partner_tenant"]["id"]
            credentials = {
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            }
            loads: list[Load] = []
            for name, path, extra in (
                (
                    "v2 token endpoint, scope=.../.default",
                    TOKEN_PATH_V2,
                    {"scope": PARTNER_CENTER_RESOURCE + DEFAULT_SCOPE_SUFFIX},
                ),
                (
                    "v1 token endpoint, resource=...",
                    TOKEN_PATH_V1,
                    {"resource": PARTNER_CENTER_RESOURCE},
                ),
            ):
                body = urlencode({**credentials, **extra})
                lua = work / f"post-{len(loads) + 1}.lua"
                write_lua(lua, body)
                loads.append(Load(name, f"{info['base_url']}/{tenant}/{path}", body, lua))
            servers: dict[str, EmulatorProcess | NodeServer] = {
                load.name: emulator for load in loads
            }
            if not args.no_node:
                print(f"installing and starting {NODE_PACKAGE} (npm, in {work})", flush=True)
                node_server = NodeServer(work)
                body = urlencode(
                    {**credentials, "scope": PARTNER_CENTER_RESOURCE + DEFAULT_SCOPE_SUFFIX}
                )
                lua = work / "post-node.lua"
                write_lua(lua, body)
                loads.append(Load(NODE_NAME, node_server.url, body, lua))
                servers[NODE_NAME] = node_server
            for load in loads:
                servers[load.name].check_token(load)
            print(f"emulator at {info['base_url']} (pid {process.pid})", flush=True)
            if args.warmup > 0:
                for load in loads:
                    run_wrk(
                        load,
                        servers[load.name],
                        connections=args.connections,
                        duration=args.warmup,
                    )

            signing: list[float] = []
            signing_others: list[float] = []
            results: dict[str, list[WrkResult]] = {load.name: [] for load in loads}
            for round_ in range(1, args.rounds + 1):
                prefix = f"[{round_}/{args.rounds}] " if args.rounds > 1 else ""
                rate, others = signing_rate(args.duration, work / "sign")
                signing.append(rate)
                if others is not None:
                    signing_others.append(others)
                print(f"{prefix}signing, one core: {rate:,.0f} tokens/s", flush=True)
                for load in loads:
                    result = run_wrk(
                        load,
                        servers[load.name],
                        connections=args.connections,
                        duration=args.duration,
                    )
                    results[load.name].append(result)
                    print(
                        f"{prefix}{load.name}: {result.tokens_per_s:,.0f} tokens/s, "
                        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                        f"{result.requests:,} requests",
                        flush=True,
                    )
            ok = report(args, signing, signing_others, results)
        finally:
            if emulator is not None:
                emulator.close()
            if node_server is not None:
                node_server.close()
            stop_emulator(process)
        print(f"emulator stopped (exit code {process.returncode})")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
