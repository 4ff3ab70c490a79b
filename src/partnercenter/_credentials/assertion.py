"""Certificate client assertions (RFC 7523 ``private_key_jwt``) as Azure AD expects them.

Loading a certificate (PEM or PKCS#12, from a file or bytes, or key + certificate objects) and
signing an assertion are separate steps: the certificate is loaded once, an assertion is signed
for every token request because Azure AD (and the emulator) refuse a replayed ``jti``.

Header: ``PS256`` with ``x5t#S256`` (base64url SHA-256 of the certificate's DER) by default,
``RS256`` with ``x5t`` (base64url SHA-1) on request, optional ``x5c`` (the chain) for
subject-name/issuer authentication. Claims: ``aud`` = the token endpoint URL, ``iss`` = ``sub``
= client id, a fresh ``jti``, ``iat``/``nbf`` = now and ``exp`` a few minutes ahead.
Signed with ``cryptography`` directly, so the core install needs no JWT library.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import ConfigurationError
from ..redaction import describe, shown

__all__ = [
    "ASSERTION_LIFETIME",
    "AssertionAlgorithm",
    "ClientCertificate",
    "build_client_assertion",
    "load_certificate",
]

#: ``"PS256"`` (RSASSA-PSS, header ``x5t#S256``; the default) or ``"RS256"`` (header ``x5t``).
AssertionAlgorithm = Literal["PS256", "RS256"]

#: Seconds an assertion stays valid; it is used once, at once, so a short life suffices.
ASSERTION_LIFETIME: Final = 600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True, repr=False)
class ClientCertificate:
    """A certificate and its RSA private key, ready to sign client assertions.

    ``chain`` is the leaf first, then any intermediates found beside it.
    """

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, password: str | bytes | None = None
    ) -> ClientCertificate:
        """Load a PEM file (private key and certificate, and any intermediates) or a PKCS#12
        file (``.pfx``/``.p12``); ``password`` decrypts the key or the PKCS#12 file. A wrong
        path, password or key raises :class:`~partnercenter.errors.ConfigurationError` naming
        the argument."""
        return _from_bytes("path", _read("path", path), password)

    @classmethod
    def from_pem(
        cls, data: str | bytes, *, password: str | bytes | None = None
    ) -> ClientCertificate:
        """Load PEM text holding the private key and the certificate (and any
        intermediates), e.g. from a secret manager; ``password`` decrypts the key."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray) or b"-----BEGIN" not in data:
            raise ConfigurationError("data", "must be PEM text (-----BEGIN ...)")
        return _load_pem("data", bytes(data), _password_bytes(password))

    @classmethod
    def from_key(
        cls, private_key: rsa.RSAPrivateKey, certificate: x509.Certificate
    ) -> ClientCertificate:
        """Pair ``cryptography`` objects (checked: the key must belong to the certificate)."""
        return _checked("private_key", private_key, [certificate])

    @property
    def thumbprint_sha1(self) -> str:
        """The SHA-1 thumbprint in hex, as the Azure portal shows it."""
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 (x5t)

    @property
    def thumbprint_sha256(self) -> str:
        """The SHA-256 thumbprint in hex."""
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()

    def __repr__(self) -> str:
        subject = self.certificate.subject.rfc4514_string()
        return f"ClientCertificate(subject={subject!r}, thumbprint_sha1={self.thumbprint_sha1!r})"


def _password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    if isinstance(password, str):
        return password.encode("utf-8")
    raise ConfigurationError("password", "must be a str or bytes")


def load_certificate(
    *,
    certificate_path: str | os.PathLike[str] | None = None,
    certificate_data: bytes | None = None,
    password: str | bytes | None = None,
    private_key: rsa.RSAPrivateKey | None = None,
    certificate: x509.Certificate | None = None,
) -> ClientCertificate:
    """Load a client certificate from exactly one source.

    - ``certificate_path`` or ``certificate_data``: PEM (private key and certificate, and any
      intermediates, in one file) or PKCS#12 (``.pfx``/``.p12``); ``password`` decrypts the key
      or the PKCS#12 file.
    - ``private_key`` and ``certificate``: ``cryptography`` objects.

    Raises :class:`ConfigurationError` naming the argument when the source is missing,
    unreadable, not RSA, or the key does not belong to the certificate.
    """
    sources = [
        name
        for name, value in (
            ("certificate_path", certificate_path),
            ("certificate_data", certificate_data),
            ("private_key", private_key),
        )
        if value is not None
    ]
    if len(sources) != 1:
        raise ConfigurationError(
            "certificate_path",
            "pass exactly one of certificate_path, certificate_data or private_key + certificate"
            + (f" (got {', '.join(sources)})" if sources else ""),
        )
    if private_key is not None:
        if certificate is None:
            raise ConfigurationError("certificate", "is required with private_key")
        return _checked("private_key", private_key, [certificate])
    if certificate is not None:
        raise ConfigurationError("certificate", "goes with private_key, not with a file or data")

    if certificate_path is not None:
        return _from_bytes(
            "certificate_path", _read("certificate_path", certificate_path), password
        )
    if not isinstance(certificate_data, bytes | bytearray):
        raise ConfigurationError("certificate_data", "must be bytes (PEM or PKCS#12)")
    return _from_bytes("certificate_data", bytes(certificate_data), password)


