"""``/_emulator/``: the admin API for tests and tools (stats, time travel, key rotation, the
next unused TOTP code of a user).

Every call needs the admin key from ``emulator.json``, as ``Authorization: Bearer <key>`` or
``X-Emulator-Key: <key>``. Errors are JSON ``{"error": ..., "message": ...}``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .identity.authenticator import CodeUnavailable, next_code
from .identity.errors import JSON_UTF8
from .jose import dumps
from .keys import KeyRotationError
from .state import EmulatorState

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_ADMIN_BODY = 64 * 1024
#: Longest publication delay a rotation may ask for (a week).
MAX_ROTATION_DELAY = 7 * 86400
_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class AdminError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        dumps(body), status_code=status, media_type=JSON_UTF8, headers={"Cache-Control": "no-store"}
    )


def _authorized(state: EmulatorState, request: Request) -> bool:
    presented = request.headers.get("x-emulator-key", "")
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        presented = authorization[7:].strip()
    return bool(presented) and hmac.compare_digest(presented.encode(), state.admin_key.encode())


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_ADMIN_BODY:
        raise AdminError(413, "too_large", "the request body is too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise AdminError(400, "invalid_json", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise AdminError(400, "invalid_json", "the body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise AdminError(400, "invalid_value", f"'{key}' must be a number of seconds")
    if abs(value) > 1e11:
        raise AdminError(400, "invalid_value", f"'{key}' is out of range")
    return float(value)


#: The emulator's clock stays between 1970 and about 5138 (token exp, timestamps and dates
#: are formatted with datetime, which stops at year 9999): repeated advances cannot leave it.
MAX_CLOCK = 1e11


def _check_time(at: float) -> None:
    if not 0 <= at <= MAX_CLOCK:
        raise AdminError(
            400, "invalid_value", f"the clock would leave the range 0..{MAX_CLOCK:.0f} (epoch s)"
        )


def _guard(state: EmulatorState, handler: Callable[[Request], Awaitable[Any]]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if not _authorized(state, request):
            return _json(
                {
                    "error": "unauthorized",
                    "message": "send the admin key from emulator.json as 'Authorization: Bearer "
                    "<admin_key>'",
                },
                401,
            )
        try:
            return _json(await handler(request))
        except AdminError as error:
            return _json({"error": error.error, "message": error.message}, error.status)

    return endpoint


def routes(state: EmulatorState, info: Callable[[Request], dict[str, Any]]) -> list[Route]:
    async def stats(request: Request) -> Any:
        return state.stats.snapshot()

    async def reset_stats(request: Request) -> Any:
        state.stats.reset()
        return state.stats.snapshot()

    async def clock(request: Request) -> Any:
        if request.method == "POST":
            body = await _body(request)
            advance, at = _number(body, "advance"), _number(body, "now")
            if body.get("reset") is True:
                state.clock.reset()
            elif advance is not None and at is not None:
                raise AdminError(400, "invalid_value", "send either 'advance' or 'now', not both")
            elif advance is not None:
                _check_time(state.clock.now() + advance)
                state.clock.advance(advance)
            elif at is not None:
                _check_time(at)
                state.clock.set(at)
            else:
                raise AdminError(
                    400,
                    "invalid_value",
                    "send {'advance': seconds}, {'now': epoch} or {'reset': true}",
                )
        return {"now": state.clock.now(), "offset": state.clock.offset}

    async def rotate_keys(request: Request) -> Any:
        # Entra publishes a key before signing with it: by default the new key signs after
        # settings.key_rotation_delay; {"delay": 0} or {"immediate": true} switches at once.
        body = await _body(request)
        delay = _number(body, "delay")
        immediate = body.get("immediate", False)
        if not isinstance(immediate, bool):
            raise AdminError(400, "invalid_value", "'immediate' must be true or false")
        if delay is not None and (delay < 0 or delay > MAX_ROTATION_DELAY):
            raise AdminError(
                400, "invalid_value", f"'delay' must be 0..{MAX_ROTATION_DELAY} seconds"
            )
        if immediate:
            delay = 0.0
        elif delay is None:
            delay = float(state.settings.key_rotation_delay)
        try:
            new = state.keys.rotate(delay=delay, clock=state.clock.now)
        except KeyRotationError as error:
            raise AdminError(503, "save_failed", str(error)) from None
        waiting = state.keys.next_key
        return {
            "active_kid": state.keys.active.kid,
            "new_kid": new.kid,
            "activates_at": waiting[1] if waiting else state.clock.now(),
            "kids": [k.kid for k in state.keys.keys],
        }

    async def describe(request: Request) -> Any:
        return info(request)

    async def revoke_user(request: Request) -> Any:
        user = state.directory.user(request.path_params["upn"])
        if user is None:
            raise AdminError(404, "not_found", "no user with that user principal name")
        return {"upn": user.upn, "revoked_refresh_tokens": state.signin.revoke_user(user.object_id)}

    async def user_totp(request: Request) -> Any:
        # The code a scripted user types next (codes are single use): see identity/authenticator.
        user = state.directory.user(request.path_params["upn"])
        if user is None:
            raise AdminError(404, "not_found", "no user with that user principal name")
        try:
            chosen = next_code(state, user)
        except CodeUnavailable as error:
            raise AdminError(409, "no_code", str(error)) from None
        return {
            "upn": user.upn,
            "code": chosen.code,
            "step": chosen.step,
            "waited": chosen.waited,
            "now": state.clock.now(),
        }

    return [
        Route("/_emulator/stats", _guard(state, stats), methods=["GET"]),
        Route("/_emulator/stats/reset", _guard(state, reset_stats), methods=["POST"]),
        Route("/_emulator/clock", _guard(state, clock), methods=["GET", "POST"]),
        Route("/_emulator/keys/rotate", _guard(state, rotate_keys), methods=["POST"]),
        Route("/_emulator/info", _guard(state, describe), methods=["GET"]),
        Route("/_emulator/users/{upn}/revoke", _guard(state, revoke_user), methods=["POST"]),
        Route("/_emulator/users/{upn}/totp", _guard(state, user_totp), methods=["POST"]),
    ]


def not_found_route(state: EmulatorState) -> Route:
    """Any other ``/_emulator/`` path, in the admin API's JSON shape rather than plain text.

    Goes after every admin route (the API side adds its own), so it only catches the rest.
    """

    async def unknown(request: Request) -> Any:
        raise AdminError(404, "not_found", f"no admin call {request.url.path!r}")

    return Route("/_emulator/{rest:path}", _guard(state, unknown), methods=_ANY)
