"""Helpers: tokens for the Partner Center API, minted or fetched as a client would."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from partnercenter.emulator import Emulator

from ...emulator_support import b64url, segment
from ...emulator_support import claims as emulator_claims
from ...emulator_support import mint as emulator_mint

PC_RESOURCE = "https://api.partnercenter.microsoft.com"
GRAPH = "https://graph.windows.net"
DISPLAY_NAME = "Partner Admin"


def claims(emu: Emulator, **overrides: Any) -> dict[str, Any]:
    """Claims shaped like Azure AD's v1 Partner Center tokens (app + user by default; user
    tokens carry the display name too)."""
    return emulator_claims(emu, display_name=DISPLAY_NAME, **overrides)


def mint(emu: Emulator, **overrides: Any) -> str:
    """A token signed by the emulator's active key."""
    return emulator_mint(emu, display_name=DISPLAY_NAME, **overrides)


def fetch_token(
    emu: Emulator, client: httpx.Client, *, tenant: str | None = None, resource: str = PC_RESOURCE
) -> str:
    """An app-only token from the emulator's token service (client credentials, v2)."""
    app = emu.app("partner-center-app")
    response = client.post(
        f"/{tenant or emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": f"{resource}/.default",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def forge(header: dict[str, Any], payload: dict[str, Any], sign: Any) -> str:
    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def hs256_with_public_key(emu: Emulator, payload: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC keyed with the published RSA public key."""
    key = emu.state.keys.active
    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"typ": "JWT", "alg": "HS256", "kid": key.kid}
    return forge(header, payload, lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def signed_by_stranger(payload: dict[str, Any], kid: str) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = {"typ": "JWT", "alg": "RS256", "kid": kid}
    return forge(
        header, payload, lambda data: stranger.sign(data, padding.PKCS1v15(), hashes.SHA256())
    )


def signed_ps256(emu: Emulator, payload: dict[str, Any]) -> str:
    key = emu.state.keys.active
    header = {"typ": "JWT", "alg": "PS256", "kid": key.kid}
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return forge(header, payload, lambda data: key.private_key.sign(data, pss, hashes.SHA256()))


def error(response: httpx.Response) -> tuple[int, int]:
    """(status, Partner Center code) of an error response, checking the documented shape."""
    body = response.json()
    assert set(body) == {"code", "description", "data", "source"}, body
    assert isinstance(body["code"], int) and body["data"] == [] and body["source"] == "PartnerFD"
    assert isinstance(body["description"], str) and 0 < len(body["description"]) <= 1024
    return response.status_code, body["code"]
