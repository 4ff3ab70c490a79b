"""Fault injection through ``/_emulator/faults``: shares of 5xx/429, latency, dropped
connections, on the API and on the token service."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.emulator.api.faults import FaultError, Faults

from ...emulator_support import new_customer
from .pc import error, fetch_token

PATH = "/v1/profiles/legalbusiness"


def test_next_n_requests_get_the_injected_status(
    clean_emulator: Emulator, pc: httpx.Client
) -> None:
    emulator = clean_emulator
    added = emulator.admin("POST", "faults", {"target": "api", "status": 503, "count": 2})
    assert added["added"]["remaining"] == 2
    before = emulator.stats()["api_requests"]
    first, second, third = (pc.get(PATH) for _ in range(3))
    assert error(first) == (503, 503) and error(second) == (503, 503)
    assert first.headers["MS-RequestId"] and first.headers["Retry-After"] == "1"
    assert third.status_code == 200
    # Injected answers are API requests too.
    assert emulator.stats()["api_requests"] == before + 3
    state = emulator.admin("GET", "faults")
    assert state["rules"] == [] and state["exhausted"][0]["hits"] == 2


def test_a_share_of_requests_fail_with_500_503_429(
    clean_emulator: Emulator, pc: httpx.Client
) -> None:
    emulator = clean_emulator
    emulator.admin(
        "POST",
        "faults",
        {"target": "api", "rate": 0.5, "statuses": [500, 503, 429], "retry_after": 2, "seed": 7},
    )
    statuses = Counter(pc.get(PATH).status_code for _ in range(60))
    assert set(statuses) == {200, 500, 503, 429}
    assert 15 <= statuses[200] <= 45
    throttled = next(r for r in (pc.get(PATH) for _ in range(40)) if r.status_code == 429)
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["statusCode"] == 429
    cleared = emulator.admin("DELETE", "faults")
    assert cleared["rules"] == []
    assert all(pc.get(PATH).status_code == 200 for _ in range(5))


def test_added_latency(clean_emulator: Emulator, pc: httpx.Client) -> None:
    pc.get(PATH)  # warm connection
    clean_emulator.admin("POST", "faults", {"target": "api", "latency_ms": 300, "count": 1})
    started = time.perf_counter()
    assert pc.get(PATH).status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    assert pc.get(PATH).status_code == 200
    assert time.perf_counter() - started < 0.3


@pytest.mark.parametrize("drop", [True, "reset"])
def test_dropped_connection_is_a_transport_error(
    clean_emulator: Emulator, pc: httpx.Client, drop: Any
) -> None:
    clean_emulator.admin("POST", "faults", {"target": "api", "drop": drop, "count": 1})
    with pytest.raises(httpx.TransportError):
        pc.get(PATH)
    # The next request (on a new connection) is served.
    assert pc.get(PATH).status_code == 200


def test_dropped_post_with_body(clean_emulator: Emulator, pc: httpx.Client) -> None:
    clean_emulator.admin(
        "POST",
        "faults",
        {"target": "api", "drop": True, "count": 1, "path_prefix": "/v1/customers"},
    )
    assert pc.get(PATH).status_code == 200  # prefix does not match
    with pytest.raises(httpx.TransportError):
        pc.post("/v1/customers", json={"companyProfile": {"domain": "x" * 1000}})


def test_token_service_faults(clean_emulator: Emulator, client: httpx.Client) -> None:
    emulator = clean_emulator
    emulator.admin("POST", "faults", {"target": "token", "status": 503, "count": 1})
    app = emulator.app("partner-center-app")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "https://api.partnercenter.microsoft.com/.default",
    }
    token_path = f"/{emulator.partner_tenant['id']}/oauth2/v2.0/token"
    refused = client.post(token_path, data=form)
    assert refused.status_code == 503
    assert refused.json()["error"] == "temporarily_unavailable"
    assert refused.json()["error_codes"] == [90033]
    assert client.post(token_path, data=form).status_code == 200
    emulator.admin("POST", "faults", {"target": "token", "drop": True, "count": 1})
    with pytest.raises(httpx.TransportError):
        client.post(token_path, data=form)
    assert fetch_token(emulator, client)


def test_api_faults_leave_the_token_service_alone(
    clean_emulator: Emulator, client: httpx.Client, pc: httpx.Client
) -> None:
    clean_emulator.admin("POST", "faults", {"target": "api", "status": 500})
    assert fetch_token(clean_emulator, client)
    assert clean_emulator.admin("GET", "stats")  # the admin API is never faulted
    assert pc.get(PATH).status_code == 500


def test_all_target(clean_emulator: Emulator, client: httpx.Client, pc: httpx.Client) -> None:
    clean_emulator.admin("POST", "faults", {"target": "all", "status": 500, "count": 2})
    assert pc.get(PATH).status_code == 500
    with pytest.raises(httpx.HTTPStatusError):
        fetch_token(clean_emulator, client)


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"target": "db", "status": 500},
        {"status": 404},
        {"status": 500, "rate": 2},
        {"status": 500, "count": 0},
        {"drop": True, "status": 500},
        {"latency_ms": -1},
        {"drop": "sometimes"},
        {"drop": 1},
        {"status": 500, "nonsense": 1},
        {"statuses": "500"},
    ],
)
def test_invalid_fault_rules_are_400(clean_emulator: Emulator, spec: dict[str, Any]) -> None:
    with httpx.Client(base_url=clean_emulator.base_url, verify=clean_emulator.verify) as client:
        response = client.post(
            "/_emulator/faults",
            json=spec,
            headers={"Authorization": f"Bearer {clean_emulator.admin_key}"},
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_value"


def test_faults_need_the_admin_key(emulator: Emulator, client: httpx.Client) -> None:
    assert client.post("/_emulator/faults", json={"status": 500}).status_code == 401
    assert client.delete("/_emulator/faults").status_code == 401


def test_fault_rules_unit() -> None:
    faults = Faults(seed=1)
    faults.add({"target": "api", "latency_ms": 10})
    faults.add({"target": "api", "status": 500, "count": 1})
    faults.add({"target": "api", "status": 503, "count": 1})
    first = faults.decide("api", "/v1/x")
    assert first is not None and first.status == 500 and first.latency_ms == 10
    second = faults.decide("api", "/v1/x")
    assert second is not None and second.status == 503
    third = faults.decide("api", "/v1/x")
    assert third is not None and third.status is None and third.latency_ms == 10
    assert faults.decide("token", "/t/oauth2/token") is None
    with pytest.raises(FaultError):
        faults.add({"status": 418})


def test_lost_response_then_retry_with_the_same_request_id_creates_once(
    clean_emulator: Emulator, pc: httpx.Client, world: dict[str, Any]
) -> None:
    before = pc.get("/v1/customers", params={"size": 1000}).json()["totalCount"]
    clean_emulator.admin(
        "POST", "faults", {"target": "api", "drop": "after", "count": 1, "path_prefix": "/v1/cust"}
    )
    body = new_customer()
    headers = {"MS-RequestId": "lost-response-retry-1"}
    with pytest.raises(httpx.TransportError):
        pc.post("/v1/customers", json=body, headers=headers)
    # The customer was created although its answer was lost; the retry gets that answer.
    retry = pc.post("/v1/customers", json=body, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["companyProfile"]["domain"] == body["companyProfile"]["domain"]
    assert pc.get("/v1/customers", params={"size": 1000}).json()["totalCount"] == before + 1
