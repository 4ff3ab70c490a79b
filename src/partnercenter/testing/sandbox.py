"""``Sandbox``: a running emulator with the helpers a test needs.

A :class:`~partnercenter.emulator.Emulator` (same fields, same ``start()``) plus: a fast reset,
ready credentials and clients, sign-in as a user over HTTP, refresh tokens minted directly,
time travel, faults and throttling for a ``with`` block, and the request journal.
"""

from __future__ import annotations

import contextlib
import inspect
import secrets as _secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypedDict, Unpack
from urllib.parse import urlencode

import httpx

from .._contract.wire import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE_CODE,
    PARTNER_CENTER_RESOURCE,
    USER_IMPERSONATION,
)
from ..emulator import Emulator
from ..emulator.api.faults import FaultError, FaultRule
from ..emulator.journal import JournalEntry
from ..emulator.reset import reset_emulator
from ..errors import ConfigurationError
from .signin import SignInOutcome, SignInUser, drive_sign_in, next_totp, pkce_pair
from .tokens import mint_access_token

if TYPE_CHECKING:
    from .. import ClientSecretCredential, Cloud, PartnerClient, RefreshTokenCredential
    from ..aio import AsyncPartnerClient
    from ..aio import ClientSecretCredential as AsyncClientSecretCredential
    from ..aio import RefreshTokenCredential as AsyncRefreshTokenCredential

#: Where ``user_credential(store=...)`` puts the refresh token it mints.
USER_STORE_KEY = "partnercenter-testing|user"
#: The seed's confidential app (secret and certificate) and public client (device code).
DEFAULT_APP = "partner-center-app"
PUBLIC_APP = "partner-center-cli"
PC_USER_SCOPE = f"{PARTNER_CENTER_RESOURCE}/{USER_IMPERSONATION}"
_FLOW_TIMEOUT = 15.0


class UserCredentialOptions(TypedDict, total=False):
    """The keyword arguments of :meth:`Sandbox.user_credential` and its async twin.

    ``mfa`` (default True): which partner user when ``user`` is not given, and whether the
    minted token's sign-in counts as MFA; ``app`` (default :data:`DEFAULT_APP`); ``tenant``
    (default the partner tenant); ``cache`` a token cache for the credential; ``store`` a
    blocking refresh-token store that receives the minted token under :data:`USER_STORE_KEY`.
    """

    mfa: bool
    app: str
    tenant: str | None
    cache: Any
    store: Any


