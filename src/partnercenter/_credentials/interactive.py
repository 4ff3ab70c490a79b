"""Browser sign-in: authorization code + PKCE (S256) + ``state``, via a loopback redirect.

The credential listens on a free ``127.0.0.1`` port, opens the browser at Azure AD's authorize
page (``redirect_uri=http://localhost:{port}``), waits for the redirect with the code, checks its
``state``, and redeems the code with the PKCE verifier. The refresh token goes to the store, so
later ``get_token`` calls (and other processes sharing a persistent store) are silent.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import sys
import webbrowser
from collections.abc import Callable, Iterator
from typing import Any, Unpack

from .._core.steps import Blocking, Flow
from ..clouds import Cloud, EndpointVersion
from ..errors import ConfigurationError, SignInError
from ..redaction import describe, secret_shape
from ..stores import AsyncRefreshTokenStore, RefreshTokenStore
from .arguments import check_sign_in_timeout
from .client_auth import ClientAuth
from .client_credential import ClientCredential
from .flow import TokenFlow, token_flow
from .loopback import LoopbackServer
from .protocol import TokenRequest, TokenResponse
from .refresh_token import UserCredentialOptions
from .signin_protocol import (
    AuthorizationRequest,
    StateMismatch,
    authorization_code_form,
    authorize_url,
    new_pkce,
    new_state,
    parse_redirect,
)
from .user_credential import SignInRequest, UserSignInCredential, UserSignInFlows

__all__ = [
    "DEFAULT_SIGN_IN_TIMEOUT",
    "InteractiveBrowserCredential",
    "InteractiveBrowserFlows",
    "OpenBrowser",
    "check_browser_options",
    "code_redemption_request",
    "concluding",
    "open_url",
    "redirect_code",
    "start_authorization",
]

logger = logging.getLogger("partnercenter.auth")

#: How long a browser sign-in may take (seconds) before it fails with SignInError.
DEFAULT_SIGN_IN_TIMEOUT = 300.0
_PROMPTS = frozenset({"login", "consent", "select_account", "none"})

#: ``open_browser=``: True opens the system browser (``webbrowser``), False prints the URL,
#: a callable receives the URL (e.g. to drive a test browser, or to show it in a UI).
OpenBrowser = bool | Callable[[str], object]


def check_browser_options(
    open_browser: object,
    redirect_port: object,
    sign_in_timeout: object,
    prompt: object,
    login_hint: object,
) -> None:
    """Check the browser sign-in options (shared with the async twin)."""
    if not (isinstance(open_browser, bool) or callable(open_browser)):
        raise ConfigurationError("open_browser", "must be True, False or a callable taking a URL")
    if (
        isinstance(redirect_port, bool)
        or not isinstance(redirect_port, int)
        or not 0 <= redirect_port <= 65535
    ):
        raise ConfigurationError("redirect_port", "must be a port number, or 0 for any free port")
    check_sign_in_timeout(sign_in_timeout)
    if prompt is not None and prompt not in _PROMPTS:
        raise ConfigurationError("prompt", f"must be one of {sorted(_PROMPTS)} or None")
    if login_hint is not None and not isinstance(login_hint, str):
        raise ConfigurationError("login_hint", "must be a user name (UPN) string")
    if isinstance(login_hint, str) and secret_shape(login_hint) is not None:
        # It goes into the authorize URL, which is printed when no browser opens.
        raise ConfigurationError("login_hint", f"got {describe(login_hint)}, not a user name (UPN)")


def open_url(open_browser: OpenBrowser, url: str) -> None:
    """Show ``url`` to the user as ``open_browser`` says; print it when no browser opened."""
    if callable(open_browser):
        open_browser(url)
        return
    opened = False
    if open_browser:
        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
    if not opened:
        # The URL carries no secret (PKCE keeps the verifier here), so it may be shown.
        print(
            f"To sign in, open this address in a browser on this machine:\n{url}",
            file=sys.stderr,
        )
        sys.stderr.flush()


def start_authorization(
    cloud: Cloud,
    tenant: str,
    client_id: str,
    scopes: tuple[str, ...],
    version: EndpointVersion,
    redirect_uri: str,
    state: str,
    *,
    login_hint: str | None,
    prompt: str | None,
    claims: str | None,
) -> AuthorizationRequest:
    """The authorize URL and what to check on return (a fresh PKCE pair)."""
    pkce = new_pkce()
    url = authorize_url(
        cloud,
        tenant,
        client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        pkce=pkce,
        version=version,
        login_hint=login_hint,
        prompt=prompt,
        claims=claims,
    )
    return AuthorizationRequest(url, redirect_uri, state, pkce, scopes)


def code_redemption_request(
    cloud: Cloud,
    tenant: str,
    client_id: str,
    client_auth: ClientAuth,
    version: EndpointVersion,
    authorization: AuthorizationRequest,
    code: str,
    now: float,
) -> TokenRequest:
    """The token request that redeems ``code`` (verifier and client authentication added)."""
    url = cloud.token_url(tenant, version)
    auth = client_auth.parts(url, now)
    form = authorization_code_form(
        client_id,
        code,
        redirect_uri=authorization.redirect_uri,
        verifier=authorization.pkce.verifier,
        scopes=authorization.scopes,
        version=version,
    )
    form.update(auth.form)
    return TokenRequest(
        url=url,
        form=form,
        headers=dict(auth.headers),
        secrets=(*auth.secrets, code, authorization.pkce.verifier),
    )


@contextlib.contextmanager
def concluding(server: LoopbackServer) -> Iterator[None]:
    """Tell the browser's page (waiting in :meth:`LoopbackServer.conclude`) how the block
    ended: complete, or refused and why."""
    try:
        yield
    except BaseException as exc:
        server.conclude(exc)
        raise
    server.conclude()


def redirect_code(
    params: dict[str, str] | None, authorization: AuthorizationRequest, timeout: float, now: float
) -> str:
    """The code from the loopback server's result, or the error a failed sign-in means."""
    if params is None:
        raise SignInError(
            f"no sign-in redirect arrived within {timeout:g} s",
            hint="Finish the sign-in in the browser sooner, or raise sign_in_timeout.",
        )
    try:
        return parse_redirect(params, authorization.state, now=now)
    except StateMismatch:  # the loopback server only accepts the right state; belt and braces
        raise SignInError("the sign-in redirect carried the wrong state") from None


