"""Throttling: token buckets per partner and per partner-customer, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Clock, Emulator
from partnercenter.emulator.api.throttling import Limits, Throttle
from partnercenter.testing import EmulatorFactory

from .pc import mint


def _assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert response.json() == {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
    }
    assert response.headers["MS-RequestId"]
    return seconds


def test_partner_bucket_through_the_admin_api(clean_emulator: Emulator, pc: httpx.Client) -> None:
    emulator = clean_emulator
    limits = emulator.admin("POST", "throttling", {"rate_per_second": 0.5, "burst": 3})
    assert limits["rate_per_second"] == 0.5 and limits["burst"] == 3
    for _ in range(3):
        assert pc.get("/v1/profiles/legalbusiness").status_code == 200
    seconds = _assert_throttled(pc.get("/v1/invoices"))
    assert seconds == 2  # one request at 0.5/s
    # The clock is the emulator's: moving it refills the bucket, no sleeping.
    emulator.advance_clock(seconds)
    assert pc.get("/v1/invoices").status_code == 200
    assert emulator.admin("GET", "api")["throttled"] >= 1
    restored = emulator.admin("DELETE", "throttling")
    assert restored["rate_per_second"] == emulator.state.settings.api_rate_per_second


def test_customer_bucket_is_per_customer(
    clean_emulator: Emulator, pc: httpx.Client, world: dict[str, Any]
) -> None:
    emulator = clean_emulator
    emulator.admin("POST", "throttling", {"customer_rate_per_second": 0.1, "customer_burst": 2})
    cid = world["customer_id"]
    other = emulator.customer_tenants[1]["id"]
    for _ in range(2):
        assert pc.get(f"/v1/customers/{cid}/subscriptions").status_code == 200
    assert _assert_throttled(pc.get(f"/v1/customers/{cid}")) == 10
    # Another customer, and partner-level operations, are not held back.
    assert pc.get(f"/v1/customers/{other}").status_code == 200
    assert pc.get("/v1/invoices").status_code == 200


def test_throttling_settings_from_a_config_file(
    tmp_path: Any, pc_emulator_factory: EmulatorFactory
) -> None:
    config = tmp_path / "emu.toml"
    config.write_text("[settings]\napi_rate_per_second = 0.01\napi_burst = 2\n")
    with pc_emulator_factory.private(config, tls=False, plugin_settings=False) as emulator:
        headers = {"Authorization": f"Bearer {mint(emulator)}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
            codes = [client.get("/v1/profiles/mpn").status_code for _ in range(3)]
            assert codes == [200, 200, 429]


def test_invalid_throttling_admin_values(clean_emulator: Emulator) -> None:
    with httpx.Client(base_url=clean_emulator.base_url, verify=clean_emulator.verify) as client:
        headers = {"Authorization": f"Bearer {clean_emulator.admin_key}"}
        for body in ({"rate_per_second": 0}, {"burst": "x"}, {"nope": 1}, {"burst": True}):
            response = client.post("/_emulator/throttling", json=body, headers=headers)
            assert response.status_code == 400
        assert client.get("/_emulator/throttling").status_code == 401


@pytest.fixture()
def clock() -> Iterator[Clock]:
    yield Clock(source=lambda: 1000.0)


def test_token_bucket_unit(clock: Clock) -> None:
    throttle = Throttle(clock, Limits(rate=2, burst=2, customer_rate=1, customer_burst=1))
    assert throttle.take("p", None) is None
    assert throttle.take("p", None) is None
    assert throttle.take("p", None) == 1
    clock.advance(0.5)
    assert throttle.take("p", None) is None
    assert throttle.take("q", "c1") is None
    assert throttle.take("q", "c1") == 1
    assert throttle.take("q", "c2") is None
    # A clock moved backwards does not drain or overfill anything.
    clock.advance(-100)
    assert throttle.take("p", None) == 1


def test_tiny_rate_caps_retry_after(clock: Clock) -> None:
    # The admin API accepts any positive rate; 1/rate must not overflow into a 500.
    throttle = Throttle(clock, Limits(rate=1e-320, burst=1, customer_rate=1, customer_burst=1))
    assert throttle.take("p", None) is None
    assert throttle.take("p", None) == 86_400
