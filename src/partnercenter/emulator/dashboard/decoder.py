"""The token decoder: what a pasted JWT is, checked against this emulator's keys and rules.

It shows the header and the claims (never the signature), whether the signature verifies
against one of the published signing keys, whether the token is app-only or app + user, with
or without MFA, its time window on the emulator's clock, and which of Partner Center's
refusals it would meet: 900420 for the retired ``https://graph.windows.net`` audience and
900421 for an app + user token whose ``amr`` lacks ``mfa`` (see
https://learn.microsoft.com/partner-center/security/partner-security-requirements).
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ..._contract import pc_errors
from ..._contract.wire import (
    AAD_GRAPH_APP_ID,
    AAD_GRAPH_RESOURCE,
    PARTNER_CENTER_APP_ID,
    PARTNER_CENTER_RESOURCE,
)
from ..jose import split
from ..keys import KeyRing

MAX_TOKEN_CHARS = 16 * 1024
_GRAPH = {AAD_GRAPH_RESOURCE, AAD_GRAPH_RESOURCE + "/", AAD_GRAPH_APP_ID}
_PARTNER_CENTER = {PARTNER_CENTER_RESOURCE, PARTNER_CENTER_RESOURCE + "/", PARTNER_CENTER_APP_ID}


def decode(token: str, keys: KeyRing, now: float) -> dict[str, Any]:
    """A report on ``token``: ``{"ok": False, "error": ...}`` when it is not a JWT at all."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        return {"ok": False, "error": "paste a token (header.payload.signature)"}
    if len(token) > MAX_TOKEN_CHARS:
        return {"ok": False, "error": f"the token is longer than {MAX_TOKEN_CHARS} characters"}
    try:
        header, claims, signing_input, signature = split(token)
    except ValueError as error:
        return {"ok": False, "error": f"not a JWT: {error}"}
    return {
        "ok": True,
        "header": header,
        "claims": claims,
        "signature": _signature(header, signing_input, signature, keys),
        "kind": _kind(claims),
        "mfa": _mfa(claims),
        "times": _times(claims, now),
        "partner_center": _partner_center(claims),
    }


def _signature(
    header: dict[str, Any], signing_input: bytes, signature: bytes, keys: KeyRing
) -> dict[str, Any]:
    kid = header.get("kid")
    if header.get("alg") != "RS256":
        return {"valid": False, "detail": f"algorithm {str(header.get('alg'))[:40]!r} is not RS256"}
    if not isinstance(kid, str):
        return {"valid": False, "detail": "the header names no key (kid)"}
    key = keys.get(kid)
    if key is None:
        return {"valid": False, "detail": "signed by a key this emulator does not publish"}
    try:
        key.public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return {"valid": False, "detail": f"the signature does not verify with key {kid}"}
    active = key is keys.active
    return {
        "valid": True,
        "detail": f"verified with key {kid}" + (" (the active key)" if active else " (older)"),
    }


def _kind(claims: dict[str, Any]) -> str:
    if claims.get("idtyp") == "user" or "scp" in claims:
        return "app + user"
    if claims.get("idtyp") == "app" or "roles" in claims or "oid" in claims:
        return "app-only"
    return "unknown"


def _mfa(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    return isinstance(amr, list) and "mfa" in amr


def _times(claims: dict[str, Any], now: float) -> dict[str, Any]:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    result: dict[str, Any] = {"now": now}
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        result["expires_in"] = round(exp - now)
        result["expired"] = exp < now
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool):
        result["not_yet_valid"] = nbf > now
    return result


def _partner_center(claims: dict[str, Any]) -> list[str]:
    """The Partner Center refusals this token would meet, named with the fix."""
    notes: list[str] = []
    audience = claims.get("aud")
    if audience in _GRAPH:
        notes.append(
            f"{pc_errors.GRAPH_AUDIENCE.code}: the audience {AAD_GRAPH_RESOURCE} is no longer "
            f"accepted (401). {pc_errors.GRAPH_AUDIENCE.hint}"
        )
    elif audience not in _PARTNER_CENTER:
        notes.append(f"the audience is not Partner Center ({PARTNER_CENTER_RESOURCE}): 401")
    if _kind(claims) == "app + user" and not _mfa(claims):
        notes.append(
            f"{pc_errors.MFA_REQUIRED.code}: app + user without 'mfa' in 'amr' (401). "
            f"{pc_errors.MFA_REQUIRED.hint}"
        )
    return notes