class InteractiveBrowserFlows(UserSignInFlows):
    """The arguments of a browser sign-in credential, blocking or async."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        redirect_port: int = 0,
        open_browser: OpenBrowser = True,
        login_hint: str | None = None,
        prompt: str | None = None,
        sign_in_timeout: float = DEFAULT_SIGN_IN_TIMEOUT,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None = None,
        store_key: str | None = None,
        client_credential: ClientCredential | None = None,
        **options: Unpack[UserCredentialOptions],
    ) -> None:
        check_browser_options(open_browser, redirect_port, sign_in_timeout, prompt, login_hint)
        self._open_browser = open_browser
        self._redirect_port = redirect_port
        self._login_hint = login_hint
        self._prompt = prompt
        # None (accepted by the check) means the default wait.
        self._sign_in_timeout = float(
            DEFAULT_SIGN_IN_TIMEOUT if sign_in_timeout is None else sign_in_timeout
        )
        super().__init__(
            tenant_id,
            client_id,
            kind="browser",
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            **options,
        )

    def _sign_in_flow(self, sign_in: SignInRequest) -> Flow[TokenResponse]:
        # The browser dance is the one step whose concurrency differs by driver (the loopback
        # server's request thread redeems the code in the blocking class; a task group in the
        # async one, whose coroutine the async driver awaits).
        response: TokenResponse = yield Blocking(self._browser_sign_in, (sign_in,))
        return response

    @abc.abstractmethod
    def _browser_sign_in(self, sign_in: SignInRequest) -> Any:
        """Open the browser, wait for the redirect, redeem the code (``_redemption_flow``),
        ``check`` the answer and return it (a coroutine in the async class)."""

    def _authorize(
        self,
        server: LoopbackServer,
        state: str,
        sign_in: SignInRequest,
    ) -> AuthorizationRequest:
        """The authorize request of one sign-in (``state``, a new PKCE pair), logged."""
        authorization = start_authorization(
            self.cloud,
            sign_in.tenant,
            self.client_id,
            sign_in.scopes,
            self.endpoint_version,
            server.redirect_uri,
            state,
            login_hint=self._login_hint,
            prompt=self._prompt,
            claims=sign_in.claims,
        )
        logger.info("browser sign-in: waiting for the redirect on %s", server.redirect_uri)
        return authorization

    def _redemption_flow(
        self, tenant: str, authorization: AuthorizationRequest, code: str
    ) -> TokenFlow:
        """Redeem the redirect's code with the PKCE verifier."""

        def build(now: float) -> TokenRequest:
            return code_redemption_request(
                self.cloud,
                tenant,
                self.client_id,
                self._client_auth,
                self.endpoint_version,
                authorization,
                code,
                now,
            )

        return token_flow(build, retry=self._retry, timing=self._timing)


class InteractiveBrowserCredential(InteractiveBrowserFlows, UserSignInCredential):
    """App + user tokens from a sign-in in the system browser (authorization code + PKCE).

    The first ``get_token`` (or :meth:`authenticate`) opens the browser at the authorize page of
    ``tenant_id`` for ``client_id``, which must have ``http://localhost`` as a redirect URI
    (public client, or give ``client_secret`` / a certificate for a confidential one). The user
    signs in (with MFA, consent...); the code comes back to a loopback server on
    ``redirect_port`` (0: any free port) and is redeemed with the PKCE verifier. The refresh
    token is kept in ``store`` (default: in memory) under ``store_key``, so later calls are
    silent, and redeemable at customer tenants (``get_token(tenant_id=...)``).

    ``open_browser``: True (the system browser; the URL is printed if none opens), False (print
    the URL), or a callable that receives the URL. ``login_hint`` pre-fills the user name;
    ``prompt`` is ``"select_account"``, ``"login"``, ``"consent"`` or ``None``;
    ``sign_in_timeout`` bounds the wait for the redirect (default 300 s). Other options:
    :class:`~partnercenter._credentials.token_endpoint.CredentialOptions`.
    """

    def _browser_sign_in(self, sign_in: SignInRequest) -> TokenResponse:
        state = new_state()
        with LoopbackServer(state, port=self._redirect_port) as server:
            authorization = self._authorize(server, state, sign_in)

            def redeem(params: dict[str, str]) -> TokenResponse:
                # Runs in the loopback request's thread, before the browser's final page is
                # written: the page then says whether the sign-in really completed.
                code = redirect_code(params, authorization, self._sign_in_timeout, self._clock())
                response = self._run(self._redemption_flow(sign_in.tenant, authorization, code))
                sign_in.check(response)
                return response

            server.on_code(redeem)
            open_url(self._open_browser, authorization.url)
            params = server.wait(self._sign_in_timeout)
            if params is None or "code" not in params:
                # No redirect in time, or Azure AD's error redirect: the error it means.
                redirect_code(params, authorization, self._sign_in_timeout, self._clock())
            response = server.outcome()
        assert isinstance(response, TokenResponse)
        return response
