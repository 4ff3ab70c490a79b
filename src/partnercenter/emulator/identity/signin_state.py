"""What the emulator remembers between the steps of a sign-in, and the grants it produced.

Pending browser flows, authorization codes, device codes, refresh tokens and consents, each
in a dict under one lock. All of it is in memory: a restart signs everybody out, as clearing
Azure AD's sessions would (keys and the directory do survive restarts).
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Literal

from ..directory import Application, Resource, Tenant, User


@dataclass(slots=True)
class AuthorizeRequest:
    """A validated ``/authorize`` (or device-code) request: what the sign-in is for."""

    version: int
    segment: str
    #: The tenant named in the path, or None for common/organizations (the user's home).
    tenant: Tenant | None
    app: Application
    redirect_uri: str | None
    response_mode: str
    state: str | None
    nonce: str | None
    #: The resource the delegated permissions are for (None: decided at redemption, v1).
    resource: Resource | None
    permissions: list[str]
    oidc_scopes: list[str]
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: str | None
    login_hint: str | None


@dataclass(slots=True)
class SignInFlow:
    id: str
    request: AuthorizeRequest
    created: float
    stage: Literal["signin", "mfa", "consent"] = "signin"
    user: User | None = None
    amr: list[str] = field(default_factory=list)
    device_code: str | None = None


@dataclass(slots=True)
class AuthorizationCode:
    code: str
    request: AuthorizeRequest
    user: User
    amr: list[str]
    expires: float
    redeemed: bool = False


@dataclass(slots=True)
class DeviceCode:
    device_code: str
    user_code: str
    request: AuthorizeRequest
    expires: float
    interval: int
    status: Literal["pending", "approved", "declined", "redeemed"] = "pending"
    user: User | None = None
    amr: list[str] = field(default_factory=list)
    last_poll: float | None = None


@dataclass(slots=True)
class RefreshGrant:
    """One refresh token: who, which app, how they authenticated, when it was issued."""

    token: str
    user: User
    client_id: str
    amr: list[str]
    issued: float
    #: The sign-in this token descends from; revoking the user revokes every family.
    family: str
    #: The resource last redeemed for (v1 refreshes without ``resource=`` reuse it).
    resource: str | None = None
    revoked: bool = False


class SignInState:
    """Thread-safe stores for the sign-in machinery."""

    #: Pending flows a user never finished are dropped after this long.
    FLOW_LIFETIME = 1800.0
    MAX_ENTRIES = 100_000
    DEVICE_CODES_BEFORE_PRUNING = 1_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flows: dict[str, SignInFlow] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.device_codes: dict[str, DeviceCode] = {}
        self.user_codes: dict[str, str] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        #: (user object id, client id) -> granted "resource/permission" strings.
        self.consents: dict[tuple[str, str], set[str]] = {}

    def new_flow(
        self, request: AuthorizeRequest, now: float, device_code: str | None = None
    ) -> SignInFlow:
        flow = SignInFlow(secrets.token_urlsafe(24), request, now, device_code=device_code)
        with self.lock:
            self._prune(now)
            self.flows[flow.id] = flow
        return flow

    def flow(self, flow_id: str, now: float) -> SignInFlow | None:
        found = self.flows.get(flow_id)
        if found is None or now - found.created > self.FLOW_LIFETIME:
            return None
        return found

    def end_flow(self, flow_id: str) -> None:
        with self.lock:
            self.flows.pop(flow_id, None)

    def new_code(self, flow: SignInFlow, expires: float) -> AuthorizationCode:
        assert flow.user is not None
        code = AuthorizationCode(
            "1.A" + secrets.token_urlsafe(96), flow.request, flow.user, list(flow.amr), expires
        )
        with self.lock:
            self.codes[code.code] = code
        return code

    def new_device_code(
        self, request: AuthorizeRequest, now: float, expires: float, interval: int
    ) -> DeviceCode:
        alphabet = string.ascii_uppercase + string.digits
        with self.lock:
            self._prune_device_codes(now)
            while True:
                user_code = "".join(secrets.choice(alphabet) for _ in range(9))
                if user_code not in self.user_codes:
                    break
            device = DeviceCode(
                "DAQABAAEAAA" + secrets.token_urlsafe(96), user_code, request, expires, interval
            )
            self.device_codes[device.device_code] = device
            self.user_codes[user_code] = device.device_code
        return device

    def device_by_user_code(self, user_code: str) -> DeviceCode | None:
        device_code = self.user_codes.get(user_code.strip().upper().replace("-", ""))
        return self.device_codes.get(device_code) if device_code else None

    def new_refresh_token(
        self,
        user: User,
        client_id: str,
        amr: list[str],
        issued: float,
        family: str | None = None,
        *,
        resource: str | None = None,
    ) -> RefreshGrant:
        grant = RefreshGrant(
            "1.AR" + secrets.token_urlsafe(160),
            user,
            client_id,
            list(amr),
            issued,
            family or secrets.token_urlsafe(12),
            resource,
        )
        with self.lock:
            self.refresh_tokens[grant.token] = grant
        return grant

    def revoke_user(self, object_id: str) -> int:
        """Revoke every refresh token of a user (an admin's "revoke sessions"); consent stays."""
        count = 0
        with self.lock:
            for grant in self.refresh_tokens.values():
                if grant.user.object_id == object_id and not grant.revoked:
                    grant.revoked = True
                    count += 1
        return count

    def consented(self, user: User, client_id: str) -> set[str]:
        return set(self.consents.get((user.object_id, client_id), set()))

    def grant_consent(self, user: User, client_id: str, grants: set[str]) -> None:
        with self.lock:
            self.consents.setdefault((user.object_id, client_id), set()).update(grants)

    def _prune_device_codes(self, now: float) -> None:
        # Anyone may start a device-code sign-in: drop expired ones once there are many, so
        # repeated requests cannot grow memory without bound. Called with the lock held.
        if len(self.device_codes) <= self.DEVICE_CODES_BEFORE_PRUNING:
            return
        for code, device in list(self.device_codes.items()):
            if device.expires < now or device.status == "redeemed":
                del self.device_codes[code]
                self.user_codes.pop(device.user_code, None)

    def _prune(self, now: float) -> None:
        if len(self.flows) > self.MAX_ENTRIES:
            self.flows = {
                k: f for k, f in self.flows.items() if now - f.created <= self.FLOW_LIFETIME
            }
        if len(self.codes) > self.MAX_ENTRIES:
            self.codes = {k: c for k, c in self.codes.items() if c.expires >= now}
