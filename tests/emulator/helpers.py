"""Test helpers: client assertions built with PyJWT (independent of the emulator's code)."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..emulator_support import b64url

PC_RESOURCE = "https://api.partnercenter.microsoft.com"
PC_DEFAULT_SCOPE = f"{PC_RESOURCE}/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def make_assertion(
    app: dict[str, Any],
    audience: str,
    *,
    alg: str = "PS256",
    now: float | None = None,
    lifetime: int = 600,
    jti: str | None = None,
    claims: dict[str, Any] | None = None,
    key_pem: bytes | None = None,
    cert_pem: bytes | None = None,
    headers: dict[str, Any] | None = None,
) -> str:
    cert_data = cert_pem or Path(app["certificate"]["cert_path"]).read_bytes()
    key_data = key_pem or Path(app["certificate"]["key_path"]).read_bytes()
    der = x509.load_pem_x509_certificate(cert_data).public_bytes(serialization.Encoding.DER)
    now = time.time() if now is None else now
    header: dict[str, Any] = (
        {"x5t#S256": b64url(hashlib.sha256(der).digest())}
        if alg == "PS256"
        else {"x5t": b64url(hashlib.sha1(der).digest())}
    )
    header.update(headers or {})
    payload = {
        "aud": audience,
        "iss": app["client_id"],
        "sub": app["client_id"],
        "jti": jti or str(uuid.uuid4()),
        "nbf": int(now),
        "exp": int(now) + lifetime,
    }
    payload.update(claims or {})
    return jwt.encode(payload, key_data, algorithm=alg, headers=header)


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
