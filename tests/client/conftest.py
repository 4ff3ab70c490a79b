"""Shared helpers of the client tests: JWT-shaped tokens, a fake clock, and a scripted Partner
Center API on ``httpx.MockTransport`` that records every request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator

from ..fakes import PC, FakeClock, ScriptedTransport, app_claims, jwt, user_claims

API = PC
PARTNER = "8e2346b3-225f-5cc1-89c3-5f5cea075940"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"
NOW = 1_000_000.0
EXP = int(NOW) + 3600


def app_token(marker: str = "app", **extra: Any) -> str:
    return jwt({**app_claims(PARTNER, CLIENT_ID), "exp": EXP, "marker": marker, **extra})


def user_token(amr: list[str] | None = None, marker: str = "user", **extra: Any) -> str:
    claims = user_claims(
        PARTNER, CLIENT_ID, ["pwd", "mfa"] if amr is None else amr, "admin@contoso.onmicrosoft.com"
    )
    return jwt({**claims, "exp": EXP, "marker": marker, **extra})


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


class FakeApi(ScriptedTransport):
    """Answers from ``replies`` in order (the last one repeats; a callable is called with the
    request), and records every request."""

    def default_reply(self) -> httpx.Response:
        return ok({})

    def header(self, name: str, index: int = -1) -> str | None:
        return self.requests[index].headers.get(name)

    def ids(self, name: str = "MS-RequestId") -> list[str | None]:
        return [r.headers.get(name) for r in self.requests]


@pytest.fixture()
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # Every async test runs on both event loops anyio supports (issue 9.4).
    backend: str = request.param
    return backend


# -- the running emulator (integration tests): the suite's ``emu`` (tests/conftest.py) --------
@pytest.fixture()
def clean(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, with faults, throttling and its clock restored after the test."""
    yield emu
    emu.admin("DELETE", "faults")
    emu.admin("DELETE", "throttling")
    emu.reset_clock()
