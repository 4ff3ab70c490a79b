"""The async credentials: the same names as :mod:`partnercenter`, with ``await get_token()``,
and :class:`AsyncPartnerClient`, the async twin of :class:`partnercenter.PartnerClient`.

Caches, clouds, stores and tokens are shared with the blocking side (a
:class:`~partnercenter.MemoryTokenCache` or :class:`~partnercenter.MemoryRefreshTokenStore`
works for both).
"""

from __future__ import annotations

from .access_token import AccessTokenCredential
from .azure_adapter import AzureCredentialAdapter
from .certificate import CertificateCredential
from .client import AsyncPartnerClient
from .client_assertion import ClientAssertionCredential
from .client_secret import ClientSecretCredential
from .device_code import DeviceCodeCredential
from .fanout import FanOutResult, fan_out_http_client, tokens_for_tenants
from .interactive import InteractiveBrowserCredential
from .redis_cache import RedisTokenCache
from .redis_store import RedisRefreshTokenStore
from .refresh_token import RefreshTokenCredential

__all__ = [
    "AccessTokenCredential",
    "AsyncPartnerClient",
    "AzureCredentialAdapter",
    "CertificateCredential",
    "ClientAssertionCredential",
    "ClientSecretCredential",
    "DeviceCodeCredential",
    "FanOutResult",
    "InteractiveBrowserCredential",
    "RedisRefreshTokenStore",
    "RedisTokenCache",
    "RefreshTokenCredential",
    "fan_out_http_client",
    "tokens_for_tenants",
]
