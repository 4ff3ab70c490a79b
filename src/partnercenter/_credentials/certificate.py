"""App-only tokens with a certificate (``client_credentials`` + a signed client assertion)."""

from __future__ import annotations

import os
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import ConfigurationError
from .arguments import check_algorithm, check_client_id, check_tenant
from .assertion import AssertionAlgorithm, ClientCertificate, load_certificate
from .client_auth import CertificateAuth
from .token_endpoint import CredentialOptions, TokenEndpointCore, TokenEndpointCredential

__all__ = ["CertificateCredential", "CertificateFlows", "certificate_auth"]


def certificate_auth(
    client_id: str,
    *,
    certificate_path: str | os.PathLike[str] | None,
    certificate_data: bytes | None,
    password: str | bytes | None,
    private_key: rsa.RSAPrivateKey | None,
    certificate: x509.Certificate | ClientCertificate | None,
    algorithm: AssertionAlgorithm,
    send_certificate_chain: bool,
) -> CertificateAuth:
    """Load the certificate and check the assertion options (shared with the async twin).

    The certificate is read here, at construction, so a wrong path, password or key fails
    at once with a message naming the argument.
    """
    check_algorithm(algorithm)
    if not isinstance(send_certificate_chain, bool):
        raise ConfigurationError("send_certificate_chain", "must be True or False")
    loaded: ClientCertificate
    if isinstance(certificate, ClientCertificate):
        # The one-value form: key and certificate already loaded (and checked) together.
        others = [
            n
            for n, v in (
                ("certificate_path", certificate_path),
                ("certificate_data", certificate_data),
                ("private_key", private_key),
                ("password", password),
            )
            if v is not None
        ]
        if others:
            raise ConfigurationError(
                others[0], "goes with a certificate file or key, not with a ClientCertificate"
            )
        loaded = certificate
    else:
        loaded = load_certificate(
            certificate_path=certificate_path,
            certificate_data=certificate_data,
            password=password,
            private_key=private_key,
            certificate=certificate,
        )
    return CertificateAuth(client_id, loaded, algorithm, send_certificate_chain)


class CertificateFlows(TokenEndpointCore):
    """A certificate credential's arguments (the key and certificate, loaded once)."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        certificate_path: str | os.PathLike[str] | None = None,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        certificate: x509.Certificate | ClientCertificate | None = None,
        algorithm: AssertionAlgorithm = "PS256",
        send_certificate_chain: bool = False,
        **options: Unpack[CredentialOptions],
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


class CertificateCredential(CertificateFlows, TokenEndpointCredential):
    """App-only tokens for an app registration with a certificate.

    Give the certificate as one value, ``certificate=ClientCertificate.from_file(path,
    password=...)`` (or ``.from_pem(...)``), or as ``certificate_path`` or ``certificate_data``
    (PEM with the private key, or PKCS#12; ``password`` if encrypted), or as ``private_key`` +
    ``certificate`` objects. Each token request carries a new client assertion signed ``PS256``
    with an ``x5t#S256`` header; ``algorithm="RS256"`` signs RS256 with ``x5t`` (SHA-1)
    instead, and ``send_certificate_chain=True`` adds ``x5c`` (subject name / issuer
    authentication).
    """
