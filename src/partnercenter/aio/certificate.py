"""Async twin of :class:`partnercenter.CertificateCredential` (the same arguments,
:class:`~partnercenter._credentials.certificate.CertificateFlows`, run by the async driver)."""

from __future__ import annotations

from .._credentials.certificate import CertificateFlows
from .token_endpoint import AsyncTokenEndpointCredential

__all__ = ["CertificateCredential"]


class CertificateCredential(CertificateFlows, AsyncTokenEndpointCredential):
    """App-only tokens with a certificate, async. Same arguments as
    :class:`partnercenter.CertificateCredential`; ``http_client`` is an ``httpx.AsyncClient``."""
