"""``partnercenter token``, ``whoami`` and ``decode``: tokens and what they say.

``token`` with a cached token is the fast path: settings, the encrypted cache, print. Only a
miss builds a credential (and imports httpx).
"""

from __future__ import annotations

import datetime
import sys
import time
from typing import Any, Final

import click

from .._contract import wire
from ..tokens import AccessToken
from .errors import EXIT_USAGE, CliError
from .fast import resource_scopes, token_result
from .main import common_options
from .output import emit
from .settings import Resolved, cached_token, resolve

__all__ = ["decode", "describe_token", "token", "whoami"]

_GRAPH_AUDIENCES: Final = frozenset(
    {wire.AAD_GRAPH_RESOURCE, wire.AAD_GRAPH_RESOURCE + "/", wire.AAD_GRAPH_APP_ID}
)


def _local(timestamp: float) -> str:
    # az prints expiresOn in local time without a zone; the zone is added here for clarity.
    return datetime.datetime.fromtimestamp(timestamp).astimezone().isoformat(sep=" ")


def _scopes(resolved: Resolved, scope: tuple[str, ...], resource: str | None) -> tuple[str, ...]:
    if scope and resource:
        raise CliError("give --scope or --resource, not both", exit_code=EXIT_USAGE)
    if resource:
        return resource_scopes(resource)
    return scope or (resolved.default_scope(),)


def get_access_token(
    resolved: Resolved, scopes: tuple[str, ...], tenant: str | None
) -> AccessToken:
    """From the encrypted cache when fresh, else from Azure AD (then cached)."""
    token = cached_token(resolved, scopes, tenant)
    if token is not None:
        return token
    from .session import session

    with session(resolved) as (credential, _client):
        got: AccessToken = credential.get_token(*scopes, tenant_id=tenant)
        return got


@click.command()
@click.option("--scope", "scope", multiple=True, help="Scope to ask for (repeatable).")
@click.option("--resource", help="Resource whose default scope to ask for (az's --resource).")
@click.option("--tenant", help="Another tenant to ask (a customer tenant: GUID or domain).")
@common_options
def token(scope: tuple[str, ...], resource: str | None, tenant: str | None) -> None:
    """An access token for the profile, shaped like `az account get-access-token`.

    Default scope: Partner Center (.default for app-only profiles, user_impersonation for
    app + user ones). Tokens are cached encrypted on disk; a cached one is printed at once.
    """
    resolved = resolve()
    scopes = _scopes(resolved, scope, resource)
    emit(token_result(get_access_token(resolved, scopes, tenant)))


def warnings_for(token: AccessToken, now: float) -> list[str]:
    """The traps this token would fall into at Partner Center."""
    found = []
    audience = token.audience or ""
    if audience in _GRAPH_AUDIENCES:
        found.append(
            "900420: the audience is Azure AD Graph (graph.windows.net); Partner Center "
            "refuses it since 2025. Ask for https://api.partnercenter.microsoft.com "
            "(scope .../.default or user_impersonation)."
        )
    elif audience and "partnercenter" not in audience and "partner.microsoftonline" not in audience:
        found.append(f"the audience is {audience}, not Partner Center: its API will refuse it.")
    if token.kind == "user" and not token.has_mfa:
        found.append(
            "900421: an app + user token without MFA (amr lacks 'mfa'); Partner Center refuses "
            "it. Sign in again with multi-factor authentication (partnercenter login "
            "--device-code), and require MFA for the user (Conditional Access or security "
            "defaults)."
        )
    if token.expires_on <= now:
        found.append("the token has expired.")
    return found


def describe_token(token: AccessToken, now: float | None = None) -> dict[str, Any]:
    """What a token says (unverified): kind, MFA, tenant, audience, scopes, roles, expiry."""
    now = time.time() if now is None else now
    claims = token.claims
    info: dict[str, Any] = {
        "kind": {"app": "app-only", "user": "app + user"}.get(token.kind, "not a JWT"),
        "mfa": token.has_mfa,
        "tenant": token.tenant_id,
        "audience": token.audience,
        "client": token.client_id,
        "user": token.user_principal_name,
        "scopes": " ".join(token.scopes),
        "roles": " ".join(token.roles),
        "amr": " ".join(token.amr),
        "issuer": claims.get("iss"),
        "expiresOn": _local(token.expires_on) if token.expires_on else None,
        "expiresIn": f"{int(token.expires_on - now)} s",
        "warnings": warnings_for(token, now) if claims else ["not a JWT: nothing to read"],
    }
    return info


@click.command()
@click.option("--tenant", help="Another tenant to ask (a customer tenant).")
@common_options
def whoami(tenant: str | None) -> None:
    """Who the profile's token says you are: app-only or app + user, MFA, tenant, roles."""
    resolved = resolve()
    scopes = (resolved.default_scope(),)
    access = get_access_token(resolved, scopes, tenant)
    info = {
        "profile": resolved.name,
        "cloud": resolved.cloud.name,
        "credential": resolved.kind,
        **describe_token(access),
    }
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    emit(info)


@click.command()
@click.argument("token_text", metavar="[TOKEN]", required=False)
@common_options
def decode(token_text: str | None) -> None:
    """Read an access token's claims (unverified) and warn about the 900420/900421 traps.

    TOKEN is read from stdin when omitted or '-' (better: a token on the command line shows in
    the process list); with neither, the profile's current token is read.
    """
    if token_text in (None, "-") and (token_text == "-" or not sys.stdin.isatty()):
        token_text = sys.stdin.read().strip()
    if token_text:
        text = token_text.split()[-1]  # accept "Bearer eyJ..."
        access = AccessToken(text, 0)
        exp = access.claims.get("exp")
        if isinstance(exp, int | float):
            access = AccessToken(text, int(exp))
    else:
        resolved = resolve()
        access = get_access_token(resolved, (resolved.default_scope(),), None)
    info = describe_token(access)
    if not access.claims:
        raise CliError(
            "this is not a JWT access token (three base64url parts)",
            hint="Pass the token itself (az account get-access-token --query accessToken -o tsv "
            "| partnercenter decode).",
            exit_code=EXIT_USAGE,
        )
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    emit(info)
