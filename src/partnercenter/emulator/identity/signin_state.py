"""What the emulator remembers between the steps of a sign-in, and the grants it produced.

Pending browser flows, authorization codes, device codes, refresh tokens and consents, each
in a bounded, expiring, insertion-ordered dict under one lock. All of it is in memory: a
restart signs everybody out, as clearing Azure AD's sessions would (keys and the directory
do survive restarts).
"""

from __future__ import annotations

import contextlib
import secrets
import string
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from ..directory import Application, Resource, Tenant, User
from .lockout import SmartLockout
from .totp import remembered


@dataclass(slots=True)
class AuthorizeRequest:
    """A validated ``/authorize`` (or device-code) request: what the sign-in is for."""

    version: int
    segment: str
    #: The tenant named in the path, or None for common/organizations (the user's home).
    tenant: Tenant | None
    app: Application
    # The defaults are a device-code request's: no redirect, no browser-sent parameters.
    redirect_uri: str | None = None
    response_mode: str = "query"
    state: str | None = None
    nonce: str | None = None
    #: The resource the delegated permissions are for (None: decided at redemption, v1).
    resource: Resource | None = None
    permissions: list[str] = field(default_factory=list)
    oidc_scopes: list[str] = field(default_factory=list)
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: str | None = None
    login_hint: str | None = None


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
class PendingDeviceCode:
    """A device authorization awaiting its sign-in (the emulator's record; what the client
    shows its user is :class:`partnercenter.DeviceCode`)."""

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
    """Thread-safe stores for the sign-in machinery, every one bounded and expiring.

    Anyone who knows a client id can start a browser or device-code sign-in, so pending flows
    and device codes are capped (the oldest goes first) and dropped once expired; codes and
    refresh tokens, which need a signed-in user, are pruned when expired, redeemed or rotated
    away. Each store is an insertion-ordered dict, so pruning looks only at the oldest
    entries: amortized O(1) per insertion.
    """

    #: Pending flows a user never finished are dropped after this long.
    FLOW_LIFETIME = 1800.0
    #: Caps on what unauthenticated requests can create (a flow is a few KB at most, see
    #: authorize.py's request limits); past them the oldest entry is dropped.
    MAX_FLOWS = 10_000
    MAX_DEVICE_CODES = 10_000
    #: Caps on what signed-in users create (codes, refresh tokens).
    MAX_CODES = 10_000
    MAX_REFRESH_TOKENS = 50_000
    #: Refresh tokens kept per sign-in family: each use returns a new one and older ones stay
    #: valid, as in Entra ID, but only the newest ones; older ones are "rotated away". Enough
    #: for a fleet's concurrent redemptions of one stored token (a fan-out over customer
    #: tenants redeems it 32+ times at once, each worker holding a token a few dozen rotations
    #: old): a window of 8 refused them with 9002313, which Entra never does.
    REFRESH_TOKENS_PER_FAMILY = 256

    def __init__(self, lockout: SmartLockout | None = None) -> None:
        self.lock = threading.Lock()
        self.flows: OrderedDict[str, SignInFlow] = OrderedDict()
        self.codes: OrderedDict[str, AuthorizationCode] = OrderedDict()
        self.device_codes: OrderedDict[str, PendingDeviceCode] = OrderedDict()
        self.user_codes: dict[str, str] = {}
        self.refresh_tokens: OrderedDict[str, RefreshGrant] = OrderedDict()
        #: family -> its refresh tokens, oldest first.
        self.families: dict[str, deque[str]] = {}
        #: (user object id, client id) -> granted "resource/permission" strings. Bounded by
        #: construction: users and apps come from the directory, grants from its resources.
        self.consents: dict[tuple[str, str], set[str]] = {}
        self.lockout = lockout or SmartLockout()
        #: user object id -> the last TOTP time step accepted (codes are single-use).
        self.totp_steps: dict[str, int] = {}

    def new_flow(
        self, request: AuthorizeRequest, now: float, device_code: str | None = None
    ) -> SignInFlow:
        flow = SignInFlow(secrets.token_urlsafe(24), request, now, device_code=device_code)
        with self.lock:
            _prune(self.flows, self.MAX_FLOWS, lambda f: now - f.created > self.FLOW_LIFETIME)
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

    def new_code(
        self, flow: SignInFlow, expires: float, now: float | None = None
    ) -> AuthorizationCode:
        assert flow.user is not None
        code = AuthorizationCode(
            "1.A" + secrets.token_urlsafe(96), flow.request, flow.user, list(flow.amr), expires
        )
        at = flow.created if now is None else now
        with self.lock:
            # Redeemed codes stay until they expire, so a second redemption still gets 54005.
            _prune(self.codes, self.MAX_CODES, lambda c: c.expires < at)
            self.codes[code.code] = code
        return code

    def new_device_code(
        self, request: AuthorizeRequest, now: float, expires: float, interval: int
    ) -> PendingDeviceCode:
        alphabet = string.ascii_uppercase + string.digits
        with self.lock:
            for old in _prune(self.device_codes, self.MAX_DEVICE_CODES, lambda d: d.expires < now):
                self.user_codes.pop(old.user_code, None)
            while True:
                user_code = "".join(secrets.choice(alphabet) for _ in range(9))
                if user_code not in self.user_codes:
                    break
            device = PendingDeviceCode(
                "DAQABAAEAAA" + secrets.token_urlsafe(96), user_code, request, expires, interval
            )
            self.device_codes[device.device_code] = device
            self.user_codes[user_code] = device.device_code
        return device

    def device_by_user_code(self, user_code: str) -> PendingDeviceCode | None:
        device_code = self.user_codes.get(user_code.strip().upper().replace("-", ""))
        return self.device_codes.get(device_code) if device_code else None

    def approve_device(
        self, device: PendingDeviceCode, user: User, amr: list[str], now: float
    ) -> bool:
        """Approve a pending device code for ``user``; False when it is no longer pending
        (approved, declined or redeemed by another /devicelogin sign-in) or expired. A code is
        approved once, for one user, and redeemed once."""
        with self.lock:
            if device.status != "pending" or now > device.expires:
                return False
            device.user, device.amr, device.status = user, list(amr), "approved"
            return True

    def decline_device(self, device: PendingDeviceCode) -> None:
        with self.lock:
            if device.status == "pending":
                device.status = "declined"

    def new_refresh_token(
        self,
        user: User,
        client_id: str,
        amr: list[str],
        issued: float,
        family: str | None = None,
        *,
        resource: str | None = None,
        max_age: float | None = None,
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
            expired = (lambda g: issued - g.issued > max_age) if max_age is not None else None
            for old in _prune(self.refresh_tokens, self.MAX_REFRESH_TOKENS, expired):
                self._forget_in_family(old)
            self.refresh_tokens[grant.token] = grant
            tokens = self.families.setdefault(grant.family, deque())
            tokens.append(grant.token)
            while len(tokens) > self.REFRESH_TOKENS_PER_FAMILY:
                self.refresh_tokens.pop(tokens.popleft(), None)
        return grant

    def _forget_in_family(self, grant: RefreshGrant) -> None:
        tokens = self.families.get(grant.family)
        if tokens is None:
            return
        with contextlib.suppress(ValueError):
            tokens.remove(grant.token)
        if not tokens:
            del self.families[grant.family]

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

    def use_totp_step(self, user: User, step: int, now: float) -> bool:
        """Record that ``user`` signed in with the code of TOTP ``step`` at ``now``; False when
        that step (or a later one) was already used (RFC 6238 5.2: a verified code is not
        accepted again). A step beyond the window of ``now`` is forgotten (see
        :func:`~.totp.remembered`: the clock was moved back)."""
        with self.lock:
            last = remembered(self.totp_steps.get(user.object_id), now)
            if last is not None and step <= last:
                return False
            self.totp_steps[user.object_id] = step
            return True

    def last_totp_step(self, user: User) -> int | None:
        """The TOTP time step ``user`` last signed in with (None: none since the last reset)."""
        with self.lock:
            return self.totp_steps.get(user.object_id)

    def sizes(self) -> dict[str, int]:
        """How many entries each store holds (tests and the memory figures read this)."""
        with self.lock:
            return {
                "flows": len(self.flows),
                "codes": len(self.codes),
                "device_codes": len(self.device_codes),
                "user_codes": len(self.user_codes),
                "refresh_tokens": len(self.refresh_tokens),
                "refresh_families": len(self.families),
                "consents": len(self.consents),
            }


_V = TypeVar("_V")


def _prune(store: OrderedDict[str, _V], cap: int, expired: Callable[[_V], bool] | None) -> list[_V]:
    """Drop entries from the old end of ``store`` while they are expired, then while it is
    full; returns what was dropped. Called with the lock held.

    Insertion order is age order, so the scan stops at the first live entry: each entry is
    looked at once when it is dropped, plus once per insertion (amortized O(1))."""
    dropped: list[_V] = []
    while store:
        key, oldest = next(iter(store.items()))
        if len(store) < cap and (expired is None or not expired(oldest)):
            break
        del store[key]
        dropped.append(oldest)
    return dropped
