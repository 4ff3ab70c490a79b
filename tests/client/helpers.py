"""Client factories for the unit tests (MockTransport, fake clock, no real waiting)."""

from __future__ import annotations

from typing import Any

import partnercenter.aio as aio
from partnercenter import AccessTokenCredential, PartnerClient

from ..fakes import JITTER
from .conftest import FakeApi, FakeClock, app_token

__all__ = ["JITTER", "async_client", "client"]


def client(
    api: FakeApi, clock: FakeClock, token: str | None = None, **options: Any
) -> PartnerClient:
    credential = options.pop("credential", None) or AccessTokenCredential(
        token or app_token(), timing=clock.timing()
    )
    return PartnerClient(credential, transport=api.transport, timing=clock.timing(), **options)


def async_client(
    api: FakeApi, clock: FakeClock, token: str | None = None, **options: Any
) -> aio.AsyncPartnerClient:
    credential = options.pop("credential", None) or aio.AccessTokenCredential(
        token or app_token(), timing=clock.timing()
    )
    return aio.AsyncPartnerClient(
        credential, transport=api.async_transport, timing=clock.timing(), **options
    )
