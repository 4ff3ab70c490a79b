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

    from ._core.timing import Timing
    from ._credentials import (
        AccessTokenCredential,
        AzureCredentialAdapter,
        CertificateCredential,
        ClientSecretCredential,
        MemoryTokenCache,
        RefreshTokenCredential,
        RetryPolicy,
        TokenCache,
    )
    from ._credentials.assertion import ClientCertificate
    from ._credentials.client_assertion import ClientAssertionCredential
    from ._credentials.client_credential import ClientAssertion, ClientSecret
    from ._credentials.consent import secure_app_consent
    from ._credentials.device_code import DeviceCodeCredential
    from ._credentials.interactive import InteractiveBrowserCredential
    from ._credentials.redis_cache import RedisTokenCache
    from ._credentials.signin_protocol import DeviceCode
    from ._credentials.user_credential import SignInResult
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
    "AccessTokenCredential": "._credentials",
    "AuthenticationError": ".errors",
    "AzureADError": ".errors",
    "AzureCredentialAdapter": "._credentials",
    "CertificateCredential": "._credentials",
    "ClientAssertion": "._credentials.client_credential",
    "ClientAssertionCredential": "._credentials.client_assertion",
    "ClientCertificate": "._credentials.assertion",
    "ClientSecret": "._credentials.client_credential",
    "ClientSecretCredential": "._credentials",
    "Cloud": ".clouds",
    "DeviceCode": "._credentials.signin_protocol",
    "DeviceCodeCredential": "._credentials.device_code",
    "FileRefreshTokenStore": ".stores",
    "FileTokenCache": ".token_cache",
    "InteractiveBrowserCredential": "._credentials.interactive",
    "KeyringRefreshTokenStore": ".stores",
    "MemoryRefreshTokenStore": ".stores",
    "MemoryTokenCache": "._credentials",
    "PartnerCenterApiError": ".errors",
    "PartnerCenterError": ".errors",
    "PartnerClient": ".client",
    "RedisRefreshTokenStore": ".stores",
    "RedisTokenCache": "._credentials.redis_cache",
    "RefreshTokenCredential": "._credentials",
    "RefreshTokenStore": ".stores",
    "RetryPolicy": "._credentials",
    "SignInResult": "._credentials.user_credential",
    "Timing": "._core.timing",
    "TokenCache": "._credentials",
    "secure_app_consent": "._credentials.consent",
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
