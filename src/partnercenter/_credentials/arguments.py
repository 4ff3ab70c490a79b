"""Argument checks shared by the credentials: fail at construction, naming the argument.

Messages may quote identifiers (tenant, client id) but never a secret's value.
"""

from __future__ import annotations

import math
import os
import re
import ssl
from collections.abc import Callable
from typing import Any, Final

from .._contract import wire
from ..clouds import Cloud, EndpointVersion
from ..errors import ConfigurationError, warn_caller
from ..redaction import describe, secret_shape, shown
from .policy import RetryPolicy

__all__ = [
    "Verify",
    "check_algorithm",
    "check_callable",
    "check_client_id",
    "check_sign_in_timeout",
    "check_cloud",
    "check_endpoint_version",
    "check_identifier",
    "check_secret",
    "check_tenant",
    "check_timeout",
    "check_verify",
    "resolve_retry",
]

#: What ``verify=`` accepts: like httpx, a CA bundle path, ``True`` (system CAs), ``False``
#: (no verification; only for throwaway local tests) or an ``ssl.SSLContext``.
Verify = bool | str | os.PathLike[str] | ssl.SSLContext

_GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN: Final = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$"
)


def check_tenant(tenant_id: object, *, argument: str = "tenant_id", multi_ok: bool = False) -> str:
    """A tenant GUID or verified domain; ``common``/``organizations`` only where ``multi_ok``."""
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise ConfigurationError(
            argument,
            "must be the tenant's GUID or a verified domain such as contoso.onmicrosoft.com",
        )
    tenant = tenant_id.strip()
    if tenant.lower() in wire.MULTI_TENANT_SEGMENTS:
        if multi_ok:
            return tenant.lower()
        raise ConfigurationError(
            argument,
            f"{tenant.lower()!r} names no single tenant; app-only tokens are issued by one tenant",
            hint="Use the tenant's GUID or a verified domain such as contoso.onmicrosoft.com.",
        )
    # A JWT's three base64url parts also read as a domain name: refuse the secret shapes first.
    if secret_shape(tenant, strict=True) is None and (_GUID.match(tenant) or _DOMAIN.match(tenant)):
        return tenant
    # The rejected value is described, never quoted: it may be a secret in the wrong place.
    raise ConfigurationError(
        argument,
        f"got {_not_a(tenant_id, 'a GUID')}; must be the tenant's GUID or a domain name such as "
        "contoso.onmicrosoft.com",
    )


def _not_a(value: object, expected: str) -> str:
    """``describe(value)``, adding "not {expected}" when it looks like a secret."""
    text = describe(value)
    if isinstance(value, str) and secret_shape(value) is not None:
        text += f", not {expected}"
    return text


def check_client_id(client_id: object) -> str:
    """An application (client) id: the GUID from the app registration."""
    if not isinstance(client_id, str) or not _GUID.match(client_id.strip()):
        raise ConfigurationError(
            "client_id",
            f"got {_not_a(client_id, 'a GUID')}; must be the application (client) id GUID from "
            "the app registration",
            hint="The .NET order is (appId, appSecret, domain); here it is "
            "(tenant_id, client_id, client_secret).",
        )
    return client_id.strip()


def check_identifier(argument: str, value: object, expected: str) -> str:
    """A free-text name (store key, user name, service name): a non-empty string that does not
    have a documented secret format (a secret there would end up in reprs and messages)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(argument, f"must be {expected} (a non-empty string)")
    if secret_shape(value, strict=True) is not None:
        raise ConfigurationError(argument, f"got {_not_a(value, expected)}")
    return value


def check_secret(argument: str, value: object) -> str:
    """A non-empty secret string (its value is never echoed)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(argument, "must be a non-empty string")
    return value


def check_cloud(cloud: object) -> Cloud:
    """A :class:`Cloud`, or the name of a well-known one; warns for deprecated clouds."""
    if isinstance(cloud, str):
        cloud = Cloud.by_name(cloud)
    if not isinstance(cloud, Cloud):
        raise ConfigurationError("cloud", "must be a Cloud (e.g. Cloud.GLOBAL) or a cloud name")
    cloud.warn_if_deprecated()
    return cloud


def check_endpoint_version(version: object) -> EndpointVersion:
    """``"v1"`` or ``"v2"``."""
    if version == "v1":
        return "v1"
    if version == "v2":
        return "v2"
    raise ConfigurationError(
        "endpoint_version", f"must be 'v2' (default) or 'v1', not {describe(version)}"
    )


def check_verify(verify: object) -> bool | ssl.SSLContext:
    """``verify=`` as httpx wants it. A path becomes an ``SSLContext`` now, so a missing or bad
    CA file is reported here (httpx itself deprecates string paths)."""
    if isinstance(verify, bool | ssl.SSLContext):
        return verify
    if isinstance(verify, str | os.PathLike):
        path = os.fspath(verify)
        if not os.path.exists(path):
            raise ConfigurationError("verify", f"no CA file or directory at {shown(path)}")
        try:
            if os.path.isdir(path):
                return ssl.create_default_context(capath=path)
            return ssl.create_default_context(cafile=path)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigurationError(
                "verify", f"cannot load CA certificates from {shown(path)}: {exc}"
            ) from None
    raise ConfigurationError("verify", "must be a CA file path, True, False or an ssl.SSLContext")


def check_timeout(timeout: object) -> float:
    """A positive, finite number of seconds."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ConfigurationError("timeout", "must be a positive number of seconds")
    return float(timeout)


def check_callable(argument: str, value: Any) -> Callable[..., Any]:
    """A callable (an injected clock, sleep or random source)."""
    if not callable(value):
        raise ConfigurationError(argument, "must be callable")
    return value  # type: ignore[no-any-return]


def resolve_retry(retry: object, retry_policy: object = None) -> RetryPolicy:
    """``retry=`` (a :class:`RetryPolicy`, default ``RetryPolicy()``), or the credentials' old
    name ``retry_policy=``: accepted for one release with a :class:`DeprecationWarning`, so
    that credentials and clients spell the option the same way."""
    if retry_policy is None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry", "must be a RetryPolicy")
        return retry if retry is not None else RetryPolicy()
    if retry is not None:
        raise ConfigurationError(
            "retry_policy", "give retry= or retry_policy= (its deprecated name), not both"
        )
    if not isinstance(retry_policy, RetryPolicy):
        raise ConfigurationError("retry_policy", "must be a RetryPolicy")
    warn_caller(
        "retry_policy= is deprecated and will be removed in the next release: pass the same "
        "RetryPolicy as retry=",
        DeprecationWarning,
    )
    return retry_policy


def check_sign_in_timeout(sign_in_timeout: object) -> None:
    """``None`` or a positive, finite number of seconds (the sign-in credentials' wait)."""
    if sign_in_timeout is not None and (
        isinstance(sign_in_timeout, bool)
        or not isinstance(sign_in_timeout, int | float)
        or not math.isfinite(sign_in_timeout)
        or sign_in_timeout <= 0
    ):
        raise ConfigurationError("sign_in_timeout", "must be a positive number of seconds")


def check_algorithm(algorithm: object) -> None:
    """A client assertion's signing algorithm: ``"PS256"`` (the default) or ``"RS256"``."""
    if algorithm not in ("PS256", "RS256"):
        raise ConfigurationError(
            "algorithm", f"must be 'PS256' (default) or 'RS256', not {describe(algorithm)}"
        )
