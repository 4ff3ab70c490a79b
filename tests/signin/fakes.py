"""A scripted Azure AD for the sign-in unit tests (on ``httpx.MockTransport``): device codes,
authorization codes with PKCE, refresh tokens with rotation, and AADSTS errors."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ..fakes import PC, MockTransports, user_claims
from ..fakes import jwt as shared_jwt

TENANT = "contosopartner.onmicrosoft.com"
TENANT_ID = "8e2346b3-225f-5cc1-89c3-5f5cea075940"
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
UPN = "admin@contosopartner.onmicrosoft.com"
#: Where the fake clock of the sign-in tests starts.
NOW = 1_700_000_000.0


def jwt(claims: dict[str, Any]) -> str:
    return shared_jwt(claims, signature="c2ln")


def user_token(amr: tuple[str, ...] = ("pwd", "mfa"), tid: str = TENANT_ID) -> str:
    return jwt(user_claims(tid, CLIENT_ID, list(amr), UPN))


def aad_error(code: int, error: str, message: str = "failed") -> httpx.Response:
    return httpx.Response(
        400,
        json={
            "error": error,
            "error_description": f"AADSTS{code}: {message}\r\nTrace ID: t\r\nCorrelation ID: c",
            "error_codes": [code],
        },
    )


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class FakeAzureAD(MockTransports):
    """Answers devicecode and token requests; ``polls`` scripts the device-code poll answers
    (the last repeats); authorization codes are checked against the PKCE challenge that the
    test registers with :meth:`issue_code`."""

    amr: tuple[str, ...] = ("pwd", "mfa")
    polls: list[httpx.Response | None] = field(default_factory=list)
    device_interval: int = 5
    refresh_answer: Callable[[dict[str, str]], httpx.Response] | None = None
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (challenge, uri)
    issued: list[str] = field(default_factory=list)
    serial: int = 0

    def _tokens(self, tid: str = TENANT_ID) -> httpx.Response:
        self.serial += 1
        refresh = f"0.AAA-refresh-{self.serial}-" + "r" * 30
        self.issued.append(refresh)
        return httpx.Response(
            200,
            json={
                "token_type": "Bearer",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": user_token(self.amr, tid),
                "refresh_token": refresh,
                "scope": f"{PC}/user_impersonation",
                "id_token": jwt({"aud": CLIENT_ID, "preferred_username": UPN}),
            },
        )

    def issue_code(self, code: str, challenge: str, redirect_uri: str) -> None:
        self.codes[code] = (challenge, redirect_uri)

    def handle(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        path = request.url.path
        self.requests.append((path, form))
        tenant = path.split("/")[1]
        tid = CUSTOMER if tenant == CUSTOMER else TENANT_ID
        if path.endswith("/devicecode"):
            return httpx.Response(
                200,
                json={
                    "device_code": "DEVICE-CODE-SECRET-" + "d" * 20,
                    "user_code": "ABCD-1234",
                    "verification_uri": "https://login.example/devicelogin",
                    "expires_in": 900,
                    "interval": self.device_interval,
                    "message": "To sign in, open https://login.example/devicelogin: ABCD-1234",
                },
            )
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            reply = self.polls.pop(0) if len(self.polls) > 1 else (self.polls or [None])[0]
            return reply if reply is not None else self._tokens(tid)
        if grant == "authorization_code":
            challenge, uri = self.codes.pop(form.get("code", ""), ("", ""))
            if not challenge:
                return aad_error(54005, "invalid_grant", "code already redeemed")
            if challenge_of(form.get("code_verifier", "")) != challenge:
                return aad_error(501481, "invalid_grant", "verifier mismatch")
            if form.get("redirect_uri") != uri:
                return aad_error(70000, "invalid_grant", "redirect_uri differs")
            return self._tokens(tid)
        if grant == "refresh_token":
            if self.refresh_answer is not None:
                return self.refresh_answer(form)
            if form.get("refresh_token") not in self.issued:
                return aad_error(9002313, "invalid_grant", "malformed")
            return self._tokens(tid)
        return aad_error(900144, "invalid_request", "unexpected")

    def grants(self) -> list[str]:
        return [form.get("grant_type", path.rsplit("/", 1)[-1]) for path, form in self.requests]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
