"""``POST /generatetoken`` and ``POST /v3/generatetoken``: the deprecated token exchange.

Before Partner Center accepted Azure AD tokens directly, clients exchanged one
(``grant_type=jwt_token``, the AAD token as bearer) for a Partner Center token. No official
SDK calls it any more; the emulator serves it for old scripts and marks every answer
``Deprecation: true``. The token it hands out carries the presented token's claims with a
fresh ``iat``/``nbf``, is signed by the emulator's keys, and is accepted by the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ..._contract import pc_errors
from ..identity.claims import BACKDATE_SECONDS
from ..identity.errors import JSON_UTF8
from ..jose import dumps, split
from .errors import ApiError, Throttled, invalid
from .request_ids import request_ids
from .service import PartnerCenterApi, render_error, render_throttled

GRANT_JWT_TOKEN = "jwt_token"
MAX_FORM_BYTES = 16 * 1024


def generate_token(api: PartnerCenterApi) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for both legacy paths."""

    async def endpoint(request: Request) -> Response:
        """Exchange the bearer AAD token for a (re-signed) Partner Center token."""
        api.state.stats.api_request()
        ids = request_ids(request.headers)
        headers = {**ids.headers(), "Deprecation": "true", "Cache-Control": "no-store"}
        try:
            if request.method != "POST":
                raise ApiError(
                    pc_errors.METHOD_NOT_ALLOWED, headers={"Allow": "POST"}, method=request.method
                )
            principal = api.authenticate(request)
            retry_after = api.throttle.take(principal.tenant_id, None)
            if retry_after is not None:
                raise Throttled(retry_after)
            raw = await request.body()
            if len(raw) > MAX_FORM_BYTES:
                raise invalid("The request body is too large.")
            try:
                form = dict(parse_qsl(raw.decode("utf-8"), max_num_fields=20))
            except (UnicodeDecodeError, ValueError):
                raise invalid("The body must be form-encoded: grant_type=jwt_token.") from None
            if form.get("grant_type") != GRANT_JWT_TOKEN:
                raise invalid("grant_type must be 'jwt_token'.")
            token = (request.headers.get("authorization") or "").split(" ", 1)[1].strip()
            _header, claims, _input, _signature = split(token)
            now = int(api.state.clock.now())
            claims["iat"] = claims["nbf"] = now - BACKDATE_SECONDS
            fresh = await anyio.to_thread.run_sync(lambda: api.state.keys.sign(claims))
            expires = int(principal.expires)
            body = {
                "access_token": fresh,
                "token_type": "bearer",
                "expires_in": max(0, expires - now),
                "expires_on": str(expires),
                "resource": "https://api.partnercenter.microsoft.com",
            }
            return Response(dumps(body), 200, headers=headers, media_type=JSON_UTF8)
        except ApiError as error:
            error.headers.update({"Deprecation": "true"})
            return render_error(error, ids)
        except Throttled as throttled:
            return render_throttled(throttled, ids)

    return endpoint
