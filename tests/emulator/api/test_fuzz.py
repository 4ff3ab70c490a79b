"""Hypothesis fuzz over paths, query strings, headers and bodies: never a 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnercenter._contract.operations import OPERATIONS
from partnercenter.emulator import Emulator
from partnercenter.emulator.api.routes import classify

SEGMENTS = sorted({piece for op in OPERATIONS for piece in op.path.split("/") if piece})
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"

_segment = st.one_of(
    st.sampled_from(SEGMENTS + [CUSTOMER, "..", ".", "%2F", "%00", "v1", "G000024001"]),
    st.text(
        alphabet=st.characters(
            min_codepoint=0x21,
            max_codepoint=0x2FF,
            exclude_characters="/?#%",
            exclude_categories=("Cc",),
        ),
        min_size=1,
        max_size=20,
    ),
)
_path = st.lists(_segment, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=5)
    ),
    max_leaves=20,
)
_query = st.dictionaries(
    st.sampled_from(
        ["size", "offset", "filter", "seekOperation", "country", "startDate", "provider", "x"]
    ),
    st.text(max_size=40),
    max_size=4,
)
_headers = st.dictionaries(
    st.sampled_from(
        [
            "MS-RequestId",
            "MS-CorrelationId",
            "MS-CV",
            "If-Match",
            "MS-ContinuationToken",
            "X-Locale",
        ]
    ),
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=60
    ),
    max_size=4,
).map(lambda found: {key: value.strip() for key, value in found.items()})
FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]),
    path=_path,
    query=_query,
    headers=_headers,
    body=_json,
)
def test_requests_never_get_a_500(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: Any,
    pc: httpx.Client,
) -> None:
    prefixed = path if path.startswith("/v1") else "/v1" + path
    response = pc.request(
        method, prefixed, params=query, headers=headers, json=body if method != "GET" else None
    )
    assert response.status_code < 500, (method, prefixed, response.text)
    # "/v1/../x" is normalised by the client to "/x", which is not an API path.
    served_by_api = classify(response.request.url.path) == "api"
    if served_by_api and method != "HEAD" and response.status_code not in (200, 201, 429):
        assert {"code", "description", "data", "source"} <= set(response.json())


_valid_path = st.sampled_from(
    [
        "/v1/customers",
        f"/v1/customers/{CUSTOMER}/users",
        f"/v1/customers/{CUSTOMER}/carts",
        f"/v1/customers/{CUSTOMER}/orders",
        f"/v1/customers/{CUSTOMER}/agreements",
        f"/v1/customers/{CUSTOMER}/users/00000000-0000-0000-0000-000000000000",
    ]
)


@FUZZ
@given(path=_valid_path, body=_json, raw=st.binary(max_size=200), use_raw=st.booleans())
def test_create_bodies_never_get_a_500(
    path: str, body: Any, raw: bytes, use_raw: bool, pc: httpx.Client
) -> None:
    method = "PATCH" if path.endswith("0000") else "POST"
    if use_raw:
        response = pc.request(method, path, content=raw)
    else:
        response = pc.request(method, path, json=body)
    assert response.status_code < 500, (path, body, response.text)


@settings(max_examples=80, deadline=None)
@given(token=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.hex()))
def test_garbage_tokens_never_get_a_500(token: str, emulator: Emulator) -> None:
    value = f"Bearer {token}".encode("utf-8", "ignore")
    value = bytes(b for b in value if 0x20 <= b < 0x7F).strip()
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        response = client.get("/v1/profiles/legalbusiness", headers={"Authorization": value})
    assert response.status_code == 401
