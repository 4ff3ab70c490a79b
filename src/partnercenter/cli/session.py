"""The HTTP client, credential and Partner Center client a command runs with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click
import httpx

from .settings import Resolved, build_credential, token_cache

__all__ = ["http_client", "partner_client", "session"]

APPLICATION_NAME = "partnercenter-cli"


def http_client(ca_cert: str | None) -> httpx.Client:
    """One client for Azure AD and Partner Center; traced with ``--debug``."""
    from ..auth.arguments import check_verify

    debug = bool(click.get_current_context().find_root().meta.get("debug"))
    options: dict[str, Any] = {"verify": check_verify(ca_cert or True), "timeout": 30.0}
    if debug:
        from .trace import event_hooks

        options["event_hooks"] = event_hooks()
    return httpx.Client(**options)


@contextlib.contextmanager
def session(resolved: Resolved) -> Iterator[tuple[Any, httpx.Client]]:
    """The credential (with the encrypted token cache) and its HTTP client."""
    with http_client(resolved.ca_cert) as client:
        credential = build_credential(resolved, client, token_cache(resolved.name))
        yield credential, client


@contextlib.contextmanager
def partner_client(resolved: Resolved) -> Iterator[Any]:
    """A :class:`~partnercenter.PartnerClient` for these settings."""
    from ..client import PartnerClient

    with session(resolved) as (credential, client):
        yield PartnerClient(credential, http_client=client, application_name=APPLICATION_NAME)
