"""The Partner Center API's bearer-token validation rate, beside raw RS256 verification.

Issue 4's validation benchmark. In one process and one run it measures, per token, on
tokens shaped exactly as the emulator's token endpoint issues them for the Partner Center API
(``identity/claims.py`` + ``KeyRing.sign``):

1. raw RS256: ``cryptography``'s ``public_key.verify`` on the pre-split signing input and
   pre-decoded signature (the floor any validator pays);
2. the emulator's ``TokenValidator.validate`` on *fresh* tokens (every call a cache miss:
   parse, key look-up, verify, claims checks);
3. the same validator on a token it has seen (the cached hit: look-up + expiry check);
4. PyJWT's ``jwt.decode`` with the same checks (signature, audience, issuer, exp/nbf).

The four run back to back on chunks of 100 tokens (so a shared machine's load changes hit
them alike), over ``--tokens`` distinct tokens, ``--rounds`` times; medians over chunks are
printed with rates, and the median per-chunk ratio of fresh validation to raw verify
(target: at least 50%). ``--check`` exits 1 when the target is missed.

    .venv/bin/python benchmarks/bench_api_validation.py [--tokens 2000] [--rounds 7] [--check]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from partnercenter._contract.wire import PARTNER_CENTER_APP_ID, PARTNER_CENTER_RESOURCE
from partnercenter.emulator.api.bearer import TokenValidator
from partnercenter.emulator.clock import Clock
from partnercenter.emulator.config import build
from partnercenter.emulator.identity.claims import ACR_SECRET, app_only_claims
from partnercenter.emulator.keys import KeyRing

TARGET_RATIO = 0.50
APP_NAME = "partner-center-app"


def make_tokens(count: int, keys: KeyRing, work_dir: Path) -> tuple[list[str], str]:
    """``count`` distinct Partner Center app-only tokens, and the partner tenant id."""
    directory, _settings = build(None, apps_dir=work_dir / "apps")
    tenant = directory.partner_tenant
    app = next(a for a in directory.apps if a.name == APP_NAME)
    resource = directory.resource(PARTNER_CENTER_RESOURCE)
    assert resource is not None
    now = time.time()
    tokens = []
    for _ in range(count):
        claims = app_only_claims(
            tenant=tenant,
            app=app,
            resource=resource,
            audience=resource.uri,
            client_acr=ACR_SECRET,
            now=now,
            lifetime=3599,
            base_url="https://127.0.0.1",
        )
        tokens.append(keys.sign(claims))  # claims carry random aio/uti: every token differs
    return tokens, tenant.id


def per_call(fn: Callable[..., int], *args: Any) -> float:
    """CPU seconds per call: ``fn(*args)`` runs its batch and returns how many calls it made.

    Thread CPU time, not wall time: on a shared machine a chunk that is descheduled halfway
    would otherwise count the other process's time as ours.
    """
    started = time.thread_time()
    calls = fn(*args)
    return (time.thread_time() - started) / calls


def _raw(batch: list[tuple[bytes, bytes]], public_key: Any, pkcs1: Any, sha256: Any) -> int:
    for data, signature in batch:
        public_key.verify(signature, data, pkcs1, sha256)
    return len(batch)


def _validate_all(validator: TokenValidator, batch: list[str]) -> int:
    for token in batch:
        validator.validate(token)
    return len(batch)


def _pyjwt(batch: list[str], public_key: Any, issuer: str) -> int:
    for token in batch:
        jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=PARTNER_CENTER_RESOURCE,
            issuer=issuer,
            leeway=300,
        )
    return len(batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 below the target ratio")
    args = parser.parse_args()

    keys = KeyRing.load_or_create(None)
    with tempfile.TemporaryDirectory() as work:
        tokens, tenant_id = make_tokens(args.tokens, keys, Path(work))
    key = keys.active
    public_key = key.public_key
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    split = []
    for token in tokens:
        signing_input, _, signature = token.rpartition(".")
        split.append((signing_input.encode("ascii"), base64.urlsafe_b64decode(signature + "=" * 2)))
    audiences = {PARTNER_CENTER_RESOURCE, PARTNER_CENTER_APP_ID}
    issuer = f"https://sts.windows.net/{tenant_id}/"
    clock = Clock()

    # The machine is shared: measure in small interleaved chunks (raw, fresh, cached, PyJWT
    # on the same 100 tokens back to back) so load changes hit all four alike, then take
    # medians over chunks, and the median of the per-chunk ratios.
    chunk = 100
    warm = TokenValidator(keys, clock, tenant_id, audiences)
    warm.validate(tokens[0])
    hits = [tokens[0]] * (chunk * 10)
    measured: dict[str, list[float]] = {"raw": [], "fresh": [], "cached": [], "pyjwt": []}
    ratios: list[float] = []
    for round_number in range(args.rounds + 1):  # round 0 warms up and is discarded
        validator = TokenValidator(keys, clock, tenant_id, audiences)  # empty cache
        for start in range(0, len(tokens), chunk):
            batch = tokens[start : start + chunk]
            batch_split = split[start : start + chunk]
            times = {
                "raw": per_call(_raw, batch_split, public_key, pkcs1, sha256),
                "fresh": per_call(_validate_all, validator, batch),
                "cached": per_call(_validate_all, warm, hits),
                "pyjwt": per_call(_pyjwt, batch, public_key, issuer),
            }
            if round_number:
                for name, seconds in times.items():
                    measured[name].append(seconds)
                ratios.append(times["raw"] / times["fresh"])

    median = {name: statistics.median(values) for name, values in measured.items()}
    labels = {
        "raw": "raw RS256 verify (cryptography)",
        "fresh": "TokenValidator.validate, fresh tokens",
        "cached": "TokenValidator.validate, cached hit",
        "pyjwt": "PyJWT jwt.decode (same checks)",
    }
    print(
        f"{args.tokens} tokens x {args.rounds} rounds in chunks of {chunk}, medians "
        "(RSA-2048, RS256)"
    )
    print(f"{'':40} {'per call':>12} {'per second':>12} {'vs raw':>8}")
    for name, label in labels.items():
        seconds = median[name]
        print(
            f"{label:40} {seconds * 1e6:>9.2f} us {1 / seconds:>12,.0f} "
            f"{median['raw'] / seconds:>7.0%}"
        )
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"\nfresh validation runs at {ratio:.0%} of the raw verify rate "
        f"({verdict} the {TARGET_RATIO:.0%} target); PyJWT at "
        f"{median['raw'] / median['pyjwt']:.0%}; a cached hit is "
        f"{median['fresh'] / median['cached']:.0f}x faster than a fresh validation."
    )
    return 1 if args.check and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