def _read(argument: str, path: object) -> bytes:
    if not isinstance(path, str | os.PathLike):
        raise ConfigurationError(argument, "must be a path (str or os.PathLike)")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ConfigurationError(
            argument, f"cannot read {shown(os.fspath(path))}: {exc.strerror}"
        ) from None


def _from_bytes(argument: str, data: bytes, password: str | bytes | None) -> ClientCertificate:
    secret = _password_bytes(password)
    if b"-----BEGIN" in data:
        return _load_pem(argument, data, secret)
    return _load_pkcs12(argument, data, secret)


def _load_pem(argument: str, data: bytes, password: bytes | None) -> ClientCertificate:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigurationError(argument, "holds no PEM certificate") from None
    if b"PRIVATE KEY-----" not in data:
        raise ConfigurationError(
            argument, "holds no private key; put the key and the certificate in one PEM file"
        )
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        # cryptography: password given for an unencrypted key, or missing for an encrypted one.
        problem = (
            "is needed: the key is encrypted"
            if password is None
            else "was given but the key is not encrypted"
        )
        raise ConfigurationError("password", problem) from None
    except ValueError:
        raise ConfigurationError(
            "password" if password is not None else argument,
            "cannot decrypt or parse the private key (wrong password, or not a PEM key)",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(argument, "Azure AD client assertions need an RSA key")
    return _checked(argument, key, certificates)


def _load_pkcs12(argument: str, data: bytes, password: bytes | None) -> ClientCertificate:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise ConfigurationError(
            "password" if password is not None else argument,
            "cannot open the PKCS#12 data (wrong password, or neither PEM nor PKCS#12)",
        ) from None
    if key is None or cert is None:
        raise ConfigurationError(argument, "the PKCS#12 data needs both a private key and a cert")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(argument, "Azure AD client assertions need an RSA key")
    return _checked(argument, key, [cert, *extra])


def _checked(argument: str, key: object, certificates: list[x509.Certificate]) -> ClientCertificate:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(argument, "Azure AD client assertions need an RSA private key")
    for cert in certificates:
        if not isinstance(cert, x509.Certificate):
            raise ConfigurationError("certificate", "must be a cryptography x509.Certificate")
    public = key.public_key().public_numbers()
    leaf = next(
        (
            c
            for c in certificates
            if isinstance(c.public_key(), rsa.RSAPublicKey)
            and c.public_key().public_numbers() == public  # type: ignore[union-attr]
        ),
        None,
    )
    if leaf is None:
        raise ConfigurationError(argument, "the private key does not belong to the certificate")
    chain = (leaf, *(c for c in certificates if c is not leaf))
    return ClientCertificate(private_key=key, certificate=leaf, chain=chain)


def build_client_assertion(
    certificate: ClientCertificate,
    *,
    client_id: str,
    audience: str,
    now: float,
    jti: str,
    algorithm: AssertionAlgorithm = "PS256",
    send_x5c: bool = False,
    lifetime: int = ASSERTION_LIFETIME,
) -> str:
    """Sign a client assertion for one token request to ``audience`` (the token endpoint URL).

    ``jti`` must be new for every request; ``now`` is the current Unix time.
    """
    der = certificate.certificate.public_bytes(serialization.Encoding.DER)
    header: dict[str, object] = {"alg": algorithm, "typ": "JWT"}
    if algorithm == "PS256":
        header["x5t#S256"] = _b64url(_digest(hashes.SHA256(), der))
    elif algorithm == "RS256":
        header["x5t"] = _b64url(_digest(hashes.SHA1(), der))  # noqa: S303 (the x5t header is SHA-1)
    else:
        raise ConfigurationError(
            "algorithm", f"must be 'PS256' or 'RS256', not {describe(algorithm)}"
        )
    if send_x5c:
        header["x5c"] = [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for c in certificate.chain
        ]
    issued = int(now)
    claims = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": jti,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
    }
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    ).encode("ascii")
    if algorithm == "PS256":
        # RFC 7518 §3.5: PS256 uses MGF1 with SHA-256 and a salt as long as the hash.
        pad: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
        )
    else:
        pad = padding.PKCS1v15()
    signature = certificate.private_key.sign(signing_input, pad, hashes.SHA256())
    return signing_input.decode("ascii") + "." + _b64url(signature)


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()
