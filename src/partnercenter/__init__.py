"""partnercenter: authenticate to the Microsoft Partner Center API.

The library's public names live here in a sorted ``__all__``; the async credentials (same
names) and :class:`~partnercenter.aio.AsyncPartnerClient` in :mod:`partnercenter.aio`; the
REST client's parts in :mod:`partnercenter.client`; errors in :mod:`partnercenter.errors`; the
emulator lives in :mod:`partnercenter.emulator` and the command line in :mod:`partnercenter.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

# __version__ first: the auth modules read it for the User-Agent.
from .auth import (  # noqa: E402
    AccessTokenCredential,
    AzureCredentialAdapter,
    CertificateCredential,
    ClientSecretCredential,
    MemoryTokenCache,
    RefreshTokenCredential,
    RetryPolicy,
    TokenCache,
)
from .auth.consent import secure_app_consent  # noqa: E402
from .auth.device_code import DeviceCodeCredential  # noqa: E402
from .auth.interactive import InteractiveBrowserCredential  # noqa: E402
from .auth.redis_cache import RedisTokenCache  # noqa: E402
from .auth.signin_protocol import DeviceCode  # noqa: E402
from .auth.user_credential import SignInResult  # noqa: E402
from .client import PartnerClient  # noqa: E402
from .clouds import Cloud  # noqa: E402
from .errors import (  # noqa: E402
    AuthenticationError,
    AzureADError,
    PartnerCenterApiError,
    PartnerCenterError,
)
from .stores import (  # noqa: E402
    FileRefreshTokenStore,
    KeyringRefreshTokenStore,
    MemoryRefreshTokenStore,
    RedisRefreshTokenStore,
    RefreshTokenStore,
)
from .tokens import AccessToken  # noqa: E402

__all__ = [
    "AccessToken",
    "AccessTokenCredential",
    "AuthenticationError",
    "AzureADError",
    "AzureCredentialAdapter",
    "CertificateCredential",
    "ClientSecretCredential",
    "Cloud",
    "DeviceCode",
    "DeviceCodeCredential",
    "FileRefreshTokenStore",
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
    "TokenCache",
    "__version__",
    "secure_app_consent",
]
