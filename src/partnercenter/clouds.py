"""Cloud records: where to sign in and which API to call, per Microsoft cloud.

Sources: https://learn.microsoft.com/partner-center/developer/partner-center-authentication
(API roots, authorities) and
https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud (authority
hosts). Graph endpoints are Microsoft's national
cloud endpoints for Microsoft Graph and the retired Azure AD Graph.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import ClassVar, Final, Literal
from urllib.parse import urlsplit

from ._contract import wire
from .errors import ConfigurationError, DeprecatedCloudWarning, warn_caller
from .redaction import describe, shown

__all__ = ["Cloud", "EndpointVersion"]

#: Which token endpoint to call: ``"v2"`` (``scope=``, the default) or ``"v1"`` (``resource=``).
EndpointVersion = Literal["v1", "v2"]

_GERMANY_CLOSED: Final = (
    "Microsoft Cloud Germany closed on 29 October 2021; its endpoints no longer issue tokens. "
    "Customers moved to the global cloud: use Cloud.GLOBAL."
)


@dataclass(frozen=True, slots=True)
class Cloud:
    """One Microsoft cloud: its Azure AD authority, Partner Center API root and audiences.

    ``partner_center_resource`` is the audience of Partner Center tokens (v1 ``resource=``; v2
    scopes hang off it); it differs from ``api_root`` only for custom clouds, which send
    requests elsewhere (an emulator) but keep the real audience. Use the constants
    :attr:`GLOBAL`, :attr:`CHINA`, :attr:`US_GOVERNMENT`, :attr:`GERMANY` (deprecated) or
    :meth:`custom`.
    """

    name: str
    authority_host: str
    api_root: str
    partner_center_resource: str
    graph_endpoint: str
    aad_graph_endpoint: str
    deprecated: str | None = None

    GLOBAL: ClassVar[Cloud]
    CHINA: ClassVar[Cloud]
    US_GOVERNMENT: ClassVar[Cloud]
    GERMANY: ClassVar[Cloud]

    @property
    def partner_center_scope(self) -> str:
        """The app-only v2 scope, ``{resource}/.default``: what ``get_token()`` asks for."""
        return self.partner_center_resource + wire.DEFAULT_SCOPE_SUFFIX

    @property
    def user_impersonation_scope(self) -> str:
        """The delegated (app + user) v2 scope, ``{resource}/user_impersonation``."""
        return f"{self.partner_center_resource}/{wire.USER_IMPERSONATION}"

    def token_url(self, tenant: str, version: EndpointVersion = "v2") -> str:
        """The token endpoint of ``tenant`` (a GUID or domain) for an endpoint version."""
        path = wire.TOKEN_PATH_V2 if version == "v2" else wire.TOKEN_PATH_V1
        return f"{self.authority_host}/{tenant}/{path}"

    def warn_if_deprecated(self) -> None:
        """Emit a :class:`DeprecatedCloudWarning` when this cloud is deprecated (Germany)."""
        if self.deprecated:
            warn_caller(f"cloud {self.name!r}: {self.deprecated}", DeprecatedCloudWarning)

    @classmethod
    def custom(
        cls,
        *,
        authority_host: str,
        api_root: str,
        name: str = "custom",
        like: Cloud | None = None,
    ) -> Cloud:
        """A cloud that signs in at ``authority_host`` and calls ``api_root`` (e.g. an emulator's
        ``base_url`` for both) while keeping the real resource URIs of ``like`` (default
        :attr:`GLOBAL`) as audiences, so tokens look exactly like production ones.

        Both URLs must be ``https`` (plain ``http`` is accepted for loopback addresses only) and
        carry no query or fragment; a trailing slash is dropped.
        """
        base = like if like is not None else cls.GLOBAL
        return dataclasses.replace(
            base,
            name=name,
            authority_host=_origin("authority_host", authority_host),
            api_root=_origin("api_root", api_root),
            deprecated=base.deprecated,
        )

    @classmethod
    def by_name(cls, name: str) -> Cloud:
        """The well-known cloud called ``name`` (``global``, ``china``, ``us_government``,
        ``germany``; case-insensitive, ``-`` or ``_``)."""
        key = name.strip().lower().replace("-", "_")
        clouds = {c.name: c for c in (cls.GLOBAL, cls.CHINA, cls.US_GOVERNMENT, cls.GERMANY)}
        clouds["usgov"] = clouds["us_government"]
        try:
            return clouds[key]
        except KeyError:
            known = ", ".join(sorted(c.name for c in set(clouds.values())))
            raise ConfigurationError(
                "cloud", f"unknown cloud {shown(name)}; known: {known}"
            ) from None

    def __repr__(self) -> str:
        if self.name in _WELL_KNOWN and getattr(Cloud, self.name.upper(), None) == self:
            return f"Cloud.{self.name.upper()}"
        return (
            f"Cloud.custom(authority_host={shown(self.authority_host)}, "
            f"api_root={shown(self.api_root)}, name={shown(self.name)})"
        )


_WELL_KNOWN: Final = frozenset({"global", "china", "us_government", "germany"})


def _origin(argument: str, url: str) -> str:
    if not isinstance(url, str) or not url:
        raise ConfigurationError(argument, "must be a non-empty URL string such as https://host")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(argument, f"{describe(url)} is not an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise ConfigurationError(argument, f"{shown(url)} must not have a query or a fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            argument,
            f"{shown(url)} uses plain http; only loopback addresses may (tokens travel in clear)",
        )
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


Cloud.GLOBAL = Cloud(
    name="global",
    authority_host="https://login.microsoftonline.com",
    api_root=wire.PARTNER_CENTER_RESOURCE,
    partner_center_resource=wire.PARTNER_CENTER_RESOURCE,
    graph_endpoint=wire.MS_GRAPH_RESOURCE,
    aad_graph_endpoint=wire.AAD_GRAPH_RESOURCE,
)
Cloud.CHINA = Cloud(
    name="china",
    authority_host="https://login.chinacloudapi.cn",
    api_root=wire.PARTNER_CENTER_RESOURCE_CHINA,
    partner_center_resource=wire.PARTNER_CENTER_RESOURCE_CHINA,
    graph_endpoint="https://microsoftgraph.chinacloudapi.cn",
    aad_graph_endpoint="https://graph.chinacloudapi.cn",
)
Cloud.US_GOVERNMENT = Cloud(
    name="us_government",
    authority_host="https://login.microsoftonline.us",
    api_root=wire.PARTNER_CENTER_RESOURCE,
    partner_center_resource=wire.PARTNER_CENTER_RESOURCE,
    graph_endpoint="https://graph.microsoft.us",
    aad_graph_endpoint=wire.AAD_GRAPH_RESOURCE,
)
Cloud.GERMANY = Cloud(
    name="germany",
    authority_host="https://login.microsoftonline.de",
    api_root=wire.PARTNER_CENTER_RESOURCE,
    partner_center_resource=wire.PARTNER_CENTER_RESOURCE,
    graph_endpoint="https://graph.microsoft.de",
    aad_graph_endpoint="https://graph.cloudapi.de",
    deprecated=_GERMANY_CLOSED,
)
