"""The Partner Center API's request pipeline, in Partner Center's order.

1. count the request; read or make ``MS-RequestId``/``MS-CorrelationId`` (echoed on every
   answer, with ``MS-CV`` and ``MS-ServerId``);
2. authenticate the bearer token (:mod:`.bearer`); app + user tokens need ``mfa`` in ``amr``;
3. find the operation in the shared catalog (:mod:`partnercenter._contract.operations`): 404 / 1000
   for an unknown or unversioned path, 405 for a known path with another method;
4. authorize: an app-only token on an App+User operation is 403 / 900154; a user without one
   of the operation's Partner Center roles 403 / 900150; a customer the partner has no
   reseller relationship with 403 / 20002;
5. throttle per partner tenant, and per partner tenant per customer (429 + Retry-After);
6. read the JSON body; replay the stored answer of a repeated POST/PATCH ``MS-RequestId``;
7. run the handler, store POST/PATCH answers for replay, render.

Every refusal is an :class:`~.errors.ApiError` (or :class:`~.errors.Throttled`) rendered in
Partner Center's shape; an unexpected exception is logged and answered as 500 / 500 in the
same shape (a bug, which the fuzz tests look for).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ..._contract import operations, pc_errors
from ..._contract.wire import PARTNER_CENTER_APP_ID, PARTNER_CENTER_RESOURCE
from ..identity.errors import JSON_UTF8
from ..jose import dumps
from ..state import EmulatorState
from .bearer import CHALLENGE_INVALID, Principal, TokenValidator, oauth_challenge
from .call import Call, Result
from .context import ApiContext, MfaUsage
from .dataset import Dataset
from .errors import ApiError, Throttled, invalid
from .handlers import HANDLERS
from .idempotency import ReplayCache
from .paging import PageCutter
from .request_ids import RequestIds, request_ids
from .throttling import Limits, Throttle

logger = logging.getLogger(__name__)

#: Largest request body accepted (Partner Center's bodies are a few kilobytes).
MAX_BODY_BYTES = 1024 * 1024
#: Query parameters accepted at once (more is an attack or a bug, answered 400).
MAX_QUERY_FIELDS = 50
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})
_REPLAYED_METHODS = frozenset({"POST", "PATCH"})
_ALL_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD")


def partner_center_audiences(state: EmulatorState) -> set[str]:
    """The ``aud`` values Partner Center accepts: its resource URI (either spelling) and app id."""
    found = {PARTNER_CENTER_RESOURCE, PARTNER_CENTER_RESOURCE + "/", PARTNER_CENTER_APP_ID}
    for resource in state.directory.resources:
        if resource.app_id.lower() == PARTNER_CENTER_APP_ID:
            found.update({resource.uri, resource.uri + "/", resource.app_id})
    return found


def limits_from(state: EmulatorState) -> Limits:
    """The throttling limits the emulator's settings configure."""
    settings = state.settings
    return Limits(
        rate=float(settings.api_rate_per_second),
        burst=float(settings.api_burst),
        customer_rate=float(settings.api_customer_rate_per_second),
        customer_burst=float(settings.api_customer_burst),
    )


