"""Redeeming a stored refresh token: the inactivity warning, rotation, and a retry when
another process rotated the token meanwhile. Shared by
:class:`~partnercenter.RefreshTokenCredential` and the sign-in credentials (the async twins
have the same steps with ``await``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

from ..errors import InvalidGrantError, RefreshTokenExpiringWarning, warn_caller
from ..stores import RefreshTokenStore
from ..stores.records import RefreshTokenRecord, inactivity_message
from .protocol import TokenResponse

__all__ = ["load_stored", "redeem_stored", "warn_if_expiring"]

logger = logging.getLogger("partnercenter.auth")


def warn_if_expiring(record: RefreshTokenRecord, now: float, store_key: str) -> None:
    """Warn (and log) when ``record`` is within two weeks of the 90-day inactivity limit."""
    if record.expiring(now):
        message = inactivity_message(record, now, store_key)
        logger.warning("%s", message)
        warn_caller(message, RefreshTokenExpiringWarning)


def load_stored(store: RefreshTokenStore, store_key: str, now: float) -> str | None:
    """The stored refresh token, warning first if it nears the inactivity limit (stores that
    keep records: :class:`~partnercenter.stores.RefreshTokenRecordStore`)."""
    load_record: Callable[[str], RefreshTokenRecord | None] | None = getattr(
        store, "load_record", None
    )
    if load_record is None:
        return store.load(store_key)
    record = load_record(store_key)
    if record is None:
        return None
    warn_if_expiring(record, now, store_key)
    return record.refresh_token


def redeem_stored(
    store: RefreshTokenStore,
    store_key: str,
    now: float,
    redeem: Callable[[str], TokenResponse],
) -> TokenResponse | None:
    """Redeem the stored refresh token and save the rotated one; ``None`` if none is stored.

    If Azure AD refuses the token (``invalid_grant``) and the store now holds a different one,
    another process rotated it meanwhile (and a service that retires used tokens would refuse
    ours): the newest is tried once before giving up.

    A store shared by a fleet (``rotation(key)``, e.g. Redis) is used inside its rotation lock,
    through a view whose ``save`` is a compare-and-set against the token loaded.
    """
    rotation: Callable[[str], AbstractContextManager[RefreshTokenStore]] | None = getattr(
        store, "rotation", None
    )
    if rotation is not None:
        with rotation(store_key) as view:
            return redeem_stored(view, store_key, now, redeem)
    refresh_token = load_stored(store, store_key, now)
    if not refresh_token:
        return None
    try:
        response = redeem(refresh_token)
    except InvalidGrantError:
        newer = store.load(store_key)
        if not newer or newer == refresh_token:
            raise
        logger.info("the stored refresh token changed while it was redeemed; retrying with it")
        refresh_token = newer
        response = redeem(refresh_token)
    if response.refresh_token and response.refresh_token != refresh_token:
        # Rotation: keep only the newest. (Concurrent redemptions may each store theirs: Azure
        # AD keeps older refresh tokens valid, so whichever is saved last works.)
        store.save(store_key, response.refresh_token)
    return response
