"""Verifying certificate client assertions (RFC 7523 ``private_key_jwt``), as Azure AD does.

Checked, in order: the JWT is well formed; ``alg`` is PS256 or RS256; the ``x5t#S256``
(preferred) or ``x5t`` header names a certificate registered on the app; the signature
verifies with that certificate's key; ``iss`` = ``sub`` = client id; ``aud`` is this token
endpoint (v1 or v2 URL, tenant by GUID or any verified domain); ``exp``/``nbf`` hold within
the allowed skew; and, when the opt-in replay check is on, ``jti`` was not used before.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..._contract import aadsts
from ..._contract.wire import TOKEN_PATH_V1, TOKEN_PATH_V2
from ..directory import AppCertificate, Application, Directory, Tenant
from ..jose import split
from .errors import AadError

SUPPORTED_ALGORITHMS = ("PS256", "RS256")


#: The longest an assertion ``jti`` is remembered: an assertion claiming to live longer (an
#: absurd ``exp``) is only refused as a replay within this window. azure-identity's assertions
#: live 30 minutes, MSAL's 10.
MAX_REMEMBERED_SECONDS = 3600.0
#: Hard bound on remembered ids; past it the oldest are forgotten first.
MAX_REMEMBERED_IDS = 200_000


class ReplayCache:
    """``jti`` values seen (the opt-in replay check), kept until their assertion could no
    longer be accepted anyway, and never longer than :data:`MAX_REMEMBERED_SECONDS`.

    Ids sit in a dict (the lookup) and a FIFO of ``(keep_until, id)`` in arrival order;
    every ``add`` drops expired ids from the FIFO's head, so each id is dropped once and an
    ``add`` costs amortized O(1) whatever the number held. A long-lived id at the head can
    hold shorter-lived ones behind it, but never past the cap.
    """

    def __init__(
        self, max_seconds: float = MAX_REMEMBERED_SECONDS, max_ids: int = MAX_REMEMBERED_IDS
    ) -> None:
        self._seen: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()
        self._max_seconds = max_seconds
        self._max_ids = max_ids
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, jti: str, keep_until: float, now: float) -> bool:
        """Record ``jti``; ``False`` if it was already there (a replay)."""
        keep_until = min(keep_until, now + self._max_seconds)
        with self._lock:
            self._expire(now)
            known = self._seen.get(jti)
            if known is not None and known >= now:
                return False
            self._seen[jti] = keep_until
            self._order.append((keep_until, jti))
            return True

    def _expire(self, now: float) -> None:
        order, seen = self._order, self._seen
        while order and (order[0][0] < now or len(order) >= self._max_ids):
            keep_until, jti = order.popleft()
            if seen.get(jti) == keep_until:
                del seen[jti]


def verify_assertion(
    assertion: str,
    *,
    app: Application,
    tenant: Tenant,
    directory: Directory,
    request_origins: tuple[str, ...],
    now: float,
    skew: int,
    replay: ReplayCache | None,
) -> AppCertificate:
    """Check ``assertion`` for ``app``; returns the certificate it was signed with."""
    try:
        header, claims, signing_input, signature = split(assertion)
    except ValueError as exc:
        raise AadError(aadsts.ASSERTION_MALFORMED, detail=str(exc)) from None
    alg = header.get("alg")
    if alg not in SUPPORTED_ALGORITHMS:
        raise AadError(aadsts.ASSERTION_ALGORITHM, alg=alg)
    sha256 = header.get("x5t#S256")
    sha1 = header.get("x5t")
    if not isinstance(sha256, str) and not isinstance(sha1, str):
        raise AadError(
            aadsts.ASSERTION_BAD_SIGNATURE,
            detail="The client assertion header has neither 'x5t#S256' nor 'x5t'.",
        )
    # MSAL sends the thumbprints padded (base64.urlsafe_b64encode keeps the '='); Azure AD
    # accepts them either way.
    cert = app.certificate_by_thumbprint(
        sha1=sha1.rstrip("=") if isinstance(sha1, str) else None,
        sha256=sha256.rstrip("=") if isinstance(sha256, str) else None,
    )
    if cert is None:
        shown = sha256 if isinstance(sha256, str) else sha1
        raise AadError(
            aadsts.ASSERTION_BAD_SIGNATURE,
            detail=f"[Reason - The key was not found., Thumbprint of key used by client: "
            f"'{shown}'] The certificate is not registered on app '{app.client_id}'.",
        )
    if not _signature_ok(cert, alg, signing_input, signature):
        raise AadError(
            aadsts.ASSERTION_BAD_SIGNATURE,
            detail="[Reason - The provided signature value did not match the expected signature "
            "value.]",
        )
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise AadError(aadsts.ASSERTION_CLIENT_MISMATCH)
    if not _audience_ok(claims.get("aud"), tenant, directory, request_origins):
        raise AadError(aadsts.ASSERTION_AUDIENCE)
    exp = _number(claims.get("exp"))
    nbf = _number(claims.get("nbf"))
    if exp is None:
        raise AadError(aadsts.ASSERTION_MALFORMED, detail="The assertion has no numeric 'exp'.")
    if nbf is None and claims.get("nbf") is not None:
        raise AadError(aadsts.ASSERTION_MALFORMED, detail="The assertion's 'nbf' is not numeric.")
    if exp + skew < now or (nbf is not None and nbf - skew > now):
        raise AadError(aadsts.ASSERTION_TIME_RANGE, now=int(now), nbf=nbf, exp=exp)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise AadError(aadsts.ASSERTION_MALFORMED, detail="The assertion has no 'jti' claim.")
    if replay is not None and not replay.add(f"{app.client_id}/{jti}", exp + skew, now):
        raise AadError(aadsts.ASSERTION_REPLAYED, jti=jti)
    return cert


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None  # NaN (json.loads accepts it) is no time at all
    try:
        return float(value)
    except OverflowError:  # an integer beyond float range: treat as never expiring
        return float("inf")


def _signature_ok(cert: AppCertificate, alg: str, signing_input: bytes, signature: bytes) -> bool:
    key = cert.certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    pad: padding.AsymmetricPadding = (
        padding.PKCS1v15()
        if alg == "RS256"
        # PS256 signers use a salt as long as the hash (RFC 7518 3.5); AUTO accepts that.
        else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    )
    try:
        key.verify(signature, signing_input, pad, hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _audience_ok(aud: Any, tenant: Tenant, directory: Directory, origins: tuple[str, ...]) -> bool:
    candidates = aud if isinstance(aud, list) else [aud]
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        try:
            parts = urlsplit(candidate)
        except ValueError:  # e.g. an unclosed '[' in the host
            continue
        if f"{parts.scheme}://{parts.netloc}".lower() not in (o.lower() for o in origins):
            continue
        segments = parts.path.strip("/").split("/", 1)
        if len(segments) != 2 or segments[1] not in (TOKEN_PATH_V1, TOKEN_PATH_V2):
            continue
        named = directory.tenant(segments[0])
        if named is not None and named.id == tenant.id:
            return True
    return False
