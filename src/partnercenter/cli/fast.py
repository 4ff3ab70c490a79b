"""``partnercenter token`` with a cached token, without importing click.

The console script tries this first for ``partnercenter token [simple options]``: it parses
the few options ``token`` takes, resolves the profile, reads the encrypted cache and prints.
Anything it does not handle exactly (another option, a cache miss, an error of any kind)
returns ``None`` and the full click command runs instead, which also reports errors. It only
reads: falling back never repeats a side effect. A profile that shares tokens through Redis
(``--redis-url``, ``PARTNERCENTER_REDIS_URL``, or one saved at login) always falls back: the
disk cache is not its cache, and reading Redis here would import redis-py.
"""

from __future__ import annotations

import datetime
import os
import sys
from typing import Any

from ..tokens import AccessToken

__all__ = ["az_local", "cached_token_output", "resource_scopes", "token_result"]

_VALUE_OPTIONS = {
    "-o": "output",
    "--output": "output",
    "--query": "query",
    "-p": "profile",
    "--profile": "profile",
    "--scope": "scope",
    "--resource": "resource",
    "--tenant": "tenant",
}


def az_local(timestamp: float) -> str:
    """``az account get-access-token``'s ``expiresOn``: local time, microseconds, no zone."""
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S.%f")


def token_result(token: AccessToken) -> dict[str, Any]:
    """``az account get-access-token``'s fields, plus ``kind`` and ``mfa``."""
    return {
        "accessToken": token.token,
        "expiresOn": az_local(token.expires_on),
        "expires_on": token.expires_on,
        "tokenType": token.token_type,
        "tenant": token.tenant_id,
        "kind": token.kind,
        "mfa": token.has_mfa,
    }


def resource_scopes(resource: str) -> tuple[str, ...]:
    """az's ``--resource R`` asks for R's default scope."""
    return (resource.rstrip("/") + "/.default",)


def _parse(args: list[str]) -> dict[str, Any] | None:
    options: dict[str, Any] = {"scope": []}
    index = 0
    while index < len(args):
        arg = args[index]
        name, sep, value = arg.partition("=")
        if name not in _VALUE_OPTIONS:
            return None  # --help, --debug, anything else: the click command handles it
        if not sep:
            index += 1
            if index >= len(args):
                return None
            value = args[index]
        key = _VALUE_OPTIONS[name]
        if key == "scope":
            options["scope"].append(value)
        else:
            options[key] = value
        index += 1
    return options


def cached_token_output(args: list[str]) -> str | None:
    """The output of ``partnercenter token ARGS`` when its token is cached, else ``None``."""
    options = _parse(args)
    if options is None:
        return None
    try:
        from .output import FORMATS, render
        from .settings import cached_token, resolve

        output = options.get("output") or os.environ.get("PARTNERCENTER_OUTPUT")
        if output is None:
            output = "table" if sys.stdout.isatty() else "json"
        if output not in FORMATS or (options["scope"] and "resource" in options):
            return None
        profile = options.get("profile") or os.environ.get("PARTNERCENTER_PROFILE") or None
        resolved = resolve(profile_name=profile) if profile else None
        if resolved is None:
            from .profiles import load_config

            config = load_config()
            if config.current is None:
                return None  # environment-only or nothing: the full path decides
            resolved = resolve(config, profile_name=config.current)
        if "resource" in options:
            scopes = resource_scopes(options["resource"])
        else:
            scopes = tuple(options["scope"]) or (resolved.default_scope(),)
        token = cached_token(resolved, scopes, options.get("tenant"))
        if token is None:
            return None
        return render(token_result(token), output, options.get("query"))
    except Exception:  # the full command reports whatever went wrong, properly
        return None
