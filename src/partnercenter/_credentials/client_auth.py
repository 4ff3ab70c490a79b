"""How a client proves who it is to the token endpoint: secret, certificate, or nothing.

Each strategy is pure: given the token endpoint URL and the time, it returns the form fields and
headers to add, and the secret values among them (so they can be kept out of logs and errors).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .._contract import wire
from ..errors import ConfigurationError
from ..redaction import describe
from .assertion import AssertionAlgorithm, ClientCertificate, build_client_assertion
from .protocol import basic_auth_header

__all__ = [
    "AssertionAuth",
    "CertificateAuth",
    "ClientAuth",
    "ClientAuthParts",
    "NoClientAuth",
    "SecretAuth",
    "assertion_parts",
]


@dataclass(frozen=True, slots=True, repr=False)
class ClientAuthParts:
    """What a client-authentication strategy adds to one token request."""

    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Every value here may be a secret (client secret, assertion, Basic header): names only.
        return f"ClientAuthParts(form={sorted(self.form)!r}, headers={sorted(self.headers)!r})"


def assertion_parts(assertion: str) -> ClientAuthParts:
    """A signed client assertion in the form (RFC 7523 ``private_key_jwt``), kept secret."""
    return ClientAuthParts(
        form={
            "client_assertion_type": wire.CLIENT_ASSERTION_TYPE_JWT,
            "client_assertion": assertion,
        },
        secrets=(assertion,),
    )


class ClientAuth(Protocol):
    """A client-authentication strategy."""

    def parts(self, token_url: str, now: float) -> ClientAuthParts:
        """The form fields and headers that authenticate the client to ``token_url``."""
        ...


@dataclass(frozen=True, slots=True, repr=False)
class SecretAuth:
    """``client_secret`` in the form body (``client_secret_post``), or HTTP Basic
    (``client_secret_basic``) when ``basic``."""

    client_id: str
    client_secret: str
    basic: bool = False

    def parts(self, token_url: str, now: float) -> ClientAuthParts:
        if self.basic:
            header = basic_auth_header(self.client_id, self.client_secret)
            return ClientAuthParts(
                headers={"Authorization": header}, secrets=(self.client_secret, header)
            )
        return ClientAuthParts(
            form={"client_secret": self.client_secret}, secrets=(self.client_secret,)
        )

    def __repr__(self) -> str:
        return f"SecretAuth(basic={self.basic})"


@dataclass(frozen=True, slots=True, repr=False)
class CertificateAuth:
    """A client assertion signed with a certificate's key, new (fresh ``jti``) for every
    request: Azure AD refuses a replayed assertion."""

    client_id: str
    certificate: ClientCertificate
    algorithm: AssertionAlgorithm = "PS256"
    send_x5c: bool = False
    new_jti: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    def parts(self, token_url: str, now: float) -> ClientAuthParts:
        assertion = build_client_assertion(
            self.certificate,
            client_id=self.client_id,
            audience=token_url,
            now=now,
            jti=self.new_jti(),
            algorithm=self.algorithm,
            send_x5c=self.send_x5c,
        )
        return assertion_parts(assertion)

    def __repr__(self) -> str:
        return f"CertificateAuth(algorithm={self.algorithm!r}, certificate={self.certificate!r})"


@dataclass(frozen=True, slots=True, repr=False)
class AssertionAuth:
    """A client assertion from the caller's callable (a federated token, an HSM signature),
    asked for anew for every request."""

    provider: Callable[[], str]

    def parts(self, token_url: str, now: float) -> ClientAuthParts:
        assertion = self.provider()
        if not isinstance(assertion, str) or assertion.count(".") != 2:
            # Never shown: it may be a secret, or part of one.
            raise ConfigurationError(
                "client_credential",
                "the ClientAssertion callable must return a signed JWT (a str: three "
                f"dot-separated parts), not {describe(assertion)}",
            )
        return assertion_parts(assertion)

    def __repr__(self) -> str:
        return "AssertionAuth()"


@dataclass(frozen=True, slots=True)
class NoClientAuth:
    """A public client (device code, browser sign-in apps): no credential is sent, since Azure
    AD refuses one from a public client (AADSTS700025)."""

    def parts(self, token_url: str, now: float) -> ClientAuthParts:
        return ClientAuthParts()
