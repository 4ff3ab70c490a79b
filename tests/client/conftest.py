"""Shared helpers of the client tests: JWT-shaped tokens, a fake clock, and a scripted Partner
Center API on ``httpx.MockTransport`` that records every request."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator

API = "https://api.partnercenter.microsoft.com"
PARTNER = "8e2346b3-225f-5cc1-89c3-5f5cea075940"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"
NOW = 1_000_000.0
EXP = int(NOW) + 3600


def jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped string (the client reads claims, never verifies them)."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def app_token(marker: str = "app", **extra: Any) -> str:
    claims = {
        "aud": API,
        "tid": PARTNER,
        "appid": CLIENT_ID,
        "idtyp": "app",
        "roles": ["Partner.Read"],
        "exp": EXP,
        "marker": marker,
        **extra,
    }
    return jwt(claims)


def user_token(amr: list[str] | None = None, marker: str = "user", **extra: Any) -> str:
    claims = {
        "aud": API,
        "tid": PARTNER,
        "appid": CLIENT_ID,
        "idtyp": "user",
        "scp": "user_impersonation",
        "amr": ["pwd", "mfa"] if amr is None else amr,
        "upn": "admin@contoso.onmicrosoft.com",
        "exp": EXP,
        "marker": marker,
        **extra,
    }
    return jwt(claims)


class FakeClock:
    """``time.time`` and sleeps that only move the clock (no real waiting)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def pc_error(status: int, code: int | str, description: str, **headers: str) -> httpx.Response:
    body = {"code": code, "description": description, "data": [], "source": "PartnerFD"}
    return httpx.Response(status, json=body, headers=headers)


def throttled(seconds: int = 2) -> httpx.Response:
    return httpx.Response(
        429,
        json={
            "statusCode": 429,
            "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
        },
        headers={"Retry-After": str(seconds)},
    )


def ok(body: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeApi:
    """Answers from ``replies`` in order (the last one repeats; a callable is called with the
    request), and records every request."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply: Reply = (
            ok({})
            if not self.replies
            else self.replies.pop(0)
            if len(self.replies) > 1
            else self.replies[0]
        )
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self.handle(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.ahandle)

    def header(self, name: str, index: int = -1) -> str | None:
        return self.requests[index].headers.get(name)

    def ids(self, name: str = "MS-RequestId") -> list[str | None]:
        return [r.headers.get(name) for r in self.requests]


@pytest.fixture()
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


# -- the running emulator (integration tests) ------------------------------------------------
@pytest.fixture(scope="session")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One real emulator (token service + Partner Center API, TLS on loopback)."""
    with Emulator.start(state_dir=tmp_path_factory.mktemp("client-emulator")) as emulator:
        yield emulator


@pytest.fixture()
def clean(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, with faults, throttling and its clock restored after the test."""
    yield emu
    emu.admin("DELETE", "faults")
    emu.admin("DELETE", "throttling")
    emu.reset_clock()
