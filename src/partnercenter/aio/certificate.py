"""Async twin of :class:`partnercenter.CertificateCredential`."""

from __future__ import annotations

import os
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..auth.arguments import check_client_id, check_tenant
from ..auth.assertion import AssertionAlgorithm
from ..auth.certificate import certificate_auth
from ..auth.client_auth import CertificateAuth
from .token_endpoint import AsyncCredentialOptions, AsyncTokenEndpointCredential

__all__ = ["CertificateCredential"]


class CertificateCredential(AsyncTokenEndpointCredential):
    """App-only tokens with a certificate, async. Same arguments as
    :class:`partnercenter.CertificateCredential`."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        certificate_path: str | os.PathLike[str] | None = None,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        certificate: x509.Certificate | None = None,
        algorithm: AssertionAlgorithm = "PS256",
        send_certificate_chain: bool = False,
        **options: Unpack[AsyncCredentialOptions],
    ) -> None:
        tenant = check_tenant(tenant_id)
        client = check_client_id(client_id)
        auth = certificate_auth(
            client,
            certificate_path=certificate_path,
            certificate_data=certificate_data,
            password=password,
            private_key=private_key,
            certificate=certificate,
            algorithm=algorithm,
            send_certificate_chain=send_certificate_chain,
        )
        super().__init__(
            kind="certificate", tenant_id=tenant, client_id=client, client_auth=auth, **options
        )

    @property
    def thumbprint(self) -> str:
        """The certificate's SHA-1 thumbprint (hex), as the Azure portal lists it."""
        assert isinstance(self._client_auth, CertificateAuth)
        return self._client_auth.certificate.thumbprint_sha1
