"""Small X.509 helpers: self-signed and CA-signed certificates, thumbprints, PEM I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .jose import b64url

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def new_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def self_signed(
    key: PrivateKey, common_name: str, *, days: int = 3650, ca: bool = False
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
            critical=True,
        )
    return builder.sign(key, hashes.SHA256())


_KEY_USES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _key_usage(**granted: bool) -> x509.KeyUsage:
    """A KeyUsage extension granting the named uses and refusing every other one."""
    unknown = set(granted) - set(_KEY_USES)
    if unknown:  # a misspelt use would otherwise be refused silently
        raise ValueError(f"not a key usage: {sorted(unknown)[0]}")
    return x509.KeyUsage(**{use: granted.get(use, False) for use in _KEY_USES})


def server_certificate(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    key: PrivateKey,
    hosts: Sequence[str],
    *,
    days: int = 825,
) -> x509.Certificate:
    """A TLS server certificate for ``hosts`` (DNS names or IP addresses) signed by the CA."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            _key_usage(digital_signature=True, key_encipherment=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def thumbprint_sha1(cert: x509.Certificate) -> str:
    """Hex SHA-1 thumbprint, upper case, as the Azure portal shows it."""
    return hashlib.sha1(der(cert)).hexdigest().upper()


def thumbprint_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(der(cert)).hexdigest().upper()


def x5t(cert: x509.Certificate) -> str:
    """The JOSE ``x5t`` header: base64url SHA-1 of the DER certificate."""
    return b64url(hashlib.sha1(der(cert)).digest())


def x5t_s256(cert: x509.Certificate) -> str:
    """The JOSE ``x5t#S256`` header: base64url SHA-256 of the DER certificate."""
    return b64url(hashlib.sha256(der(cert)).digest())
