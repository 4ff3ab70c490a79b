"""Redeeming a stored refresh token: the inactivity warning, rotation, and a retry when
another process rotated the token meanwhile. One flow (:mod:`partnercenter._core.steps`), shared by
:class:`~partnercenter.RefreshTokenCredential`, the sign-in credentials and their async twins.

Store calls are :class:`~partnercenter._core.steps.Blocking` steps: inline under the blocking
driver;
under the async one, awaited for an async store and run in a worker thread for a blocking one
(the file store may wait up to 30 s for its cross-process lock and fsyncs every save, an OS
keyring may go through D-Bus, none of which may stall the event loop). The in-memory store
never blocks, so it is called inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .._core.steps import Blocking, Flow, Within
from ..errors import InvalidGrantError, RefreshTokenExpiringWarning, warn_caller
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.records import RefreshTokenRecord, inactivity_message
from .protocol import TokenResponse

__all__ = ["load_stored", "redeem_stored", "store_call", "warn_if_expiring"]

logger = logging.getLogger("partnercenter.auth")

AnyStore = RefreshTokenStore | AsyncRefreshTokenStore


def store_call(store: object, method: str, *args: object) -> Blocking:
    """The step that calls ``store.method(*args)``."""
    return Blocking(getattr(store, method), args, inline=isinstance(store, MemoryRefreshTokenStore))


def warn_if_expiring(record: RefreshTokenRecord, now: float, store_key: str) -> None:
    """Warn (and log) when ``record`` is within two weeks of the 90-day inactivity limit."""
    if record.expiring(now):
        message = inactivity_message(record, now, store_key)
        logger.warning("%s", message)
        warn_caller(message, RefreshTokenExpiringWarning)


def load_stored(store: AnyStore, store_key: str, now: float) -> Flow[str | None]:
    """The stored refresh token, warning first if it nears the inactivity limit (stores that
    keep records: :class:`~partnercenter.stores.RefreshTokenRecordStore`)."""
    if getattr(store, "load_record", None) is None:
        loaded: str | None = yield store_call(store, "load", store_key)
        return loaded
    record: RefreshTokenRecord | None = yield store_call(store, "load_record", store_key)
    if record is None:
        return None
    warn_if_expiring(record, now, store_key)
    return record.refresh_token


def redeem_stored(
    store: AnyStore,
    store_key: str,
    now: float,
    redeem: Callable[[str], Flow[TokenResponse]],
) -> Flow[TokenResponse | None]:
    """Redeem the stored refresh token and save the rotated one; ``None`` if none is stored.

    If Azure AD refuses the token (``invalid_grant``) and the store now holds a different one,
    another process rotated it meanwhile (and a service that retires used tokens would refuse
    ours): the newest is tried once before giving up.

    A store shared by a fleet (``rotation(key)``, e.g. Redis) is used inside its rotation lock,
    through a view whose ``save`` is a compare-and-set against the token loaded.
    """
    rotation: Callable[[str], object] | None = getattr(store, "rotation", None)
    if rotation is not None:
        response: TokenResponse | None = yield Within(
            rotation(store_key), lambda view: redeem_stored(view, store_key, now, redeem)
        )
        return response
    refresh_token = yield from load_stored(store, store_key, now)
    if not refresh_token:
        return None
    try:
        redeemed = yield from redeem(refresh_token)
    except InvalidGrantError:
        newer: str | None = yield store_call(store, "load", store_key)
        if not newer or newer == refresh_token:
            raise
        logger.info("the stored refresh token changed while it was redeemed; retrying with it")
        refresh_token = newer
        redeemed = yield from redeem(refresh_token)
    if redeemed.refresh_token and redeemed.refresh_token != refresh_token:
        # Rotation: keep only the newest. (Concurrent redemptions may each store theirs: Azure
        # AD keeps older refresh tokens valid, so whichever is saved last works.)
        yield store_call(store, "save", store_key, redeemed.refresh_token)
    return redeemed
