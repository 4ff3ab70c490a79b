"""The HTTP client, credential and Partner Center client a command runs with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click
import httpx

from .settings import Resolved, build_credential, describe_redis, shared_redis

__all__ = ["http_client", "partner_client", "session"]

APPLICATION_NAME = "partnercenter-cli"


def http_client(ca_cert: str | None) -> httpx.Client:
    """One client for Azure AD and Partner Center; traced with ``--debug``."""
    from .._credentials.arguments import check_verify

    debug = bool(click.get_current_context().find_root().meta.get("debug"))
    options: dict[str, Any] = {"verify": check_verify(ca_cert or True), "timeout": 30.0}
    if debug:
        from .trace import event_hooks

        options["event_hooks"] = event_hooks()
    return httpx.Client(**options)


def _debug(message: str) -> None:
    if click.get_current_context().find_root().meta.get("debug"):
        click.echo(f"* {message}", err=True)


@contextlib.contextmanager
def session(resolved: Resolved) -> Iterator[tuple[Any, httpx.Client]]:
    """The credential and its HTTP client. Tokens are cached in the encrypted file, or shared
    through Redis when a Redis URL is in force (then a user profile's refresh token too)."""
    shared = shared_redis(resolved)
    try:
        with http_client(resolved.ca_cert) as client:
            if shared is None:
                credential = build_credential(resolved, client)
            else:
                cache, store = shared
                # Host only: the URL may hold a password.
                where = describe_redis(resolved.shared_redis_url() or "")
                _debug(f"sharing tokens through {where}")
                credential = build_credential(resolved, client, cache=cache, store=store)
            yield credential, client
    finally:
        if shared is not None:
            for part in shared:
                with contextlib.suppress(Exception):  # closing must not hide the real error
                    part.close()


@contextlib.contextmanager
def partner_client(resolved: Resolved) -> Iterator[Any]:
    """A :class:`~partnercenter.PartnerClient` for these settings."""
    from ..client import PartnerClient

    with session(resolved) as (credential, client):
        yield PartnerClient(credential, http_client=client, application_name=APPLICATION_NAME)
