"""Start-up cost, side by side in one run: ``python -c pass``, ``import partnercenter``, the
eager import it replaced, and ``partnercenter token`` with a cached token (the CLI's fast
path) next to the same command on a cache miss.

Each command is a fresh process (as a shell runs it); the figure is the median wall time of
``--runs`` runs, interleaved so that load changes hit every row alike, after a warm-up run
that writes the bytecode caches (as ``pip install`` does). The CPU column (user + system time
of the process) moves less with the machine's load than wall time does. The emulator runs
in-process; the CLI gets its own config, state and cache directories and store key.

Run: ``.venv/bin/python benchmarks/bench_cli_startup.py [--runs 15]``.
Targets (issue 11): ``import partnercenter`` <= 150 ms, cached ``partnercenter token``
<= 250 ms. A shared 2-vCPU machine under load slows every row alike: read the rows against
``python -c pass`` as well as in absolute terms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from partnercenter.emulator import Emulator
from partnercenter.stores import generate_store_key

PY = sys.executable
SCRIPT = str(Path(PY).with_name("partnercenter"))


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: list[str], env: dict[str, str], name: str = "") -> float:
    """Wall time of one run; its CPU time (user + sys, less sensitive to the machine's load)
    is kept under ``name``."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stderr.decode()[-500:]}")
    CPU.setdefault(name, []).append(_children_cpu() - cpu)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, Emulator.start() as emu:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("AZURE_", "XDG_")) and k != "PYTHONDONTWRITEBYTECODE"
            },
            # Bytecode is cached as after a pip install (which compiles it); PYTHONDONTWRITEBYTECODE
            # would recompile every module on every run. A private prefix keeps the tree clean.
            "PYTHONPYCACHEPREFIX": f"{home}/pycache",
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_STATE_HOME": f"{home}/state",
            "XDG_CACHE_HOME": f"{home}/cache",
            "PARTNERCENTER_STORE_KEY": generate_store_key(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        wall([SCRIPT, "login", "--emulator", str(emu.info_path), "-o", "json"], env)
        eager = (
            "import partnercenter as p; p.ClientSecretCredential; p.PartnerClient; "
            "p.secure_app_consent"
        )
        rows: dict[str, list[str]] = {
            "python -c pass": [PY, "-c", "pass"],
            "python -c 'import partnercenter'": [PY, "-c", "import partnercenter"],
            "python -c 'import httpx'": [PY, "-c", "import httpx"],
            "every public name loaded (the old eager import)": [PY, "-c", eager],
            "partnercenter token (cached)": [SCRIPT, "token", "-o", "json"],
            "partnercenter token --tenant X (cache miss: Azure AD)": [],
        }
        for command in rows.values():  # warm-up: write the bytecode caches
            if command:
                wall(command, env, "warm-up")
        customers = [t["id"] for t in emu.customer_tenants]
        times: dict[str, list[float]] = {name: [] for name in rows}
        for run in range(args.runs):
            for name, command in rows.items():
                if not command:
                    # A new tenant each run: never cached, so this is the full path.
                    tenant = customers[run % len(customers)]
                    fresh = {**env, "XDG_CACHE_HOME": f"{home}/cache-{run}"}
                    command = [SCRIPT, "token", "--tenant", tenant, "-o", "json"]
                    times[name].append(wall(command, fresh, name))
                    continue
                times[name].append(wall(command, env, name))
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"median wall time of {args.runs} runs each, interleaved (load average {load:.1f})")
        base = statistics.median(times["python -c pass"])
        print(f"{'command':56} {'median':>9} {'min':>9} {'vs pass':>9} {'CPU':>9}")
        for name, values in times.items():
            median = statistics.median(values)
            cpu = statistics.median(CPU[name])
            print(
                f"{name:56} {median * 1000:7.0f} ms {min(values) * 1000:7.0f} ms "
                f"{(median - base) * 1000:+7.0f} ms {cpu * 1000:7.0f} ms"
            )


if __name__ == "__main__":
    main()
