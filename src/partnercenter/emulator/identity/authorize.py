"""The interactive side of sign-in: ``/authorize`` (v1 and v2), the sign-in, MFA and consent
pages, the device-code endpoint and the ``/devicelogin`` page.

A browser sign-in is a server-side flow record moved through stages by form posts to
``/{tenant}/login``: sign-in (user name and password) -> MFA (a TOTP code, when the user has
one and the tenant's policy asks) -> consent (remembered per user and app; ``prompt=consent``
asks again) -> the redirect with ``code`` and ``state``. Errors found before the redirect URI
is trusted are shown as a page; after that they travel back to the app on the redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..._contract import aadsts
from ..directory import Resource
from ..jose import dumps
from ..state import EmulatorState
from .errors import JSON_UTF8, NO_CACHE_HEADERS, AadError, aad_timestamp
from .pages import (
    consent_page,
    device_code_page,
    form_post_page,
    message_page,
    mfa_page,
    signin_page,
)
from .scopes import parse_v1_resource, parse_v2_scopes
from .signin_state import AuthorizeRequest, SignInFlow
from .token_endpoint import (
    RequestContext,
    lookup_app,
    path_tenant,
    read_form,
    request_context,
)
from .totp import CODE_ALREADY_USED, matching_step
from .user_grants import needs_mfa, user_may_sign_in

Endpoint = Callable[[Request], Awaitable[Response]]
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
TROUBLE = "Sorry, but we're having trouble signing you in."

# Limits on what an unauthenticated /authorize or /devicecode request may carry; everything
# kept with a pending flow is bounded by them (a few KB a flow). Entra answers too many scopes
# with AADSTS28004 and publishes no figure, so these are the emulator's choice, far above
# what a real client sends (see docs/decisions.md).
MAX_SCOPES = 100
MAX_SCOPE_CHARS = 8192
#: Longest value kept with a flow, per parameter; longer ones are refused as malformed.
MAX_PARAMETER_CHARS = {
    "state": 2048,
    "nonce": 1024,
    "login_hint": 320,
    "code_challenge": 128,
    "prompt": 64,
    "redirect_uri": 2048,
    "client_id": 128,
    "response_mode": 32,
    "resource": 2048,
}


def check_request_limits(params: dict[str, str]) -> None:
    """Refuse a scope list or a kept parameter longer than the limits above."""
    for name, limit in MAX_PARAMETER_CHARS.items():
        value = params.get(name)
        if value is not None and len(value) > limit:
            raise AadError(
                aadsts.MALFORMED_REQUEST,
                detail=f"the '{name}' parameter is longer than {limit} characters.",
            )
    scope = params.get("scope")
    if scope is not None and (len(scope) > MAX_SCOPE_CHARS or len(scope.split()) > MAX_SCOPES):
        raise AadError(aadsts.TOO_MANY_SCOPES)


class _RedirectError(Exception):
    """An error to send back to the (already trusted) redirect URI."""

    def __init__(self, error: AadError, request: AuthorizeRequest) -> None:
        super().__init__(str(error))
        self.error = error
        self.request = request


def redirect_uri_matches(registered: list[str], presented: str) -> bool:
    """Exact match, except the port of a loopback URI: a registered ``http://localhost`` (or
    ``http://127.0.0.1``) matches any port, as Azure AD allows for native apps' loopback
    redirect servers; scheme, host and path must still match (an empty path equals ``/``)."""
    if presented in registered:
        return True
    try:
        given = urlsplit(presented)
        _ = given.port  # raises on a malformed port
    except ValueError:
        return False
    host = (given.hostname or "").lower()
    if given.scheme != "http" or host not in LOOPBACK_HOSTS or given.query or given.fragment:
        return False
    for uri in registered:
        known = urlsplit(uri)
        if (
            known.scheme == "http"
            and (known.hostname or "").lower() == host
            and (known.path or "/") == (given.path or "/")
        ):
            return True
    return False


def _page_error(error: AadError, ctx: RequestContext, now: float) -> Response:
    return message_page(
        TROUBLE,
        f"{error}\nTrace ID: {ctx.trace_id}\nCorrelation ID: {ctx.correlation_id}\n"
        f"Timestamp: {aad_timestamp(now)}",
        status=400,
    )


def _redirect(request: AuthorizeRequest, params: dict[str, str]) -> Response:
    assert request.redirect_uri is not None
    if request.state is not None:
        params["state"] = request.state
    if request.response_mode == "form_post":
        return form_post_page(request.redirect_uri, params)
    separator = (
        "#"
        if request.response_mode == "fragment"
        else ("&" if "?" in request.redirect_uri else "?")
    )
    return RedirectResponse(
        f"{request.redirect_uri}{separator}{urlencode(params)}",
        status_code=302,
        headers=NO_CACHE_HEADERS,
    )


def _redirect_error(
    error: AadError, request: AuthorizeRequest, ctx: RequestContext, now: float
) -> Response:
    description = (
        f"{error}\r\nTrace ID: {ctx.trace_id}\r\nCorrelation ID: "
        f"{ctx.correlation_id}\r\nTimestamp: {aad_timestamp(now)}"
    )
    params = {
        "error": error.entry.error,
        "error_description": description,
        "error_uri": f"{ctx.origin}/error?code={error.entry.code}",
    }
    if error.entry.suberror:
        params["error_subcode"] = error.entry.suberror
    return _redirect(request, params)


def _validate(
    state: EmulatorState, version: int, segment: str, params: dict[str, str]
) -> AuthorizeRequest:
    """Check an authorization request; AadError before the redirect URI is trusted,
    _RedirectError after."""
    check_request_limits(params)
    tenant = path_tenant(state, segment)
    app = lookup_app(state, params.get("client_id") or None, tenant, segment)
    client_id = app.client_id
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        if len(app.redirect_uris) != 1:
            raise AadError(aadsts.MISSING_PARAMETER, name="redirect_uri")
        redirect_uri = app.redirect_uris[0]
    if not redirect_uri_matches(app.redirect_uris, redirect_uri):
        raise AadError(aadsts.REDIRECT_URI_MISMATCH, redirect_uri=redirect_uri, client_id=client_id)
    response_mode = params.get("response_mode", "query")
    request = AuthorizeRequest(
        version=version,
        segment=segment,
        tenant=tenant,
        app=app,
        redirect_uri=redirect_uri,
        response_mode=response_mode
        if response_mode in ("query", "fragment", "form_post")
        else "query",
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge"),
        prompt=params.get("prompt"),
        login_hint=params.get("login_hint"),
    )
    try:
        if response_mode not in ("query", "fragment", "form_post"):
            raise AadError(
                aadsts.MALFORMED_REQUEST,
                detail=f"response_mode '{response_mode}' is not supported.",
            )
        response_type = params.get("response_type")
        if response_type is None:
            raise AadError(aadsts.MISSING_PARAMETER, name="response_type")
        if response_type != "code":
            raise AadError(aadsts.UNSUPPORTED_RESPONSE_TYPE, response_type=response_type)
        if request.code_challenge is not None:
            method = params.get("code_challenge_method", "plain")
            if method not in ("S256", "plain"):
                raise AadError(aadsts.INVALID_CODE_CHALLENGE_METHOD, method=method)
            request.code_challenge_method = method
        if version == 2:
            scope = params.get("scope")
            if scope is None:
                raise AadError(aadsts.MISSING_PARAMETER, name="scope")
            request.resource, request.permissions, request.oidc_scopes = _scopes(state, scope)
        else:
            request.oidc_scopes = ["openid"]
            if params.get("resource"):
                request.resource = parse_v1_resource(state.directory, params["resource"], segment)
                request.permissions = list(request.resource.scopes)
    except AadError as error:
        raise _RedirectError(error, request) from None
    return request


def _scopes(state: EmulatorState, scope: str) -> tuple[Resource, list[str], list[str]]:
    """parse_v2_scopes, with repeated OpenID scopes kept once (what a flow holds is bounded by
    the directory's names, not by the request)."""
    resource, permissions, oidc = parse_v2_scopes(state.directory, scope)
    return resource, list(dict.fromkeys(permissions)), list(dict.fromkeys(oidc))


def authorize_endpoint(state: EmulatorState, version: int) -> Endpoint:
    """``GET``/``POST /{tenant}/oauth2[/v2.0]/authorize``: validate, then the sign-in page."""

    async def endpoint(request: Request) -> Response:
        ctx = request_context(request)
        now = state.clock.now()
        params: dict[str, str] = dict(request.query_params)
        try:
            if request.method == "POST":
                params.update(await read_form(request))
            auth_request = _validate(state, version, request.path_params["tenant"], params)
        except AadError as error:
            return _page_error(error, ctx, now)
        except _RedirectError as failure:
            return _redirect_error(failure.error, failure.request, ctx, now)
        if auth_request.prompt == "none":
            # No browser sessions are kept, so a silent sign-in always needs interaction.
            return _redirect_error(AadError(aadsts.LOGIN_REQUIRED), auth_request, ctx, now)
        flow = state.signin.new_flow(auth_request, now)
        return signin_page(
            _login_action(auth_request), flow.id, auth_request.app.name, auth_request.login_hint
        )

    return endpoint


def _login_action(request: AuthorizeRequest) -> str:
    return f"/{request.segment}/login"


def login_endpoint(state: EmulatorState) -> Endpoint:
    """``POST /{tenant}/login``: one step of a sign-in flow (sign-in, MFA or consent)."""

    async def endpoint(request: Request) -> Response:
        ctx = request_context(request)
        now = state.clock.now()
        try:
            form = await read_form(request)
        except AadError as error:
            return _page_error(error, ctx, now)
        flow = state.signin.flow(form.get("flow", ""), now)
        if flow is None:
            return message_page(
                TROUBLE,
                "This sign-in has expired or is unknown. Go back to "
                "the application and start again.",
                status=400,
            )
        step = form.get("step")
        if step != flow.stage:
            return _stage_page(state, flow)
        if step == "signin":
            return _sign_in(state, flow, form, ctx, now)
        if step == "mfa":
            return _mfa(state, flow, form, ctx, now)
        return _consent(state, flow, form, ctx, now)

    return endpoint


def _stage_page(state: EmulatorState, flow: SignInFlow, error: str | None = None) -> Response:
    action = _login_action(flow.request)
    if flow.stage == "signin" or flow.user is None:
        return signin_page(action, flow.id, flow.request.app.name, flow.request.login_hint, error)
    if flow.stage == "mfa":
        return mfa_page(action, flow.id, flow.user.upn, error)
    return consent_page(
        action,
        flow.id,
        flow.user.upn,
        flow.request.app.name,
        flow.request.app.client_id,
        _permission_lines(flow.request),
    )


def _permission_lines(request: AuthorizeRequest) -> list[str]:
    lines = ["Sign you in and read your profile"]
    if request.resource is not None:
        lines += [f"{request.resource.name}: {p}" for p in request.permissions]
    if "offline_access" in request.oidc_scopes or request.version == 1:
        lines.append("Maintain access to data you have given it access to")
    return lines


def _sign_in(
    state: EmulatorState, flow: SignInFlow, form: dict[str, str], ctx: RequestContext, now: float
) -> Response:
    username = form.get("username", "").strip()
    user = state.directory.user(username) if username else None
    tenant = flow.request.tenant
    if user is None or (tenant is not None and not user_may_sign_in(state, user, tenant)):
        error = aadsts.USER_NOT_FOUND.format(upn=username or "(empty)", tenant=flow.request.segment)
        return _stage_page(state, flow, error)
    try:
        state.signin.lockout.check_password(user, form.get("password", ""), now)
    except AadError as refused:
        return _stage_page(state, flow, str(refused))
    flow.user = user
    if needs_mfa(state, user):
        flow.stage = "mfa"
        return _stage_page(state, flow)
    flow.amr = ["pwd"]
    return _after_authentication(state, flow, ctx, now)


def _mfa(
    state: EmulatorState, flow: SignInFlow, form: dict[str, str], ctx: RequestContext, now: float
) -> Response:
    assert flow.user is not None and flow.user.totp_secret is not None
    step = matching_step(flow.user.totp_secret, form.get("otc", ""), now)
    if step is None:
        return _stage_page(state, flow, "That code didn't work. " + aadsts.MFA_FAILED.format())
    if state.settings.single_use_totp and not state.signin.use_totp_step(flow.user, step, now):
        return _stage_page(
            state,
            flow,
            f"{CODE_ALREADY_USED} " + aadsts.MFA_FAILED.format(),
        )
    flow.amr = ["pwd", "mfa"]
    return _after_authentication(state, flow, ctx, now)


def _after_authentication(
    state: EmulatorState, flow: SignInFlow, ctx: RequestContext, now: float
) -> Response:
    assert flow.user is not None
    request = flow.request
    wanted = (
        {f"{request.resource.uri}/{p}" for p in request.permissions} if request.resource else set()
    )
    granted = state.signin.consented(flow.user, request.app.client_id)
    if request.prompt == "consent" or not wanted <= granted or (not wanted and not granted):
        flow.stage = "consent"
        return _stage_page(state, flow)
    return _finish(state, flow, ctx, now)


def _consent(
    state: EmulatorState, flow: SignInFlow, form: dict[str, str], ctx: RequestContext, now: float
) -> Response:
    assert flow.user is not None
    request = flow.request
    if form.get("action") != "accept":
        state.signin.end_flow(flow.id)
        if flow.device_code is not None:
            device = state.signin.device_codes.get(flow.device_code)
            if device is not None:
                state.signin.decline_device(device)
            return message_page(
                "Sign-in declined",
                f"You declined to sign in to {request.app.name} on your device. "
                "You may now close this window.",
            )
        return _redirect_error(AadError(aadsts.CONSENT_DECLINED), request, ctx, now)
    grants = (
        {f"{request.resource.uri}/{p}" for p in request.permissions} if request.resource else set()
    )
    grants.add(f"{request.app.client_id}/openid")
    state.signin.grant_consent(flow.user, request.app.client_id, grants)
    return _finish(state, flow, ctx, now)


def _finish(state: EmulatorState, flow: SignInFlow, ctx: RequestContext, now: float) -> Response:
    assert flow.user is not None
    state.signin.end_flow(flow.id)
    if flow.device_code is not None:
        device = state.signin.device_codes.get(flow.device_code)
        if device is None or now > device.expires:
            return message_page(
                TROUBLE, "The code has expired. Start again on your device.", status=400
            )
        if not state.signin.approve_device(device, flow.user, flow.amr, now):
            # Another /devicelogin sign-in on the same code got there first.
            return message_page(
                TROUBLE,
                "This code was already used. Start again on your device for a new code.",
                status=400,
            )
        return message_page(
            "You're signed in",
            f"You have signed in to the {flow.request.app.name} application on your device. "
            "You may now close this window.",
        )
    code = state.signin.new_code(flow, now + state.settings.auth_code_lifetime, now)
    return _redirect(flow.request, {"code": code.code, "session_state": flow.id[:36]})


def devicelogin_endpoint(state: EmulatorState) -> Endpoint:
    """``/devicelogin``: enter the user code, then the same sign-in, MFA and consent."""

    async def endpoint(request: Request) -> Response:
        ctx = request_context(request)
        now = state.clock.now()
        if request.method != "POST":
            return device_code_page("/devicelogin")
        try:
            form = await read_form(request)
        except AadError as error:
            return _page_error(error, ctx, now)
        device = state.signin.device_by_user_code(form.get("otc", ""))
        if device is None or now > device.expires or device.status != "pending":
            return device_code_page(
                "/devicelogin", "That code didn't work. Check the code and try again."
            )
        flow = state.signin.new_flow(device.request, now, device_code=device.device_code)
        return signin_page(_login_action(device.request), flow.id, device.request.app.name, None)

    return endpoint


def devicecode_endpoint(state: EmulatorState, version: int) -> Endpoint:
    """``POST /{tenant}/oauth2[/v2.0]/devicecode``: start a device-code sign-in."""

    async def endpoint(request: Request) -> Response:
        ctx = request_context(request)
        now = state.clock.now()
        try:
            if request.method != "POST":
                raise AadError(aadsts.POST_ONLY, method=request.method)
            form = await read_form(request)
            body = _start_device_flow(state, ctx, version, request.path_params["tenant"], form, now)
        except AadError as error:
            state.stats.error(error.entry.code)
            return error.response(
                trace_id=ctx.trace_id,
                correlation_id=ctx.correlation_id,
                now=now,
                error_host=ctx.origin,
            )
        return Response(dumps(body), headers=NO_CACHE_HEADERS, media_type=JSON_UTF8)

    return endpoint


def _start_device_flow(
    state: EmulatorState,
    ctx: RequestContext,
    version: int,
    segment: str,
    form: dict[str, str],
    now: float,
) -> dict[str, Any]:
    check_request_limits(form)
    tenant = path_tenant(state, segment)
    app = lookup_app(state, form.get("client_id"), tenant, segment)
    request = AuthorizeRequest(version, segment, tenant, app, oidc_scopes=["openid"])
    if version == 2:
        if "resource" in form:
            raise AadError(aadsts.RESOURCE_ON_V2)
        scope = form.get("scope")
        if scope is None:
            raise AadError(aadsts.MISSING_PARAMETER, name="scope")
        request.resource, request.permissions, request.oidc_scopes = _scopes(state, scope)
    else:
        resource_id = form.get("resource")
        if resource_id is None:
            raise AadError(aadsts.RESOURCE_MISSING)
        request.resource = parse_v1_resource(state.directory, resource_id, segment)
        request.permissions = list(request.resource.scopes)
    settings = state.settings
    device = state.signin.new_device_code(
        request, now, now + settings.device_code_lifetime, settings.device_code_interval
    )
    uri = f"{ctx.origin}/devicelogin"
    message = (
        f"To sign in, use a web browser to open the page {uri} and enter the code "
        f"{device.user_code} to authenticate."
    )
    if version == 1:
        # v1 names it verification_url and sends numbers as strings.
        return {
            "user_code": device.user_code,
            "device_code": device.device_code,
            "verification_url": uri,
            "expires_in": str(settings.device_code_lifetime),
            "interval": str(device.interval),
            "message": message,
        }
    return {
        "user_code": device.user_code,
        "device_code": device.device_code,
        "verification_uri": uri,
        "expires_in": settings.device_code_lifetime,
        "interval": device.interval,
        "message": message,
    }
