"""The stored refresh-token record and the 90-day inactivity rule, value by value: each test
pins an edge that the mutation run (docs/testing-strength.md) found unheld."""

from __future__ import annotations

import math
import time

import pytest

from partnercenter.stores.records import (
    INACTIVITY_LIMIT,
    INACTIVITY_WARNING_MARGIN,
    RefreshTokenRecord,
    inactivity_message,
)

DAY = 86_400.0
MAX_TIME = 253_402_300_799.0  # 9999-12-31 23:59:59Z
RECORD = RefreshTokenRecord("0.AR-secret-refresh", saved_at=1_000_000.0, created_at=500_000.0)


def test_the_limit_and_margin_are_90_and_14_days() -> None:
    assert (INACTIVITY_LIMIT, INACTIVITY_WARNING_MARGIN) == (90 * DAY, 14 * DAY)
    assert RECORD.expires_on == 1_000_000.0 + 90 * DAY


def test_idle_time_is_never_negative() -> None:
    assert RECORD.idle_for(1_000_000.0) == 0.0
    assert RECORD.idle_for(999_000.0) == 0.0
    assert RECORD.idle_for(1_000_000.5) == 0.5


def test_expiring_from_exactly_the_margin() -> None:
    edge = RECORD.expires_on - INACTIVITY_WARNING_MARGIN
    assert RECORD.expiring(edge)
    assert not RECORD.expiring(edge - 0.001)
    assert RECORD.expiring(RECORD.expires_on - 10, margin=10)
    assert not RECORD.expiring(RECORD.expires_on - 11, margin=10)


def test_json_round_trip_and_created_at_defaults_to_saved_at() -> None:
    assert RefreshTokenRecord.from_json(RECORD.to_json()) == RECORD
    record = RefreshTokenRecord.from_json({"refresh_token": "t", "saved_at": 7})
    assert (record.saved_at, record.created_at) == (7.0, 7.0)
    assert isinstance(record.saved_at, float) and isinstance(record.created_at, float)


@pytest.mark.parametrize("when", [0, 0.0, MAX_TIME, 1])
def test_the_bounds_are_inclusive(when: float) -> None:
    record = RefreshTokenRecord.from_json(
        {"refresh_token": "t", "saved_at": when, "created_at": when}
    )
    assert record.saved_at == when


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "a record must be a JSON object"),
        ("x", "a record must be a JSON object"),
        ({}, "a record has no refresh_token string"),
        ({"refresh_token": "", "saved_at": 1}, "a record has no refresh_token string"),
        ({"refresh_token": 5, "saved_at": 1}, "a record has no refresh_token string"),
        ({"refresh_token": "t"}, "a record's saved_at is not a number"),
        ({"refresh_token": "t", "saved_at": True}, "a record's saved_at is not a number"),
        ({"refresh_token": "t", "saved_at": "1"}, "a record's saved_at is not a number"),
        (
            {"refresh_token": "t", "saved_at": 1, "created_at": None},
            "a record's created_at is not a number",
        ),
        (
            {"refresh_token": "t", "saved_at": 1, "created_at": False},
            "a record's created_at is not a number",
        ),
        (
            {"refresh_token": "t", "saved_at": -1},
            "a record's saved_at is not a time between 1970 and 9999",
        ),
        (
            {"refresh_token": "t", "saved_at": MAX_TIME + 1},
            "a record's saved_at is not a time between 1970 and 9999",
        ),
        (
            {"refresh_token": "t", "saved_at": math.nan},
            "a record's saved_at is not a time between 1970 and 9999",
        ),
        (
            {"refresh_token": "t", "saved_at": 1, "created_at": math.inf},
            "a record's created_at is not a time between 1970 and 9999",
        ),
        (
            {"refresh_token": "t", "saved_at": 1, "created_at": -0.5},
            "a record's created_at is not a time between 1970 and 9999",
        ),
    ],
)
def test_malformed_records_are_named_precisely(value: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        RefreshTokenRecord.from_json(value)
    assert str(caught.value) == message


def test_repr_shows_the_times_as_utc_dates_and_never_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In a zone off UTC, so that local time shown as "Z" cannot pass.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = RefreshTokenRecord("0.AR-secret-refresh", saved_at=86_400 + 3_723, created_at=0)
        assert repr(record) == (
            "RefreshTokenRecord(saved_at='1970-01-02 01:02:03Z', created_at='1970-01-01 00:00:00Z')"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_warning_before_the_limit() -> None:
    now = RECORD.saved_at + 80 * DAY + 3_600
    assert inactivity_message(RECORD, now, "tenant-a") == (
        "the refresh token stored under 'tenant-a' was last used 80 days ago "
        "(saved 1970-01-12 13:46:40Z) and reaches Azure AD's 90-day inactivity limit on "
        "1970-04-12 13:46:40Z (9 days left); after that, redeeming it fails with "
        "AADSTS700082 and someone must sign in again (partnercenter consent). Each redemption "
        "renews it: redeem it at least every few weeks, e.g. from a scheduled job."
    )


def test_the_warning_after_the_limit() -> None:
    message = inactivity_message(RECORD, RECORD.expires_on, "k")
    assert message.startswith(
        "the refresh token stored under 'k' was last used 90 days ago "
        "(saved 1970-01-12 13:46:40Z) and passed Azure AD's 90-day inactivity limit on "
        "1970-04-12 13:46:40Z; after that,"
    )
    assert "0.AR-secret-refresh" not in message


def test_days_left_round_down_and_never_go_negative() -> None:
    just_before = RECORD.expires_on - 1
    assert "(0 days left)" in inactivity_message(RECORD, just_before, "k")
    assert "(1 days left)" in inactivity_message(RECORD, RECORD.expires_on - DAY, "k")
