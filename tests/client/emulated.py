"""Helpers for the integration tests: clients of the running emulator, app + user tokens
minted with the emulator's keys (with and without MFA), and forged tokens."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import partnercenter
from partnercenter import AccessTokenCredential, PartnerClient, Timing
from partnercenter.emulator import Emulator

from ..emulator_support import b64url, claims, cloud, mint, segment
from .flavours import Flavour

GRAPH = "https://graph.windows.net"


def forged(emu: Emulator, kind: str) -> str:
    """One of the forged or broken tokens Partner Center refuses."""
    payload = claims(emu)
    key = emu.state.keys.active
    if kind == "alg_none":
        return f"{segment({'typ': 'JWT', 'alg': 'none'})}.{segment(payload)}."
    if kind == "hs256_public_key":
        pem = key.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        head = f"{segment({'typ': 'JWT', 'alg': 'HS256', 'kid': key.kid})}.{segment(payload)}"
        return f"{head}.{b64url(hmac.new(pem, head.encode(), hashlib.sha256).digest())}"
    if kind in ("unknown_kid", "stranger_key"):
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = "not-a-published-key" if kind == "unknown_kid" else key.kid
        head = f"{segment({'typ': 'JWT', 'alg': 'RS256', 'kid': kid})}.{segment(payload)}"
        signature = stranger.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{b64url(signature)}"
    if kind == "tampered":
        header, _, signature = mint(emu).split(".")
        return (
            f"{header}.{segment({**payload, 'tid': payload['tid'], 'upn': 'x@evil'})}.{signature}"
        )
    if kind == "wrong_issuer":
        return mint(emu, iss="https://sts.windows.net/00000000-0000-0000-0000-000000000000/")
    if kind == "other_tenant":
        other = emu.customer_tenants[0]["id"]
        return mint(emu, tid=other, iss=f"https://sts.windows.net/{other}/")
    if kind == "expired":
        now = int(emu.state.clock.now())
        return mint(emu, iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    if kind == "not_yet_valid":
        now = int(emu.state.clock.now())
        return mint(emu, nbf=now + 3600, exp=now + 7200)
    if kind == "other_audience":
        return mint(emu, aud="https://graph.microsoft.com")
    if kind == "oversized":
        return mint(emu, padding="x" * 20_000)
    if kind == "malformed":
        return "not.a-jwt"
    raise ValueError(kind)


def user_credential(emu: Emulator, *, mfa: bool = True, **overrides: Any) -> AccessTokenCredential:
    return AccessTokenCredential(mint(emu, mfa=mfa, **overrides))


def app_credential(emu: Emulator, lib: ModuleType = partnercenter, **options: Any) -> Any:
    """The emulator app's client-secret credential, blocking or (``lib=aio``) async."""
    app = emu.app("partner-center-app")
    return lib.ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=cloud(emu),
        verify=emu.ca_cert,  # type: ignore[arg-type]
        **options,
    )


def user_client(emu: Emulator, *, mfa: bool = True, **options: Any) -> PartnerClient:
    """A client with an app + user token (MFA by default): every operation accepts it."""
    credential = options.pop("credential", None) or user_credential(emu, mfa=mfa)
    return PartnerClient(credential, cloud=cloud(emu), verify=emu.ca_cert, **options)


@contextmanager
def app_client(emu: Emulator, **options: Any) -> Iterator[PartnerClient]:
    """A client with an app-only credential of the emulator's app; both closed after use (an
    open keep-alive connection would outlive the test and warn)."""
    given = options.pop("credential", None)
    credential = given or app_credential(emu)
    try:
        with PartnerClient(credential, verify=emu.ca_cert, **options) as client:
            yield client
    finally:
        if given is None:
            credential.close()


def flavoured_client(flavour: Flavour, emu: Emulator, *, mfa: bool = True, **options: Any) -> Any:
    """:func:`user_client` of ``flavour``: a blocking or an async client with an app + user
    token (``credential=`` another credential of that flavour)."""
    credential = options.pop("credential", None) or flavour.lib.AccessTokenCredential(
        mint(emu, mfa=mfa)
    )
    options.setdefault("verify", emu.ca_cert)
    return flavour.client_class(credential, cloud=cloud(emu), **options)


def travel(emu: Emulator | None, sleeps: list[float]) -> Timing:
    """Waits (blocking and async) that record their length and move the emulator's clock
    instead of waiting; ``emu=None`` only records."""

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if emu is not None:
            emu.advance_clock(seconds)

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    return Timing(sleep=sleep, async_sleep=async_sleep)


class LoseFirstAnswer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A real transport (blocking and async) that loses the answer to the first ``method``
    request after the server has carried it out: what a client sees when a connection dies at
    the worst moment."""

    def __init__(self, verify: Any, method: str = "POST") -> None:
        self.verify = verify
        self.inner: httpx.HTTPTransport | None = None
        self.async_inner: httpx.AsyncHTTPTransport | None = None
        self.method = method
        self.lost = 0

    def _lose(self, request: httpx.Request) -> bool:
        lose = request.method == self.method and not self.lost
        self.lost += lose
        return lose

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.inner = self.inner or httpx.HTTPTransport(verify=self.verify)
        response = self.inner.handle_request(request)
        if self._lose(request):
            response.read()
            response.close()
            raise httpx.ReadError("connection lost before the answer arrived")
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.async_inner = self.async_inner or httpx.AsyncHTTPTransport(verify=self.verify)
        response = await self.async_inner.handle_async_request(request)
        if self._lose(request):
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection lost before the answer arrived")
        return response

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()

    async def aclose(self) -> None:
        if self.async_inner is not None:
            await self.async_inner.aclose()
