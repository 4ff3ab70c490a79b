"""Fakes shared by the unit tests: JWT-shaped tokens, a fake clock, and scripted endpoints on
``httpx.MockTransport``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from partnercenter import Timing

#: A fixed jitter draw: back-off delays are then exact numbers.
JITTER = 0.5

PC = "https://api.partnercenter.microsoft.com"


def jwt(claims: dict[str, Any], signature: str = "c2lnbmF0dXJl") -> str:
    """A JWT-shaped string with ``claims`` (the library reads claims, never verifies them)."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.{signature}"


def app_claims(tid: str, appid: str) -> dict[str, Any]:
    """The claims of an app-only Partner Center token."""
    return {"aud": PC, "tid": tid, "appid": appid, "idtyp": "app", "roles": ["Partner.Read"]}


def user_claims(tid: str, appid: str, amr: list[str], upn: str) -> dict[str, Any]:
    """The claims of an app + user Partner Center token."""
    return {
        "aud": PC,
        "tid": tid,
        "appid": appid,
        "idtyp": "user",
        "scp": "user_impersonation",
        "amr": amr,
        "upn": upn,
    }


class FakeClock:
    """``time.time`` and ``time.sleep`` that only move when told (sleep moves the clock; no real
    waiting)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def timing(self, random: Callable[[], float] = lambda: JITTER) -> Timing:
        """The one seam every credential and client takes: this clock, its sleeps (blocking
        and async) and a fixed jitter draw."""
        return Timing(clock=self, sleep=self.sleep, random=random, async_sleep=self.asleep)


class MockTransports:
    """Sync and async ``httpx.MockTransport`` over :meth:`handle`."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self.handle(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.ahandle)


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedTransport(MockTransports):
    """Answers from ``replies`` in order (the last one repeats; an exception is raised, a callable
    is called with the request; with no replies, :meth:`default_reply`), and records every
    request."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def default_reply(self) -> httpx.Response:
        raise NotImplementedError

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            reply: Reply = self.default_reply()
        else:
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply
