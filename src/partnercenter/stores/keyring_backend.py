"""Access to the OS keyring through the optional ``keyring`` package.

``keyring`` is an optional extra (``pip install 'partnercenter[keyring]'``), imported only when a
keyring is actually used. Anything with ``get_password`` / ``set_password`` /
``delete_password(service, username)`` works as a backend: the ``keyring`` module itself, one of
its backend objects, or a stand-in in tests.
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

from ..errors import RefreshTokenStoreError

__all__ = ["KeyringBackend", "default_keyring", "keyring_error"]

KEYRING_EXTRA_HINT = "Install the keyring extra: pip install 'partnercenter[keyring]'."


@runtime_checkable
class KeyringBackend(Protocol):
    """The three calls of the ``keyring`` package this library uses."""

    def get_password(self, service_name: str, username: str) -> str | None:
        """The secret stored for ``(service_name, username)``, or ``None``."""

    def set_password(self, service_name: str, username: str, password: str) -> None:
        """Store ``password`` for ``(service_name, username)``."""

    def delete_password(self, service_name: str, username: str) -> None:
        """Forget ``(service_name, username)`` (the ``keyring`` package raises when absent)."""


def default_keyring(location: str) -> KeyringBackend:
    """The ``keyring`` module (its configured OS backend), or a clear error if it is missing."""
    try:
        module = importlib.import_module("keyring")
    except ImportError:
        raise RefreshTokenStoreError(
            f"the OS keyring is needed for {location} but the 'keyring' package is not installed",
            location=location,
            reason="keyring",
            hint=KEYRING_EXTRA_HINT,
        ) from None
    backend: KeyringBackend = module
    return backend


def keyring_error(location: str, action: str, exc: Exception) -> RefreshTokenStoreError:
    """A :class:`RefreshTokenStoreError` for a failed keyring call (the backend's message names
    no secret: keyring errors describe the backend, not the value)."""
    name = type(exc).__name__
    if name == "NoKeyringError":
        hint = (
            "No OS keyring is available here (headless Linux has none without a Secret Service "
            "such as gnome-keyring). Set PARTNERCENTER_STORE_KEY instead (see "
            "partnercenter.stores.generate_store_key), or configure a keyring backend."
        )
    else:
        hint = "Check that the OS keyring is unlocked and reachable."
    return RefreshTokenStoreError(
        f"cannot {action} the OS keyring for {location}: {name}: {exc}".rstrip(": "),
        location=location,
        reason="keyring",
        hint=hint,
    )
