"""Access tokens and what a caller can read from them without verifying the signature.

:class:`AccessToken` has the attributes of azure-core's ``AccessToken`` and ``AccessTokenInfo``
(``token``, ``expires_on``, ``refresh_on``, ``token_type``), so this library's credentials can be
handed to other Azure SDK clients, plus the claims a Partner Center caller needs: app-only or
app + user, MFA, tenant, client, audience, scopes. Claim names:
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference.

The claims are read, **not verified**: the API that receives the token verifies it. Use them to
make decisions about your own token (which kind it is, whether it carries MFA), never to trust a
token someone handed you.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

from .errors import ConfigurationError
from .redaction import describe

__all__ = ["AccessToken", "TokenKind", "read_jwt_claims"]

#: ``"app"`` for app-only tokens, ``"user"`` for app + user (delegated), ``"unknown"`` when the
#: token is not a readable JWT.
TokenKind = Literal["app", "user", "unknown"]

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def read_jwt_claims(token: str) -> Mapping[str, Any]:
    """The payload of a JWT as a read-only mapping, **without verifying** it; empty when
    ``token`` is not a JWT (an opaque token, a JWE, garbage)."""
    parts = token.split(".")
    if len(parts) != 3:
        return _EMPTY
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError):
        return _EMPTY
    if not isinstance(claims, dict):
        return _EMPTY
    return MappingProxyType(claims)


def _seconds(argument: str, value: object) -> int:
    # int() would quote a rejected string in its message, and that string may be a secret.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    raise ConfigurationError(argument, f"must be a Unix time in seconds, not {describe(value)}")


class AccessToken:
    """An OAuth 2.0 access token and when it expires.

    ``token`` is the bearer value (never shown by ``repr``); ``expires_on`` and ``refresh_on`` are
    Unix times in seconds. ``refresh_on`` is when a refresh should be tried (Azure AD's
    ``refresh_in``, or half the lifetime); credentials also refresh once under five minutes
    remain. ``claims`` and the properties derived from it are read from the JWT payload on first
    use, unverified.
    """

    __slots__ = ("token", "expires_on", "refresh_on", "token_type", "_claims")

    token: str
    expires_on: int
    refresh_on: int | None
    token_type: str

    def __init__(
        self,
        token: str,
        expires_on: int,
        *,
        refresh_on: int | None = None,
        token_type: str = "Bearer",
    ) -> None:
        self.token = token
        self.expires_on = _seconds("expires_on", expires_on)
        self.refresh_on = None if refresh_on is None else _seconds("refresh_on", refresh_on)
        self.token_type = token_type
        self._claims: Mapping[str, Any] | None = None

    @property
    def claims(self) -> Mapping[str, Any]:
        """The JWT payload, unverified (empty for an opaque token)."""
        claims = self._claims
        if claims is None:
            claims = self._claims = read_jwt_claims(self.token)
        return claims

    def _str_claim(self, *names: str) -> str | None:
        claims = self.claims
        for name in names:
            value = claims.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def kind(self) -> TokenKind:
        """``"app"`` (app-only), ``"user"`` (app + user) or ``"unknown"`` (not a readable JWT).

        Decided as resource servers decide it: a token with delegated scopes (``scp``) acts for
        a user; one without (application ``roles``, or nothing) is app-only. ``idtyp`` is an
        optional claim Azure AD adds only when the resource asks for it, so it is not read.
        """
        claims = self.claims
        if not claims:
            return "unknown"
        return "user" if isinstance(claims.get("scp"), str) else "app"

    @property
    def is_app_only(self) -> bool:
        """True for an app-only token (client credentials)."""
        return self.kind == "app"

    @property
    def is_app_and_user(self) -> bool:
        """True for an app + user (delegated) token, the kind many Partner Center calls need."""
        return self.kind == "user"

    @property
    def amr(self) -> tuple[str, ...]:
        """How the user signed in (``pwd``, ``mfa``, ``rsa``...); empty for app-only tokens."""
        value = self.claims.get("amr")
        if isinstance(value, list):
            return tuple(str(v) for v in value)
        return ()

    @property
    def has_mfa(self) -> bool:
        """True when ``amr`` contains ``mfa``: what Partner Center demands of app + user calls."""
        return "mfa" in self.amr

    @property
    def tenant_id(self) -> str | None:
        """The tenant that issued the token (``tid``)."""
        return self._str_claim("tid")

    @property
    def client_id(self) -> str | None:
        """The application the token was issued to (``appid`` in v1 tokens, ``azp`` in v2)."""
        return self._str_claim("appid", "azp")

    @property
    def audience(self) -> str | None:
        """The API the token is for (``aud``: a resource URI in v1 tokens, an app id in v2)."""
        return self._str_claim("aud")

    @property
    def scopes(self) -> tuple[str, ...]:
        """Delegated scopes (``scp``, space-separated on the wire); empty for app-only tokens."""
        value = self.claims.get("scp")
        return tuple(value.split()) if isinstance(value, str) else ()

    @property
    def roles(self) -> tuple[str, ...]:
        """Application permissions (``roles``) of an app-only token."""
        value = self.claims.get("roles")
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    @property
    def user_principal_name(self) -> str | None:
        """The signed-in user's name (``upn``, ``unique_name`` or ``preferred_username``)."""
        return self._str_claim("upn", "unique_name", "preferred_username")

    @property
    def object_id(self) -> str | None:
        """The object id of the user or service principal (``oid``)."""
        return self._str_claim("oid")

    def expires_in(self, now: float) -> float:
        """Seconds left at ``now`` (negative once expired)."""
        return self.expires_on - now

    def __repr__(self) -> str:
        # The token itself is a bearer secret: never part of the repr.
        fields = [f"kind={self.kind!r}", f"expires_on={self.expires_on}"]
        if self.refresh_on is not None:
            fields.append(f"refresh_on={self.refresh_on}")
        for name in ("tenant_id", "client_id", "audience"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        if self.scopes:
            fields.append(f"scopes={self.scopes!r}")
        if self.is_app_and_user:
            fields.append(f"has_mfa={self.has_mfa}")
        return f"AccessToken({', '.join(fields)})"

    __str__ = __repr__
