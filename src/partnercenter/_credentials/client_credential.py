"""How an application proves who it is to Azure AD, as one value.

A credential takes one ``client_credential`` (as MSAL's ``ConfidentialClientApplication``
does) instead of a keyword argument per kind of secret:

- :class:`ClientSecret`: the secret's value (sent in the form body, or with HTTP Basic);
- :class:`~partnercenter._credentials.assertion.ClientCertificate`: a certificate and its key
  (``ClientCertificate.from_file(path, password=...)``, ``.from_pem(text)``, ``.from_key(...)``);
  each token request carries a new assertion signed with it;
- :class:`ClientAssertion`: a callable returning a signed client assertion (RFC 7523), e.g. a
  federated token from a workload identity, or one signed by a key in an HSM; called for every
  token request, since Azure AD refuses a replayed assertion.

``None`` means a public client (device code and browser sign-in apps), which sends no
credential: Azure AD refuses one from a public client (AADSTS700025).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigurationError
from .arguments import check_secret
from .assertion import AssertionAlgorithm, ClientCertificate
from .client_auth import AssertionAuth, CertificateAuth, ClientAuth, NoClientAuth, SecretAuth

__all__ = ["ClientAssertion", "ClientCredential", "ClientSecret", "client_auth_for"]


@dataclass(frozen=True, slots=True, repr=False)
class ClientSecret:
    """A client secret's *value* (not its id). ``in_header=True`` sends it with HTTP Basic
    (``client_secret_basic``) instead of in the form body (``client_secret_post``)."""

    value: str
    in_header: bool = False

    def __post_init__(self) -> None:
        check_secret("value", self.value)
        if not isinstance(self.in_header, bool):
            raise ConfigurationError("in_header", "must be True or False")

    def __repr__(self) -> str:
        return f"ClientSecret(value=<hidden>, in_header={self.in_header})"


@dataclass(frozen=True, slots=True, repr=False)
class ClientAssertion:
    """A callable that returns a signed client assertion (a JWT, as a str) for each token
    request: ``ClientAssertion(lambda: Path(token_file).read_text())``. It is called in the
    thread (or event loop) that requests the token, so it should not block for long."""

    provider: Callable[[], str]

    def __post_init__(self) -> None:
        if not callable(self.provider):
            raise ConfigurationError("provider", "must be a callable returning the assertion")

    def __repr__(self) -> str:
        name = getattr(self.provider, "__qualname__", type(self.provider).__name__)
        return f"ClientAssertion(provider={name})"


#: What a credential's ``client_credential`` may be.
ClientCredential = ClientSecret | ClientCertificate | ClientAssertion


def client_auth_for(
    client_id: str,
    credential: object,
    *,
    argument: str = "client_credential",
    algorithm: AssertionAlgorithm = "PS256",
    send_certificate_chain: bool = False,
) -> ClientAuth:
    """The client-authentication strategy of ``credential`` (``None``: a public client)."""
    if credential is None:
        return NoClientAuth()
    if isinstance(credential, ClientSecret):
        return SecretAuth(client_id, credential.value, credential.in_header)
    if isinstance(credential, ClientCertificate):
        return CertificateAuth(client_id, credential, algorithm, send_certificate_chain)
    if isinstance(credential, ClientAssertion):
        return AssertionAuth(credential.provider)
    raise ConfigurationError(
        argument,
        f"must be a ClientSecret, ClientCertificate or ClientAssertion, not a "
        f"{type(credential).__name__}",
        hint="Wrap a secret string as ClientSecret(value); load a certificate with "
        "ClientCertificate.from_file(path, password=...).",
    )