class PartnerCenterApi:
    """The emulator's Partner Center API: validator, throttle, replay cache and the data."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        partner = state.directory.partner_tenant
        self.validator = TokenValidator(
            state.keys,
            state.clock,
            partner.id,
            partner_center_audiences(state),
            skew=state.settings.api_token_skew,
        )
        self.throttle = Throttle(state.clock, limits_from(state))
        self.replays = ReplayCache(state.clock)
        self.pager = PageCutter()
        self.mfa_usage = MfaUsage()
        self._unrelated = frozenset(
            tenant.id.lower()
            for tenant in state.directory.customer_tenants
            if tenant.relationship == "none"
        )
        self._context: ApiContext | None = None
        self._build_lock = threading.Lock()

    # -- the data -------------------------------------------------------------------------
    def context(self) -> ApiContext:
        """The seeded data, built on first use (about 0.1 s)."""
        context = self._context
        if context is None:
            with self._build_lock:
                context = self._context
                if context is None:
                    settings = self.state.settings
                    data = Dataset(
                        self.state.directory,
                        seed=settings.api_data_seed,
                        generated_customers=settings.api_generated_customers,
                    )
                    context = ApiContext(data, self.pager, self.state.directory, self.mfa_usage)
                    self._context = context
        return context

    def reset(self) -> None:
        """Forget changes made through the API: the data is rebuilt from the seed on next use."""
        with self._build_lock:
            self._context = None
        self.replays.clear()
        self.throttle.configure(self.throttle.limits)
        self.validator.clear()

    def summary(self) -> dict[str, Any]:
        """Counters for ``GET /_emulator/api``."""
        context = self._context
        data = context.data if context else None
        return {
            "built": data is not None,
            "build_seconds": round(data.build_seconds, 4) if data else None,
            "customers": len(data.customers) if data else None,
            "replayed": self.replays.replayed,
            "throttled": self.throttle.throttled,
            "throttling": self.throttle.limits.as_dict(),
        }

    # -- the pipeline ----------------------------------------------------------------------
    def authenticate(self, request: Request) -> Principal:
        """The caller, with the app + user MFA rule applied (401 otherwise)."""
        principal = self.validator.authenticate(request.headers.get("authorization"))
        if principal.user:
            self.mfa_usage.seen(principal.app_id, principal.mfa, self.state.clock.now())
            if not principal.mfa:
                raise ApiError(
                    pc_errors.MFA_REQUIRED, headers={"WWW-Authenticate": CHALLENGE_INVALID}
                )
        return principal

    def _has_role(self, op: operations.Operation, principal: Principal) -> bool:
        """Whether the signed-in partner user holds one of the operation's roles.

        Partner Center knows its users by object id; tokens minted by hand in tests often
        carry a made-up ``oid``, so the user principal name is the fallback.
        """
        directory = self.state.directory
        user = directory.user_by_object_id(principal.object_id) if principal.object_id else None
        if user is None and principal.upn:
            user = directory.user(principal.upn)
        if user is None or user.tenant_id.lower() != principal.tenant_id.lower():
            return False
        return any(role.value in user.roles for role in op.roles)

    async def endpoint(self, request: Request) -> Response:
        """The Starlette endpoint for every Partner Center API path."""
        self.state.stats.api_request()
        ids = request_ids(request.headers)
        try:
            return await self._handle(request, ids)
        except ApiError as error:
            return render_error(error, ids, head=request.method == "HEAD")
        except Throttled as throttled:
            return render_throttled(throttled, ids)
        except Exception:  # a bug: answer in Partner Center's shape, keep the traceback
            logger.exception("Partner Center API handler failed")
            bug = ApiError(pc_errors.SERVER_ERROR, detail="")
            return render_error(bug, ids, head=request.method == "HEAD")

    async def _handle(self, request: Request, ids: RequestIds) -> Response:
        method = request.method
        principal = self.authenticate(request)
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        path = raw_path.decode("latin-1")
        if not path.lower().startswith("/v1/"):
            # Partner Center serves versioned paths only; `/customers` is not `/v1/customers`.
            raise ApiError(pc_errors.NOT_FOUND, what=f"The resource '{unquote(path)}'")
        found = operations.match(method, path)
        head_as_get = False
        if found is None and method == "HEAD":
            found = operations.match("GET", path)
            head_as_get = found is not None
        if found is None:
            allowed = [m for m in _ALL_METHODS if operations.match(m, path) is not None]
            if allowed:
                raise ApiError(
                    pc_errors.METHOD_NOT_ALLOWED,
                    headers={"Allow": ", ".join(allowed)},
                    method=method,
                )
            raise ApiError(pc_errors.NOT_FOUND, what=f"The resource '{unquote(path)}'")
        op, raw_params = found
        if not op.access.accepts_app_only and not principal.user:
            raise ApiError(pc_errors.APP_ONLY_FORBIDDEN)
        if principal.user and not self._has_role(op, principal):
            raise ApiError(pc_errors.ROLE_FORBIDDEN)
        params = {name: unquote(value) for name, value in raw_params.items()}
        customer_id = params.get("customer_id")
        if customer_id is not None and customer_id.lower() in self._unrelated:
            raise ApiError(pc_errors.NO_RELATIONSHIP, customer=customer_id)
        retry_after = self.throttle.take(principal.tenant_id, params.get("customer_id"))
        if retry_after is not None:
            raise Throttled(retry_after)
        query = _query(request)
        body = await _read_json(request) if method in _BODY_METHODS else None
        context = self._context
        if context is None:
            # The first call builds the data (~0.1 s) off the event loop.
            context = await anyio.to_thread.run_sync(self.context)
        replay_key = None
        if method in _REPLAYED_METHODS and ids.request_id_sent:
            replay_key = (
                principal.tenant_id,
                principal.app_id,
                method,
                path.lower(),
                ids.request_id,
            )
            stored = self.replays.get(replay_key)
            if stored is not None:
                return _response(
                    stored.status, stored.body, {**ids.headers(), **dict(stored.headers)}
                )
        call = Call(
            op=op,
            params=params,
            query=query,
            headers=request.headers,
            body=body,
            principal=principal,
            now=self.state.clock.now(),
            request_id=ids.request_id,
        )
        # Handlers are synchronous and in-memory: between the replay look-up above and the
        # store below nothing awaits, so two retries of one request cannot both run it.
        try:
            result = HANDLERS[op.name](context, call)
        except ApiError as error:
            if replay_key is not None and error.status < 500:
                self.replays.put(replay_key, error.status, dumps(error.body()), error.headers)
            raise
        content = b"" if result.body is None or head_as_get else dumps(result.body)
        if replay_key is not None:
            self.replays.put(replay_key, result.status, content, result.headers)
        return _response(result.status, content, {**ids.headers(), **result.headers})


def _query(request: Request) -> dict[str, str]:
    raw = request.scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise invalid("Too many query parameters.") from None
    return {name.lower(): value for name, value in pairs}


async def _read_json(request: Request) -> Any:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise invalid(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        # NaN/Infinity are not JSON (RFC 8259); echoing them back would break clients.
        body = json.loads(raw, parse_constant=_not_json)
        # JSON may escape lone surrogates ("\ud800"), which no UTF-8 answer could echo back.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise invalid("The request body is not valid JSON (or not valid Unicode).") from None
    return body


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _response(status: int, content: bytes, headers: dict[str, str]) -> Response:
    return Response(content, status_code=status, headers=headers, media_type=JSON_UTF8)


def render_error(error: ApiError, ids: RequestIds, *, head: bool = False) -> Response:
    """An ``ApiError`` as Partner Center sends it (no body for HEAD); a 401 carries a
    ``WWW-Authenticate`` challenge (Partner Center's documented form unless the error names
    its own)."""
    content = b"" if head else dumps(error.body())
    headers = {**ids.headers(), **error.headers}
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", oauth_challenge(ids.correlation_id))
    return _response(error.status, content, headers)


def render_throttled(throttled: Throttled, ids: RequestIds) -> Response:
    """A 429 with ``Retry-After`` and Partner Center's throttling body."""
    headers = {**ids.headers(), "Retry-After": str(throttled.retry_after)}
    return _response(429, dumps(throttled.body()), headers)


def render_result(result: Result, ids: RequestIds) -> Response:
    """A handler's ``Result`` with the request's tracing headers."""
    content = b"" if result.body is None else dumps(result.body)
    return _response(result.status, content, {**ids.headers(), **result.headers})


__all__ = ["PartnerCenterApi", "render_error", "render_result", "render_throttled"]
