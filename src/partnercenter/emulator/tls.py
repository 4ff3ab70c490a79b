"""The emulator's own certificate authority and loopback server certificate.

MSAL refuses an authority that is not https, so the emulator serves TLS by default. It makes
a CA once (kept in the state directory, so a client's trust survives restarts) and a server
certificate for localhost, 127.0.0.1 and ::1 (plus the bind host), and hands out the CA file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .files import write_private
from .x509util import cert_pem, key_pem, self_signed, server_certificate

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def ensure_tls(directory: Path, host: str) -> TlsFiles:
    """Create (or reuse) the CA, and a server certificate for the loopback names and ``host``."""
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    hosts = list(dict.fromkeys([*LOOPBACK_NAMES, host]))
    ca_key_path = directory / "ca-key.pem"
    if files.ca_cert.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{ca_key_path}: not the emulator's CA key")
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = self_signed(ca_key, "partnercenter emulator local CA", ca=True)
        write_private(ca_key_path, key_pem(ca_key))
        write_private(files.ca_cert, cert_pem(ca_cert))
    if not _server_cert_usable(files, ca_cert, hosts):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = server_certificate(ca_key, ca_cert, key, hosts)
        write_private(files.server_key, key_pem(key))
        write_private(files.server_cert, cert_pem(cert))
    return files


def _server_cert_usable(files: TlsFiles, ca_cert: x509.Certificate, hosts: list[str]) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    if cert.issuer != ca_cert.subject:
        return False
    if cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=7):
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    present = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    present.update(san.get_values_for_type(x509.DNSName))
    return all(host in present for host in hosts)
