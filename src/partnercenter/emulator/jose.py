"""Compact JWS for the emulator: RS256 signing and parsing, straight on ``cryptography``.

A JWT library would do, but the token endpoint's throughput is bounded by RSA signing
(about 1 ms a token), so the code around it must cost next to nothing: headers are
encoded once per key and JSON is dumped compactly. Verification of client assertions
uses PyJWT (see ``identity/assertion.py``); this module only signs and splits.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url; raises ``ValueError`` on anything else.

    Trailing ``=`` padding is tolerated: azure-identity's async credentials pad every segment
    of their client assertions (``base64.urlsafe_b64encode``) and Azure AD accepts them.
    """
    text = text.rstrip("=")
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_segment(value: dict[str, Any]) -> str:
    return b64url(dumps(value))


def sign_rs256(private_key: rsa.RSAPrivateKey, encoded_header: str, claims: dict[str, Any]) -> str:
    """A compact RS256 JWS: ``header.payload.signature``."""
    signing_input = f"{encoded_header}.{encode_segment(claims)}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Parse a compact JWS into (header, payload, signing input, signature) without verifying.

    Raises ``ValueError`` with a short reason for anything that is not a well-formed JWS.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deeply nested JSON
        raise ValueError("the header or payload is not base64url-encoded JSON") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("the header and payload must be JSON objects")
    signature = b64url_decode(parts[2]) if parts[2] else b""
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature
