"""partnercenter: authenticate to the Microsoft Partner Center API.

The library's public names live here in a sorted ``__all__``; the async credentials (same
names) and :class:`~partnercenter.aio.AsyncPartnerClient` in :mod:`partnercenter.aio`; the
REST client's parts in :mod:`partnercenter.client`; errors in :mod:`partnercenter.errors`; the
emulator lives in :mod:`partnercenter.emulator` and the command line in :mod:`partnercenter.cli`.
Every public name, module by module, is listed in docs/api.md; the version is in
:mod:`partnercenter._version`, so that no module needs to import this one for it.

The names are imported on first use (PEP 562 ``__getattr__``): ``import partnercenter`` costs
almost nothing, and a program that only reads a cached token never imports ``httpx``.
"""

from __future__ import annotations

from ._version import __version__

# Not typing.TYPE_CHECKING: importing typing alone would cost more than this whole module.
TYPE_CHECKING = False
if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from typing import Any

    from ._timing import Timing
    from .auth import (
        AccessTokenCredential,
        AzureCredentialAdapter,
        CertificateCredential,
        ClientSecretCredential,
        MemoryTokenCache,
        RefreshTokenCredential,
        RetryPolicy,
        TokenCache,
    )
    from .auth.assertion import ClientCertificate
    from .auth.client_assertion import ClientAssertionCredential
    from .auth.client_credential import ClientAssertion, ClientSecret
    from .auth.consent import secure_app_consent
    from .auth.device_code import DeviceCodeCredential
    from .auth.interactive import InteractiveBrowserCredential
    from .auth.redis_cache import RedisTokenCache
    from .auth.signin_protocol import DeviceCode
    from .auth.user_credential import SignInResult
    from .client import PartnerClient
    from .clouds import Cloud
    from .errors import (
        AuthenticationError,
        AzureADError,
        PartnerCenterApiError,
        PartnerCenterError,
    )
    from .stores import (
        FileRefreshTokenStore,
        KeyringRefreshTokenStore,
        MemoryRefreshTokenStore,
        RedisRefreshTokenStore,
        RefreshTokenStore,
    )
    from .token_cache import FileTokenCache
    from .tokens import AccessToken

# Public name -> the module that defines it (relative to this package). One line per name, so
# that branches adding exports merge cleanly.
_LAZY: dict[str, str] = {
    "AccessToken": ".tokens",
    "AccessTokenCredential": ".auth",
    "AuthenticationError": ".errors",
    "AzureADError": ".errors",
    "AzureCredentialAdapter": ".auth",
    "CertificateCredential": ".auth",
    "ClientAssertion": ".auth.client_credential",
    "ClientAssertionCredential": ".auth.client_assertion",
    "ClientCertificate": ".auth.assertion",
    "ClientSecret": ".auth.client_credential",
    "ClientSecretCredential": ".auth",
    "Cloud": ".clouds",
    "DeviceCode": ".auth.signin_protocol",
    "DeviceCodeCredential": ".auth.device_code",
    "FileRefreshTokenStore": ".stores",
    "FileTokenCache": ".token_cache",
    "InteractiveBrowserCredential": ".auth.interactive",
    "KeyringRefreshTokenStore": ".stores",
    "MemoryRefreshTokenStore": ".stores",
    "MemoryTokenCache": ".auth",
    "PartnerCenterApiError": ".errors",
    "PartnerCenterError": ".errors",
    "PartnerClient": ".client",
    "RedisRefreshTokenStore": ".stores",
    "RedisTokenCache": ".auth.redis_cache",
    "RefreshTokenCredential": ".auth",
    "RefreshTokenStore": ".stores",
    "RetryPolicy": ".auth",
    "SignInResult": ".auth.user_credential",
    "Timing": "._timing",
    "TokenCache": ".auth",
    "secure_app_consent": ".auth.consent",
}

__all__ = [
    "AccessToken",
    "AccessTokenCredential",
    "AuthenticationError",
    "AzureADError",
    "AzureCredentialAdapter",
    "CertificateCredential",
    "ClientAssertion",
    "ClientAssertionCredential",
    "ClientCertificate",
    "ClientSecret",
    "ClientSecretCredential",
    "Cloud",
    "DeviceCode",
    "DeviceCodeCredential",
    "FileRefreshTokenStore",
    "FileTokenCache",
    "InteractiveBrowserCredential",
    "KeyringRefreshTokenStore",
    "MemoryRefreshTokenStore",
    "MemoryTokenCache",
    "PartnerCenterApiError",
    "PartnerCenterError",
    "PartnerClient",
    "RedisRefreshTokenStore",
    "RedisTokenCache",
    "RefreshTokenCredential",
    "RefreshTokenStore",
    "RetryPolicy",
    "SignInResult",
    "Timing",
    "TokenCache",
    "__version__",
    "secure_app_consent",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'partnercenter' has no attribute {name!r}")
    # __import__ is a builtin: no importlib import on the way to a cached token.
    value = getattr(__import__(__name__ + module, fromlist=[name]), name)
    globals()[name] = value  # the next access is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
