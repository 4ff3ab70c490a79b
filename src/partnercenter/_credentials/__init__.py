"""Authentication: credentials, the token protocol, refresh policy and the token cache.

The credentials are re-exported by :mod:`partnercenter` (blocking) and
:mod:`partnercenter.aio` (async). Modules: :mod:`.protocol` (pure request building and
response parsing), :mod:`.policy` (pure refresh and retry decisions), :mod:`.cache`,
:mod:`.assertion` (certificate client assertions), :mod:`.flow` (the retrying request flow)
and one module per credential.
"""

from __future__ import annotations

from .access_token import AccessTokenCredential
from .azure_adapter import AzureCredentialAdapter
from .cache import MemoryTokenCache, TokenCache
from .certificate import CertificateCredential
from .client_secret import ClientSecretCredential
from .policy import RetryPolicy
from .refresh_token import RefreshTokenCredential

__all__ = [
    "AccessTokenCredential",
    "AzureCredentialAdapter",
    "CertificateCredential",
    "ClientSecretCredential",
    "MemoryTokenCache",
    "RefreshTokenCredential",
    "RetryPolicy",
    "TokenCache",
]
