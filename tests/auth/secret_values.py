"""Hypothesis strategies for values shaped like real secrets (shared by the leak tests).

The shapes are the public formats: an Entra ID client secret (three characters, a digit,
``Q~``, 31-34 more), an older base64 secret (44 characters), a JWT (access token or client
assertion), an Entra refresh token (``0.A`` + a long base64url body), a hexadecimal key and a
PEM private key. Every value is at least 32 characters long, so finding one in an output
cannot be a coincidence.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from hypothesis import strategies as st

_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SECRET_CHARS = _URLSAFE + "~."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


client_secrets = st.builds(
    lambda head, digit, tail: f"{head}{digit}Q~{tail}",
    st.text(_SECRET_CHARS, min_size=3, max_size=3),
    st.sampled_from("0123456789"),
    st.text(_SECRET_CHARS, min_size=31, max_size=34),
)
legacy_secrets = st.binary(min_size=32, max_size=32).map(
    lambda raw: base64.b64encode(raw).decode("ascii")
)
jwts = st.builds(
    lambda header, payload, signature: f"eyJ{header}.{_b64url(payload)}.{_b64url(signature)}",
    st.text(_URLSAFE, min_size=16, max_size=40),
    st.binary(min_size=24, max_size=120),
    st.binary(min_size=32, max_size=64),
)
refresh_tokens = st.builds(
    lambda version, body: f"{version}.A{body}",
    st.sampled_from("01"),
    st.text(_URLSAFE, min_size=60, max_size=300),
)
hex_keys = st.binary(min_size=16, max_size=32).map(bytes.hex)
pem_keys = st.binary(min_size=48, max_size=96).map(
    lambda raw: (
        "-----BEGIN PRIVATE KEY-----\n"
        + base64.b64encode(raw).decode("ascii")
        + "\n-----END PRIVATE KEY-----\n"
    )
)

#: Any of the shapes above.
secrets = st.one_of(client_secrets, legacy_secrets, jwts, refresh_tokens, hex_keys, pem_keys)


def leaked(secret: str, text: str) -> bool:
    """True when the secret, its first 24 characters (a truncated echo) or its URL-encoded
    form is in ``text`` (for a PEM block: its body)."""
    for part in secret.split():
        if len(part) < 24:
            continue  # the PEM armour lines are not secret
        for form in (part, quote_plus(part)):
            if form[:24] in text:
                return True
    return False
