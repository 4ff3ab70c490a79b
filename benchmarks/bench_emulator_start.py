"""How fast a test gets a clean emulator: start (cold and warm), reset, and restart.

Issue 12's start-up benchmark. In one process and one run, interleaved round by round:

1. cold start: ``Emulator.start()`` in a fresh state directory (keys, CA and certificates are
   generated);
2. warm start: ``Emulator.start(state_dir=...)`` in a directory a previous start filled;
3. warm start the way it was before issue 12 (each saved signing key re-validated on load and
   the key files rewritten), the same directory: the peer the change is measured against;
4. reset: ``Sandbox.reset()`` after a test's worth of activity (a token, a refresh token, a
   fault rule, the clock moved), the plugin's per-test isolation;
5. stop + warm start: the other way to isolate a test (a new emulator per test).

Each figure is the median of ``--rounds`` rounds (reset: of ``--resets`` resets a round).
Targets: warm start under 100 ms, reset at most 5 ms; ``--check`` exits 1 when one is missed.

    .venv/bin/python benchmarks/bench_emulator_start.py [--rounds 7] [--resets 50] [--check]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from partnercenter.emulator import Emulator
from partnercenter.emulator import keys as keys_module
from partnercenter.testing import Sandbox

START_TARGET = 0.100
RESET_TARGET = 0.005
ADMIN = "admin@contosopartner.onmicrosoft.com"


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@contextmanager
def before_issue_12() -> Iterator[None]:
    """Key loading as it was: RSA consistency checks on every saved key, files rewritten."""
    original_read, original_load = keys_module._read_key, keys_module.KeyRing.load_or_create

    def read_key(path: Path) -> keys_module.SigningKey:
        data = path.read_bytes()
        serialization.load_pem_private_key(data, password=None)  # the validating load
        return original_read(path)

    def load_or_create(cls: type[keys_module.KeyRing], directory: Path | None) -> object:
        ring = original_load.__func__(cls, directory)  # type: ignore[attr-defined]
        ring._save()
        return ring

    keys_module._read_key = read_key
    keys_module.KeyRing.load_or_create = classmethod(load_or_create)  # type: ignore[assignment]
    try:
        yield
    finally:
        keys_module._read_key = original_read
        keys_module.KeyRing.load_or_create = original_load  # type: ignore[method-assign]


def dirty(sandbox: Sandbox) -> None:
    """What a typical test leaves behind."""
    with sandbox.app_credential() as credential:
        credential.get_token()
    sandbox.mint_refresh_token(ADMIN)
    sandbox.state.faults.add({"status": 503, "path_prefix": "/nothing"})
    sandbox.advance_clock(3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--resets", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-start-"))
    warm_dir = work / "warm"
    Emulator.start(state_dir=warm_dir).stop()  # fills the warm directory
    figures: dict[str, list[float]] = {
        "cold start": [],
        "warm start": [],
        "warm start, before issue 12": [],
        "reset": [],
        "stop + warm start": [],
    }
    try:
        for round_number in range(args.rounds):
            cold_dir = work / f"cold-{round_number}"
            seconds, emu = timed(lambda: Emulator.start(state_dir=cold_dir))  # noqa: B023
            figures["cold start"].append(seconds)
            emu.stop()  # type: ignore[attr-defined]
            shutil.rmtree(cold_dir, ignore_errors=True)

            with before_issue_12():
                seconds, emu = timed(lambda: Emulator.start(state_dir=warm_dir))
            figures["warm start, before issue 12"].append(seconds)
            emu.stop()  # type: ignore[attr-defined]

            seconds, sandbox = timed(lambda: Sandbox.start(state_dir=warm_dir))
            figures["warm start"].append(seconds)
            assert isinstance(sandbox, Sandbox)
            resets = []
            for _ in range(args.resets):
                dirty(sandbox)
                resets.append(sandbox.reset())
            figures["reset"].append(statistics.median(resets))
            started = time.perf_counter()
            sandbox.stop()
            replacement = Sandbox.start(state_dir=warm_dir)
            figures["stop + warm start"].append(time.perf_counter() - started)
            replacement.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'':30} {'median':>10} {'min':>10} {'max':>10}")
    for name, values in figures.items():
        print(
            f"{name:30} {statistics.median(values) * 1000:8.2f} ms "
            f"{min(values) * 1000:8.2f} ms {max(values) * 1000:8.2f} ms"
        )
    start = statistics.median(figures["warm start"])
    reset = statistics.median(figures["reset"])
    ok = start < START_TARGET and reset <= RESET_TARGET
    print(
        f"warm start {start * 1000:.1f} ms (target < {START_TARGET * 1000:.0f} ms), "
        f"reset {reset * 1000:.3f} ms (target <= {RESET_TARGET * 1000:.0f} ms): "
        + ("met" if ok else "MISSED")
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
