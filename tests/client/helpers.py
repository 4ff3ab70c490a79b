"""Client factories for the unit tests (MockTransport, fake clock, no real waiting)."""

from __future__ import annotations

from typing import Any

import partnercenter.aio as aio
from partnercenter import AccessTokenCredential, PartnerClient

from .conftest import FakeApi, FakeClock, app_token

#: A fixed jitter draw: back-off delays are then exact numbers.
JITTER = 0.5


def client(
    api: FakeApi, clock: FakeClock, token: str | None = None, **options: Any
) -> PartnerClient:
    credential = options.pop("credential", None) or AccessTokenCredential(
        token or app_token(), clock=clock
    )
    return PartnerClient(
        credential,
        transport=api.transport,
        clock=clock,
        sleep=clock.sleep,
        random=lambda: JITTER,
        **options,
    )


def async_client(
    api: FakeApi, clock: FakeClock, token: str | None = None, **options: Any
) -> aio.AsyncPartnerClient:
    credential = options.pop("credential", None) or aio.AccessTokenCredential(
        token or app_token(), clock=clock
    )
    return aio.AsyncPartnerClient(
        credential,
        transport=api.async_transport,
        clock=clock,
        sleep=clock.asleep,
        random=lambda: JITTER,
        **options,
    )
