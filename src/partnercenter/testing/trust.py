"""Making HTTP clients trust the emulator's TLS certificate, whichever library they use.

Each library reads trust from its own place: httpx from ``verify=`` (an ``ssl.SSLContext``), MSAL
from ``verify=`` (a CA path, handed to requests), azure-identity from ``connection_verify=``,
and requests from ``REQUESTS_CA_BUNDLE`` — which, when set, wins over ``verify=`` in requests, so
a bundle holding only the emulator's CA would break every other HTTPS call. The bundle here is
the roots the machine already trusts plus the emulator's CA, so setting the variables is safe
for code that also talks to other hosts.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from ..emulator import Emulator

#: Variables that point Python's HTTP stacks at a CA bundle: requests, OpenSSL (and so
#: ``ssl.create_default_context``, aiohttp and httpx with ``trust_env``), curl.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class Trust:
    """Where the emulator's CA is, in the forms clients take.

    - ``ca_cert``: the emulator's CA (PEM path): MSAL's ``verify=``, azure-identity's
      ``connection_verify=``, this library's ``verify=``.
    - ``bundle``: the machine's roots plus that CA (PEM path), what :data:`CA_VARIABLES` point
      at.
    - ``verify``: an ``ssl.SSLContext`` trusting the bundle, for httpx's ``verify=``.
    - ``env``: the variables as set.
    """

    ca_cert: str
    bundle: str
    verify: ssl.SSLContext = field(repr=False)
    env: dict[str, str]


def ca_bundle(emulator: Emulator) -> Path:
    """Write (once) and return ``trust/bundle.pem`` in the emulator's state directory."""
    if emulator.ca_cert is None:
        raise ValueError("emulator: started without TLS, so there is no CA to trust")
    folder = emulator.state_dir / "trust"
    bundle = folder / "bundle.pem"
    ca = Path(emulator.ca_cert).read_bytes()
    roots = _roots(bundle).read_bytes()
    content = roots.rstrip(b"\n") + b"\n" + ca
    if not bundle.exists() or bundle.read_bytes() != content:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".bundle-{os.getpid()}.pem"
        temporary.write_bytes(content)
        temporary.replace(bundle)  # atomic: a concurrent reader sees the old or the new file
    return bundle


def _roots(exclude: Path) -> Path:
    """The roots this machine trusts now: a bundle the environment names (a company proxy's
    CA may be in it), else OpenSSL's default file, else certifi's (httpx's own default)."""
    for name in CA_VARIABLES:
        value = os.environ.get(name)
        # Not our own bundle, set by the fixture earlier in this process.
        if value and Path(value).is_file() and Path(value) != exclude:
            return Path(value)
    default = ssl.get_default_verify_paths().cafile
    if default and Path(default).is_file():
        return Path(default)
    import certifi  # a dependency of httpx

    return Path(certifi.where())


def trust(emulator: Emulator) -> Trust:
    """The :class:`Trust` of ``emulator`` (the variables are not set here; see the fixture)."""
    bundle = str(ca_bundle(emulator))
    assert emulator.ca_cert is not None
    return Trust(
        ca_cert=emulator.ca_cert,
        bundle=bundle,
        verify=ssl.create_default_context(cafile=bundle),
        env={name: bundle for name in CA_VARIABLES},
    )