class Sandbox(Emulator):
    """A running emulator for tests. Start with ``Sandbox.start(...)`` (as ``Emulator``); the
    pytest plugin's ``pc_emulator`` fixture hands one out, reset before each test."""

    @classmethod
    def start(cls, **options: Any) -> Sandbox:
        """``Emulator.start()`` (same keyword arguments), returning a :class:`Sandbox`."""
        started = super().start(**options)
        assert isinstance(started, Sandbox)
        return started

    def __repr__(self) -> str:
        return f"Sandbox(base_url={self.base_url!r}, state_dir={str(self.state_dir)!r})"

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> float:
        """Back to the state after start (see :mod:`partnercenter.emulator.reset`); seconds."""
        return reset_emulator(self.state)

    def now(self) -> float:
        """The emulator's clock (epoch seconds)."""
        return self.state.clock.now()

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock by ``seconds`` (in process); returns the new time."""
        return self.state.clock.advance(float(seconds))

    def set_clock(self, epoch_seconds: float) -> float:
        """Jump the emulator's clock to ``epoch_seconds``; returns the new time."""
        return self.state.clock.set(float(epoch_seconds))

    def reset_clock(self) -> float:
        return self.state.clock.reset()

    # -- directory look-ups ---------------------------------------------------------------
    def user(self, upn: str) -> dict[str, Any]:
        """The directory entry of ``upn`` (``KeyError`` naming the UPN if there is none)."""
        for user in self.info["users"]:
            if user["upn"].lower() == upn.lower():
                return dict(user)
        raise KeyError(upn)

    def customer(self, name: str) -> dict[str, Any]:
        """The customer tenant named ``name`` (or one of its domains, or its id)."""
        wanted = name.lower()
        for tenant in self.info["customer_tenants"]:
            names = [tenant["name"], tenant["id"], *tenant["domains"]]
            if wanted in (n.lower() for n in names):
                return dict(tenant)
        raise KeyError(name)

    def partner_user(self, *, mfa: bool = True) -> dict[str, Any]:
        """The first partner user with (or without) a TOTP secret."""
        partner = self.partner_tenant["id"]
        for user in self.info["users"]:
            if user["tenant_id"] == partner and bool(user.get("totp_secret")) == mfa:
                return dict(user)
        kind = "with" if mfa else "without"
        raise LookupError(f"the directory has no partner user {kind} MFA")

    def _app_info(self, app: str) -> dict[str, Any]:
        for entry in self.info["apps"]:
            if app in (entry["name"], entry["client_id"]):
                return dict(entry)
        raise KeyError(app)

    def _sign_in_user(self, user: str | dict[str, Any] | SignInUser) -> SignInUser:
        if isinstance(user, SignInUser):
            return user
        return SignInUser.of(self.user(user) if isinstance(user, str) else user)

    @property
    def cloud(self) -> Cloud:
        """A :class:`~partnercenter.Cloud` whose authority and API root are this emulator."""
        from .. import Cloud

        return Cloud.custom(authority_host=self.base_url, api_root=self.base_url, name="emulator")

    # -- faults and throttling for a block --------------------------------------------------
    @contextlib.contextmanager
    def faults(self, **rule: Any) -> Iterator[FaultRule]:
        """Inject a fault for the block: ``with emu.faults(status=503, count=2): ...``.

        Takes the admin API's rule fields (``target`` ``"api"``/``"token"``/``"all"``,
        ``status``/``statuses``, ``rate``, ``count``, ``latency_ms``, ``drop``,
        ``retry_after``, ``path_prefix``); yields the rule itself, whose ``hits`` counts the
        requests it fired for. The rule is removed when the block ends.
        """
        try:
            added = self.state.faults.add(dict(rule))
        except FaultError as error:
            raise ValueError(f"faults(): {error}") from None
        try:
            yield added
        finally:
            self.state.faults.remove(added.id)

    @contextlib.contextmanager
    def throttling(self, **limits: float) -> Iterator[dict[str, Any]]:
        """Lower (or raise) the API's throttling for the block: ``rate_per_second``, ``burst``,
        ``customer_rate_per_second``, ``customer_burst``; the configured limits come back
        after it."""
        applied = self.set_throttling(**limits)
        try:
            yield applied
        finally:
            self.reset_throttling()

    # -- the journal -------------------------------------------------------------------------
    def requests(
        self,
        *,
        kind: str | None = None,
        client_id: str | None = None,
        user: str | None = None,
    ) -> list[JournalEntry]:
        """What the emulator received since the last reset, oldest first (no secrets)."""
        return self.state.journal.entries(kind=kind, client_id=client_id, user=user)

    def tokens_issued(
        self, *, client_id: str | None = None, user: str | None = None
    ) -> list[JournalEntry]:
        """The token requests that were answered with an access token."""
        found = self.state.journal.entries(kind="token", client_id=client_id, user=user)
        return [entry for entry in found if entry.issued_token]

    def api_calls(self, *, client_id: str | None = None) -> list[JournalEntry]:
        """The Partner Center API requests."""
        return self.state.journal.entries(kind="api", client_id=client_id)

    # -- tokens and sign-in ----------------------------------------------------------------
    def mint_refresh_token(
        self,
        user: str | dict[str, Any] | SignInUser,
        *,
        app: str = DEFAULT_APP,
        mfa: bool | None = None,
        resource: str = PARTNER_CENTER_RESOURCE,
    ) -> str:
        """A refresh token for ``user`` and ``app``, as if they had signed in and consented.

        ``mfa`` decides whether tokens redeemed from it carry ``mfa`` in ``amr`` (default: the
        user's own: true when they have a TOTP secret). Redeem it with the app's credentials,
        at the partner tenant or one of its customers.
        """
        upn = self._sign_in_user(user).upn
        record = self.state.directory.user(upn)
        if record is None:
            raise KeyError(upn)
        application = self.state.directory.app(self._app_info(app)["client_id"])
        target = self.state.directory.resource(resource)
        if application is None or target is None:
            raise KeyError(app if application is None else resource)
        if mfa is None:
            mfa = record.totp_secret is not None
        grants = {f"{target.uri}/{permission}" for permission in target.scopes}
        grants.add(f"{application.client_id}/openid")
        signin = self.state.signin
        signin.grant_consent(record, application.client_id, grants)
        grant = signin.new_refresh_token(
            record,
            application.client_id,
            ["pwd", "mfa"] if mfa else ["pwd"],
            self.now(),
            resource=target.uri,
        )
        return grant.token

    def mint_access_token(self, **options: Any) -> str:
        """A Partner Center access token signed with the emulator's key, without a token
        request: ``user``, ``mfa``, ``upn``, ``app``, ``lifetime`` and claim overrides (see
        :func:`partnercenter.testing.access_token_claims`)."""
        return mint_access_token(self, **options)

    def _http(self) -> httpx.Client:
        return httpx.Client(verify=self.verify, timeout=_FLOW_TIMEOUT, follow_redirects=False)

    def complete_device_login(
        self,
        user_code: str,
        user: str | dict[str, Any] | SignInUser,
        *,
        otc: str | None = None,
        consent: bool | None = True,
    ) -> SignInOutcome:
        """Play the user of a device-code sign-in someone else started (e.g. MSAL's
        ``initiate_device_flow``): enter ``user_code`` on ``/devicelogin`` and sign in."""
        return self._drive(f"{self.base_url}/devicelogin", user, otc, consent, user_code)

    def complete_authorization(
        self,
        authorize_url: str,
        user: str | dict[str, Any] | SignInUser,
        *,
        otc: str | None = None,
        consent: bool | None = True,
    ) -> SignInOutcome:
        """Play the user of an authorization-code sign-in someone else started (e.g. MSAL's
        ``initiate_auth_code_flow()["auth_uri"]``); ``params`` holds ``code`` and ``state``
        (or the error) the app's redirect URI would receive."""
        return self._drive(authorize_url, user, otc, consent)

    def _drive(
        self,
        first_url: str,
        user: str | dict[str, Any] | SignInUser,
        otc: str | None,
        consent: bool | None,
        user_code: str | None = None,
    ) -> SignInOutcome:
        """Open ``first_url`` and play ``user`` through the pages that follow."""
        who = self._sign_in_user(user)
        with self._http() as http:
            return drive_sign_in(
                http,
                http.get(first_url),
                who,
                now=self.now(),
                otc=otc,
                consent=consent,
                user_code=user_code,
                next_code=self._next_code(who),
            )

    def _next_code(self, who: SignInUser) -> Callable[[], str] | None:
        # Codes are single use: each MFA page gets one the emulator has not accepted yet.
        if who.totp_secret is None or self.state.directory.user(who.upn) is None:
            return None
        return lambda: next_totp(self, who)

    def sign_in_device_code(
        self,
        user: str | dict[str, Any] | SignInUser,
        *,
        app: str = PUBLIC_APP,
        tenant: str | None = None,
        scope: str = f"{PC_USER_SCOPE} offline_access openid profile",
        otc: str | None = None,
        consent: bool | None = True,
    ) -> SignInOutcome:
        """A whole device-code sign-in (v2): start it, sign in as ``user``, redeem the code.

        ``tokens`` holds the token response when the sign-in completed (``token_error`` the
        AADSTS body otherwise, e.g. after a declined consent).
        """
        info = self._app_info(app)
        segment = tenant or self.partner_tenant["id"]
        with self._http() as http:
            started = http.post(
                f"{self.base_url}/{segment}/oauth2/v2.0/devicecode",
                data={"client_id": info["client_id"], "scope": scope},
            )
        if started.status_code != 200:
            return SignInOutcome(False, "device", token_error=_error_body(started))
        flow = started.json()
        outcome = self.complete_device_login(flow["user_code"], user, otc=otc, consent=consent)
        if outcome.stage not in ("done",) and not outcome.completed:
            return outcome
        form = {"grant_type": GRANT_DEVICE_CODE, "device_code": flow["device_code"]}
        return self._redeem(outcome, segment, info, form)

    def sign_in_authorization_code(
        self,
        user: str | dict[str, Any] | SignInUser,
        *,
        app: str = DEFAULT_APP,
        tenant: str | None = None,
        scope: str = f"{PC_USER_SCOPE} offline_access openid profile",
        redirect_uri: str | None = None,
        otc: str | None = None,
        consent: bool | None = True,
    ) -> SignInOutcome:
        """A whole authorization-code sign-in (v2, PKCE): authorize, sign in as ``user``,
        redeem the code with the app's secret. ``tokens`` holds the token response."""
        info = self._app_info(app)
        segment = tenant or self.partner_tenant["id"]
        redirect = redirect_uri or info["redirect_uris"][0]
        verifier, challenge = pkce_pair()
        state = _secrets.token_urlsafe(12)
        query = urlencode(
            {
                "client_id": info["client_id"],
                "response_type": "code",
                "redirect_uri": redirect,
                "scope": scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        outcome = self.complete_authorization(
            f"{self.base_url}/{segment}/oauth2/v2.0/authorize?{query}",
            user,
            otc=otc,
            consent=consent,
        )
        if not outcome.completed:
            return outcome
        if outcome.params.get("state") != state:
            raise AssertionError("the redirect's state is not the one sent")
        form = {
            "grant_type": GRANT_AUTHORIZATION_CODE,
            "code": outcome.params["code"],
            "redirect_uri": redirect,
            "code_verifier": verifier,
            "scope": scope,
        }
        return self._redeem(outcome, segment, info, form)

    def _redeem(
        self, outcome: SignInOutcome, segment: str, info: dict[str, Any], form: dict[str, str]
    ) -> SignInOutcome:
        """Redeem a finished sign-in at the v2 token endpoint as the app ``info`` (with its
        secret when it has one) and put the answer on ``outcome``."""
        data = {**form, "client_id": info["client_id"]}
        if info["client_secret"]:
            data["client_secret"] = info["client_secret"]
        with self._http() as http:
            answer = http.post(f"{self.base_url}/{segment}/oauth2/v2.0/token", data=data)
        if answer.status_code == 200:
            outcome.tokens = answer.json()
        else:
            outcome.completed = False
            outcome.token_error = _error_body(answer)
        return outcome

    # -- ready credentials and clients -------------------------------------------------------
    def app_credential(
        self, *, app: str = DEFAULT_APP, tenant: str | None = None, cache: Any = None
    ) -> ClientSecretCredential:
        """App-only: the app's secret at the partner tenant (or ``tenant``); ``cache`` e.g. a
        :class:`~partnercenter.RedisTokenCache` (default: the credential's in-memory one)."""
        from .. import ClientSecretCredential

        args, options = self._app_arguments(app, tenant, cache)
        return ClientSecretCredential(*args, **options)

    def user_credential(
        self,
        user: str | dict[str, Any] | SignInUser | None = None,
        **options: Unpack[UserCredentialOptions],
    ) -> RefreshTokenCredential:
        """App + user: a refresh token minted for ``user`` (default: the first partner user
        with MFA, or without when ``mfa=False``) redeemed with the app's secret. With ``store``
        (e.g. a :class:`~partnercenter.RedisRefreshTokenStore`) the token is saved there, under
        ``USER_STORE_KEY``, and rotated there; ``cache`` as for :meth:`app_credential`."""
        from .. import RefreshTokenCredential

        args, keywords = self._user_arguments(user, options)
        return RefreshTokenCredential(*args, **keywords)

    def async_app_credential(
        self, *, app: str = DEFAULT_APP, tenant: str | None = None, cache: Any = None
    ) -> AsyncClientSecretCredential:
        """The async twin of :meth:`app_credential` (``cache`` e.g. an
        :class:`partnercenter.aio.RedisTokenCache`)."""
        from ..aio import ClientSecretCredential

        args, options = self._app_arguments(app, tenant, cache)
        return ClientSecretCredential(*args, **options)

    def async_user_credential(
        self,
        user: str | dict[str, Any] | SignInUser | None = None,
        **options: Unpack[UserCredentialOptions],
    ) -> AsyncRefreshTokenCredential:
        """The async twin of :meth:`user_credential`. ``store`` is a blocking store here too
        (the async credential calls it off the event loop), since the minted token is saved
        before this returns; to use an async store, save :meth:`mint_refresh_token` in it
        yourself and build the credential."""
        from ..aio import RefreshTokenCredential

        args, keywords = self._user_arguments(user, options)
        return RefreshTokenCredential(*args, **keywords)

    def _app_arguments(
        self, app: str, tenant: str | None, cache: Any
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        info = self._app_info(app)
        args = (tenant or self.partner_tenant["id"], info["client_id"], info["client_secret"])
        return args, {"cloud": self.cloud, "verify": self.verify, "cache": cache}

    def _user_arguments(
        self, user: str | dict[str, Any] | SignInUser | None, given: UserCredentialOptions
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """A refresh-token credential's arguments, for a token minted now (and saved in
        ``store`` under :data:`USER_STORE_KEY` when one is given)."""
        from ..stores import RefreshTokenStore

        unknown = sorted(set(given) - UserCredentialOptions.__optional_keys__)
        if unknown:  # a TypedDict is checked by type checkers only: check it here too
            raise ConfigurationError(
                unknown[0],
                "is not an option of user_credential",
                hint="Options: " + ", ".join(sorted(UserCredentialOptions.__optional_keys__)),
            )
        mfa, app = given.get("mfa", True), given.get("app", DEFAULT_APP)
        tenant, cache, store = given.get("tenant"), given.get("cache"), given.get("store")

        if store is not None and (
            not isinstance(store, RefreshTokenStore) or inspect.iscoroutinefunction(store.save)
        ):
            async_store = isinstance(store, RefreshTokenStore)
            raise ConfigurationError(
                "store",
                "must be a blocking store (e.g. partnercenter.RedisRefreshTokenStore)"
                + (": an async store cannot be seeded here" if async_store else ""),
                hint="Or: await store.save(key, sandbox.mint_refresh_token(user)), then "
                "partnercenter.aio.RefreshTokenCredential(..., store=store, store_key=key).",
            )
        who = user if user is not None else self.partner_user(mfa=mfa)["upn"]
        info = self._app_info(app)
        token = self.mint_refresh_token(who, app=app, mfa=mfa)
        options: dict[str, Any] = {
            "client_secret": info["client_secret"] or None,
            "cloud": self.cloud,
            "verify": self.verify,
            "cache": cache,
        }
        if store is not None:
            store.save(USER_STORE_KEY, token)
            options.update(store=store, store_key=USER_STORE_KEY)
        tenant_id = tenant or self.partner_tenant["id"]
        return (tenant_id, info["client_id"], None if store is not None else token), options

    def client(self, credential: Any, **options: Any) -> PartnerClient:
        """A :class:`~partnercenter.PartnerClient` of this emulator (close it, or ``with``)."""
        from .. import PartnerClient

        options.setdefault("verify", self.verify)
        return PartnerClient(credential, cloud=self.cloud, **options)

    def async_client(self, credential: Any, **options: Any) -> AsyncPartnerClient:
        """An :class:`~partnercenter.aio.AsyncPartnerClient` (``async with``)."""
        from ..aio import AsyncPartnerClient

        options.setdefault("verify", self.verify)
        return AsyncPartnerClient(credential, cloud=self.cloud, **options)


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code}
    return body if isinstance(body, dict) else {"status": response.status_code}
