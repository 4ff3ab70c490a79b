"""Named profiles: the settings of a login, kept in the user's config directory.

``$XDG_CONFIG_HOME/partnercenter/config.json`` (``~/.config/...``; ``PARTNERCENTER_CONFIG_DIR``
overrides the directory) holds, per profile, only what is not secret: cloud, authority and API
root, CA file, tenant, client id, credential kind, certificate path, the signed-in account,
where its secrets are kept, and the host of the Redis it shares tokens through (``redis``: the
URL itself may hold a password, so it is kept with the secrets). Client secrets, certificate
passwords, Redis URLs and refresh tokens live in the encrypted store
(``$XDG_STATE_HOME/partnercenter/``, key ``PARTNERCENTER_STORE_KEY`` or the OS keyring) or in
the OS keyring itself; access tokens in the encrypted token cache (or in Redis).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal

from ..stores.locking import write_atomic
from .errors import EXIT_CONFIG, CliError

__all__ = [
    "Config",
    "Kind",
    "Profile",
    "config_path",
    "load_config",
    "redis_prefix",
    "refresh_token_key",
    "save_config",
    "secret_key",
]

#: ``secret`` and ``certificate``: app-only; ``user``: app + user (a stored refresh token).
Kind = Literal["secret", "certificate", "user"]
KINDS: Final = ("secret", "certificate", "user")
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_path() -> Path:
    """Where profiles are kept."""
    folder = os.environ.get("PARTNERCENTER_CONFIG_DIR")
    if folder:
        return Path(folder).expanduser() / "config.json"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "partnercenter" / "config.json"


def check_name(name: str) -> str:
    """A profile name: letters, digits, ``_.-``, up to 64 characters."""
    if not _NAME.match(name):
        raise CliError(
            "a profile name has 1 to 64 letters, digits, '_', '.' or '-' (starting with a "
            "letter or digit)",
            exit_code=2,
        )
    return name


@dataclass
class Profile:
    """One login's settings (nothing secret)."""

    name: str
    tenant: str
    client_id: str
    kind: Kind
    cloud: str = "global"
    authority_host: str | None = None
    api_root: str | None = None
    ca_cert: str | None = None
    endpoint_version: str = "v2"
    certificate_path: str | None = None
    store: str = "file"
    has_secret: bool = False
    has_certificate_password: bool = False
    account: str | None = None
    #: The Redis the profile shares tokens through, host only (the URL is in the store).
    redis: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"]
        return {k: v for k, v in data.items() if v not in (None, False)}

    @classmethod
    def from_json(cls, name: str, data: object) -> Profile:
        if not isinstance(data, dict):
            raise _corrupt(f"profile {name!r} is not an object")
        known = {f.name for f in fields(cls)} - {"name"}
        values = {k: v for k, v in data.items() if k in known}
        for required in ("tenant", "client_id", "kind"):
            if not isinstance(values.get(required), str):
                raise _corrupt(f"profile {name!r} has no {required}")
        if values["kind"] not in KINDS:
            raise _corrupt(f"profile {name!r} has an unknown kind")
        return cls(name=name, **values)


@dataclass
class Config:
    """Every profile and which one is current."""

    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    def get(self, name: str | None) -> Profile:
        """The profile called ``name`` (default: the current one), or a clear error."""
        chosen = name or self.current
        if chosen is None:
            raise CliError(
                "no profile: nothing is logged in",
                hint="Run `partnercenter login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                "AZURE_CLIENT_SECRET).",
                exit_code=EXIT_CONFIG,
            )
        profile = self.profiles.get(chosen)
        if profile is None:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise CliError(
                f"no profile named {chosen!r} (profiles: {known})",
                hint="See `partnercenter profile list`, or log in with "
                "`partnercenter login --name NAME`.",
                exit_code=EXIT_CONFIG,
            )
        return profile


def _corrupt(problem: str) -> CliError:
    return CliError(
        f"cannot read {config_path()}: {problem}",
        hint="Fix or delete the file, then log in again.",
        exit_code=EXIT_CONFIG,
    )


def load_config() -> Config:
    """The profiles (an empty config when the file does not exist)."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise _corrupt(exc.strerror or str(exc)) from None
    except ValueError:
        raise _corrupt("it is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles", {}), dict):
        raise _corrupt("it is not a partnercenter config file")
    profiles = {str(n): Profile.from_json(str(n), p) for n, p in data["profiles"].items()}
    current = data.get("current")
    return Config(current if isinstance(current, str) else None, profiles)


def save_config(config: Config) -> None:
    """Write the profiles atomically (0600: they name tenants and apps)."""
    path = config_path()
    data = {
        "current": config.current,
        "profiles": {name: p.to_json() for name, p in sorted(config.profiles.items())},
    }
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(data, indent=2) + "\n").encode())
    except OSError as exc:
        raise CliError(
            f"cannot write {path}: {exc.strerror or exc}", exit_code=EXIT_CONFIG
        ) from None


def secret_key(profile: str, what: str) -> str:
    """The store entry of a profile's secret (``client_secret``, ``certificate_password``)."""
    return f"partnercenter-cli|{profile}|{what}"


def redis_prefix(profile: str) -> str:
    """The Redis key prefix of an app + user profile's access tokens.

    A credential's cache key names its app, tenant and authority, not the signed-in user: two
    user profiles of one app would otherwise share (and serve each other) their tokens. App-only
    profiles keep the library's default prefix, so a CLI and library workers with the same app
    share one token."""
    return f"partnercenter:cli:{profile}:"


def refresh_token_key(profile: str) -> str:
    """The store entry of a profile's refresh token."""
    return f"partnercenter-cli|{profile}|refresh_token"
