"""The request journal: bounded, expiring, no secrets, and filters that find what a test needs."""

from __future__ import annotations

import base64
import json

import pytest

from partnercenter.emulator.journal import (
    Journal,
    JournalEntry,
    classify,
    describe_token,
    redact_query,
    token_claims,
)


def entry(**fields: object) -> JournalEntry:
    base: dict[str, object] = {
        "at": 1000.0,
        "kind": "token",
        "method": "POST",
        "path": "/t/oauth2/v2.0/token",
        "query": "",
        "status": 200,
    }
    base.update(fields)
    return JournalEntry(**base)  # type: ignore[arg-type]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_journal_keeps_only_the_newest_entries() -> None:
    journal = Journal(max_entries=3)
    for index in range(5):
        journal.record(entry(path=f"/{index}"))
    assert [e.path for e in journal.entries()] == ["/2", "/3", "/4"]


def test_entries_expire_after_their_time_to_live() -> None:
    clock = FakeMonotonic()
    journal = Journal(ttl_seconds=60, monotonic=clock)
    journal.record(entry(path="/old"))
    clock.now = 30
    journal.record(entry(path="/new"))
    clock.now = 61
    assert [e.path for e in journal.entries()] == ["/new"]
    clock.now = 200
    assert len(journal) == 0


@pytest.mark.parametrize(("size", "ttl"), [(0, 10.0), (10, 0.0), (10, -1.0)])
def test_bad_bounds_are_refused(size: int, ttl: float) -> None:
    with pytest.raises(ValueError, match="max_entries|ttl_seconds"):
        Journal(max_entries=size, ttl_seconds=ttl)


def test_filters_by_kind_client_user_and_time() -> None:
    journal = Journal()
    journal.record(entry(client_id="AAA", at=1.0))
    journal.record(entry(kind="api", client_id="aaa", user="Ops@X.com", at=2.0))
    journal.record(entry(kind="api", client_id="bbb", at=3.0))
    assert len(journal.entries(kind="api")) == 2
    assert len(journal.entries(client_id="aaa")) == 2  # case-insensitive, as client ids are
    assert [e.at for e in journal.entries(user="ops@x.com")] == [2.0]
    assert [e.at for e in journal.entries(since=2.5)] == [3.0]


def test_secret_query_values_are_redacted() -> None:
    redacted = redact_query("code=abc&state=s1&client_secret=hunter2&size=5&$filter=x")
    assert "abc" not in redacted and "hunter2" not in redacted
    assert "state=s1" in redacted and "size=5" in redacted and "$filter=x" in redacted


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/contoso.onmicrosoft.com/oauth2/v2.0/token", "token"),
        ("/common/oauth2/token", "token"),
        ("/generatetoken", "token"),
        ("/t/oauth2/v2.0/authorize", "signin"),
        ("/t/oauth2/v2.0/devicecode", "signin"),
        ("/devicelogin", "signin"),
        ("/t/login", "signin"),
        ("/t/v2.0/.well-known/openid-configuration", "discovery"),
        ("/common/discovery/instance", "discovery"),
        ("/v1/customers", "api"),
        ("/customers/abc", "api"),
        ("/_emulator/stats", "admin"),
        ("/favicon.ico", "other"),
    ],
)
def test_paths_are_classified_by_service(path: str, kind: str) -> None:
    assert classify(path) == kind


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_tokens_are_described_without_being_kept() -> None:
    user = describe_token(
        token_claims(_jwt({"appid": "app", "tid": "t", "upn": "a@b", "amr": ["pwd", "mfa"]})) or {}
    )
    assert user == {
        "client_id": "app",
        "tenant": "t",
        "user": "a@b",
        "token_kind": "user",
        "mfa": True,
        "audience": None,
    }
    app = describe_token(token_claims(_jwt({"azp": "app", "idtyp": "app", "aud": "x"})) or {})
    assert app["token_kind"] == "app" and app["user"] is None and app["mfa"] is None
    assert token_claims("not-a-jwt") is None
    assert token_claims("a.!!!.c") is None


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (
            b"grant_type=client_credentials&client_id=abc&client_secret=s3cret"
            b"&scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default",
            {
                "grant_type": "client_credentials",
                "client_id": "abc",
                "scope": "https://api.partnercenter.microsoft.com/.default",
            },
        ),
        (
            b"client%5Fid=a+b&resource=r&refresh_token=rt&client_id=",
            {"client_id": "a b", "resource": "r"},
        ),
        (b"client_id=first&client_id=last&code=c0de", {"client_id": "last"}),
        (
            b"client_id=\xff&scope=%FF&grant_type=x",
            {"client_id": None, "scope": None, "grant_type": "x"},
        ),
        (b"&".join([b"client_id=a"] + [b"x=1"] * 100), {}),
    ],
)
def test_only_the_token_forms_harmless_fields_are_kept(
    body: bytes, kept: dict[str, str | None]
) -> None:
    from partnercenter.emulator.journal import _form_value, _kept_form_fields

    assert {k: _form_value(v) for k, v in _kept_form_fields(body).items()} == kept
