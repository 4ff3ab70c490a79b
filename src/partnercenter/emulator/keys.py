"""The emulator's token-signing keys: generation, persistence, JWKS and rotation.

Azure AD publishes several keys at once and rolls them; clients must re-fetch the JWKS on an
unknown ``kid``. Entra publishes a new key well before it signs with it, so a validator that
cached the JWKS a moment before the roll still knows the key. The emulator does the same:
``rotate(delay=...)`` publishes a fresh key at once and signs with it only once ``delay``
seconds have passed on the emulator's clock (``delay=0`` switches at once, for tests of the
"unknown kid -> refetch the JWKS" path); older keys stay published for validation. Keys live in
the state directory so tokens stay valid across restarts (a restart signs with the newest key).
A rotation that cannot be saved changes nothing: the old key stays active.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .files import write_private
from .jose import b64url, encode_segment, sign_rs256
from .x509util import cert_pem, der, key_pem, new_rsa_key, self_signed, x5t

#: Keys published at once; rotation drops the oldest beyond this.
MAX_PUBLISHED_KEYS = 3
MIN_PUBLISHED_KEYS = 2

#: Threads that sign tokens off the event loop. The one event loop handles at most about
#: 2,000 token requests/s, which two signers cover; anyio's default pool (40 threads) wakes a
#: thread per request in flight, and they queue for the GIL and the cores ahead of the loop
#: (20-35% fewer tokens/s; see docs/benchmarks.md).
SIGNING_THREADS = 2
_signing_pool = ThreadPoolExecutor(SIGNING_THREADS, thread_name_prefix="pc-emulator-sign")
_T = TypeVar("_T")


async def run_signing(fn: Callable[[], _T]) -> _T:
    """Run ``fn`` (RSA signing: ~1 ms, releases the GIL) on the signing threads."""
    return await asyncio.get_running_loop().run_in_executor(_signing_pool, fn)


@dataclass(slots=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    kid: str = field(init=False)
    public_key: rsa.RSAPublicKey = field(init=False)
    #: Pre-encoded JWS headers (v1 tokens carry x5t, v2 tokens do not), built once.
    header_v1: str = field(init=False)
    header_v2: str = field(init=False)

    def __post_init__(self) -> None:
        # Azure AD's kid is the certificate's x5t.
        self.kid = x5t(self.certificate)
        self.public_key = self.private_key.public_key()
        self.header_v1 = encode_segment(
            {"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid}
        )
        self.header_v2 = encode_segment({"typ": "JWT", "alg": "RS256", "kid": self.kid})

    def jwk(self, issuer: str | None = None) -> dict[str, Any]:
        numbers = self.public_key.public_numbers()
        jwk: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            # x5c is standard base64 (not url-safe), per RFC 7517.
            "x5c": [base64.b64encode(der(self.certificate)).decode("ascii")],
        }
        if issuer is not None:
            jwk["issuer"] = issuer
        return jwk


class KeyRotationError(OSError):
    """A rotated key could not be saved; the ring is as it was before the rotation."""


@dataclass(frozen=True, slots=True)
class _Pending:
    """A published key waiting to sign: it takes over once ``clock() >= at``."""

    key: SigningKey
    at: float
    clock: Callable[[], float]


class KeyRing:
    """The published signing keys, newest first; the active (signing) key; thread-safe
    rotation with a publication delay."""

    def __init__(self, keys: list[SigningKey], directory: Path | None = None) -> None:
        if not keys:
            raise ValueError("keys: at least one signing key is needed")
        self._keys = keys
        self._by_kid = {key.kid: key for key in keys}
        self._active = keys[0]
        self._pending: _Pending | None = None
        self._directory = directory
        self._lock = threading.Lock()

    @classmethod
    def load_or_create(cls, directory: Path | None) -> KeyRing:
        """Load the keys saved in ``directory``, or make (and save) ``MIN_PUBLISHED_KEYS``."""
        keys: list[SigningKey] = []
        if directory is not None and directory.is_dir():
            for path in sorted(directory.glob("signing-*.pem"), reverse=True):
                keys.append(_read_key(path))
        loaded = len(keys)
        ring = cls(keys or [_new_key()], directory)
        while len(ring._keys) < MIN_PUBLISHED_KEYS:
            ring._append_oldest(_new_key())
        if len(ring._keys) != loaded:  # a warm start rewrites nothing (three fsyncs saved)
            ring._save()
        return ring

    @property
    def active(self) -> SigningKey:
        """The key that signs now (a rotated key takes over once its delay has passed)."""
        pending = self._pending
        if pending is not None and pending.clock() >= pending.at:
            self._activate(pending)
        return self._active

    @property
    def next_key(self) -> tuple[SigningKey, float] | None:
        """The published key waiting to sign, and when it will; ``None`` when none waits."""
        pending = self._pending
        return None if pending is None else (pending.key, pending.at)

    def _activate(self, pending: _Pending) -> None:
        with self._lock:
            if self._pending is pending:
                self._active, self._pending = pending.key, None

    @property
    def keys(self) -> list[SigningKey]:
        return list(self._keys)

    def get(self, kid: str) -> SigningKey | None:
        return self._by_kid.get(kid)

    def sign(self, claims: dict[str, Any], *, v1_header: bool = True) -> str:
        key = self.active
        return sign_rs256(key.private_key, key.header_v1 if v1_header else key.header_v2, claims)

    def rotate(self, *, delay: float = 0.0, clock: Callable[[], float] | None = None) -> SigningKey:
        """Publish a new key now; it signs once ``delay`` seconds have passed on ``clock``
        (at once when ``delay`` is 0). A key still waiting from an earlier rotation takes over
        first. Older keys stay published (up to ``MAX_PUBLISHED_KEYS``; never the active one).

        Raises :class:`KeyRotationError` when the keys cannot be saved; nothing changes then.
        """
        if delay > 0 and clock is None:
            raise ValueError("clock: a delayed rotation needs the emulator's clock")
        new = _new_key()
        with self._lock:
            before = (self._keys, self._by_kid, self._active, self._pending)
            if self._pending is not None:
                self._active = self._pending.key
            keys = [new, *self._keys][:MAX_PUBLISHED_KEYS]
            if self._active not in keys:  # the cap never unpublishes the signing key
                keys = [*keys[:-1], self._active]
            self._keys = keys
            self._by_kid = {key.kid: key for key in keys}
            if delay > 0 and clock is not None:
                self._pending = _Pending(new, clock() + delay, clock)
            else:
                self._active, self._pending = new, None
            try:
                self._save()
            except OSError as exc:
                self._keys, self._by_kid, self._active, self._pending = before
                with contextlib.suppress(OSError):
                    self._save()  # put back what was on disk, if the disk lets us
                raise KeyRotationError(
                    f"the rotated signing key could not be saved in {self._directory} "
                    f"({exc.strerror or exc}); the old key stays active"
                ) from exc
        return new

    def jwks(self, issuer: str | None = None) -> dict[str, Any]:
        return {"keys": [key.jwk(issuer) for key in self._keys]}

    def _append_oldest(self, key: SigningKey) -> None:
        self._keys.append(key)
        self._by_kid[key.kid] = key

    def _save(self) -> None:
        if self._directory is None:
            return
        # Files are named by position so the newest sorts first; stale ones are removed.
        wanted = set()
        for index, key in enumerate(self._keys):
            path = self._directory / f"signing-{len(self._keys) - index:04d}.pem"
            wanted.add(path)
            write_private(path, key_pem(key.private_key) + cert_pem(key.certificate))
        for path in self._directory.glob("signing-*.pem"):
            if path not in wanted:
                path.unlink(missing_ok=True)


def _new_key() -> SigningKey:
    key = new_rsa_key()
    return SigningKey(key, self_signed(key, "partnercenter-emulator token signing"))


def _read_key(path: Path) -> SigningKey:
    data = path.read_bytes()
    # Our own file (written 0600 by _save): the RSA consistency check would cost ~80 ms a key
    # on every start, the bulk of a warm start.
    key = serialization.load_pem_private_key(
        data, password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return SigningKey(key, x509.load_pem_x509_certificate(data))
