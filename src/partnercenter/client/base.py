"""What the blocking and the async Partner Center clients share: argument checks, settings,
the choice of cloud, and ``with_options``."""

from __future__ import annotations

import copy
import dataclasses
import math
import ssl
from typing import Any, Self

from .._credentials.arguments import Verify, check_cloud, check_timeout, check_verify, resolve_retry
from .._credentials.policy import RetryPolicy
from .._credentials.token_endpoint import check_http_options
from .._timing import Timing
from ..clouds import Cloud
from ..errors import ConfigurationError
from .core import ClientSettings, check_mfa_mode, new_id

__all__ = ["ClientBase", "DEFAULT_DEADLINE", "DEFAULT_TIMEOUT"]

#: Seconds per HTTP operation (connect, read, write, pool) of one attempt.
DEFAULT_TIMEOUT = 30.0
#: Seconds one logical call may take, retries and waits included.
DEFAULT_DEADLINE = 120.0


def _check_deadline(deadline: object) -> float | None:
    if deadline is None:
        return None
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, int | float)
        or not math.isfinite(deadline)
        or deadline <= 0
    ):
        raise ConfigurationError("deadline", "must be a positive number of seconds, or None")
    return float(deadline)


def _check_bool(argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(argument, "must be True or False")
    return value


class ClientBase:
    """Settings and helpers of :class:`~partnercenter.PartnerClient` and its async twin."""

    _settings: ClientSettings
    _owns_client: bool

    def __init__(
        self,
        *,
        credential_cloud: Cloud | None,
        cloud: Cloud | str | None,
        application_name: str | None,
        locale: str,
        correlation_id: str | None,
        retry: RetryPolicy | None,
        timeout: float,
        deadline: float | None,
        mfa_check: str,
        check_access: bool,
        timing: Timing,
    ) -> None:
        if cloud is None:
            # The credential's cloud decides the token's audience; calling another cloud's API
            # with it would only earn a 401, so it is the default.
            self.cloud = credential_cloud if credential_cloud is not None else Cloud.GLOBAL
        else:
            self.cloud = check_cloud(cloud)
        self._retry = resolve_retry(retry)
        # The one seam the call flow reads (clock, jitter) and the driver sleeps with (the
        # client resolved the deprecated clock=, sleep=, random= into it).
        self._timing = timing
        self._settings = ClientSettings(
            api_root=self.cloud.api_root,
            locale=locale,
            application_name=application_name,
            correlation_id=correlation_id,
            timeout=check_timeout(timeout),
            deadline=_check_deadline(deadline),
            mfa_check=check_mfa_mode(mfa_check),
            check_access=_check_bool("check_access", check_access),
        )

    def _set_http_options(
        self,
        http_client: Any,
        transport: Any,
        verify: Verify | None,
        client_type: type,
        transport_type: type,
        credential: Any = None,
    ) -> None:
        """Check and keep the HTTP options (the client is made on first use).

        Without ``verify=`` the client trusts what ``credential`` trusts (its ``verify``): a
        credential set up for the emulator's CA, or a company proxy's, works for the API too.
        """
        check_http_options(http_client, transport, client_type, transport_type)
        if http_client is not None and verify is not None:
            raise ConfigurationError("verify", "give verify= or http_client=, not both")
        if verify is None:
            inherited = getattr(credential, "verify", None)
            self._verify = inherited if isinstance(inherited, bool | ssl.SSLContext) else True
        else:
            self._verify = check_verify(verify)
        self._transport = transport
        self._http_client = http_client
        self._owns_client = False

    @property
    def settings(self) -> ClientSettings:
        """The client's settings (read-only)."""
        return self._settings

    @staticmethod
    def _new_id() -> str:
        return new_id()

    def _derive(self, **changes: Any) -> Self:
        """A shallow copy with other settings, sharing the credential and the HTTP client (the
        copy never closes it)."""
        unknown = sorted(
            set(changes)
            - {
                "application_name",
                "locale",
                "correlation_id",
                "timeout",
                "deadline",
                "mfa_check",
                "check_access",
            }
        )
        if unknown:
            raise ConfigurationError(unknown[0], "is not an option with_options() can change")
        if "timeout" in changes:
            changes["timeout"] = check_timeout(changes["timeout"])
        if "deadline" in changes:
            changes["deadline"] = _check_deadline(changes["deadline"])
        if "check_access" in changes:
            changes["check_access"] = _check_bool("check_access", changes["check_access"])
        if "mfa_check" in changes:
            changes["mfa_check"] = check_mfa_mode(changes["mfa_check"])
        derived = copy.copy(self)
        derived._settings = dataclasses.replace(self._settings, **changes)
        derived._owns_client = False
        return derived

    def _describe(self) -> str:
        return (
            f"cloud={self.cloud!r}, api_root={self._settings.api_root!r}, "
            f"credential={self._credential_repr()}"
        )

    def _credential_repr(self) -> str:
        return repr(getattr(self, "_credential", None))
