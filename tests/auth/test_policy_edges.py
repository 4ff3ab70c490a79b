"""The refresh and retry policy at its boundaries: each test pins one edge that a mutation run
(``make mutation``, docs/testing-strength.md) showed no other test held."""

from __future__ import annotations

import calendar
import math

import pytest

from partnercenter._credentials.policy import (
    RetryPolicy,
    default_refresh_on,
    is_retryable_status,
    parse_retry_after,
    retry_delay,
)
from partnercenter.errors import ConfigurationError


@pytest.mark.parametrize("refresh_in", [0, -5, None])
def test_no_usable_refresh_in_means_half_the_lifetime(refresh_in: float | None) -> None:
    assert default_refresh_on(1000, 3600, refresh_in) == 1000 + 1800


def test_a_one_second_refresh_in_is_honoured() -> None:
    # Any positive refresh_in is Azure AD's word, however small.
    assert default_refresh_on(1000, 3600, 1) == 1001


def test_a_negative_retry_count_names_the_argument() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(max_retries=-1)
    assert caught.value.argument == "max_retries"
    assert str(caught.value).startswith("max_retries: must be 0 or more")


@pytest.mark.parametrize("name", ["backoff", "max_backoff", "max_retry_after"])
@pytest.mark.parametrize("value", [-0.5, math.inf, math.nan])
def test_seconds_must_be_finite_and_not_negative(name: str, value: float) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(**{name: value})
    assert caught.value.argument == name
    assert str(caught.value).startswith(f"{name}: must be a finite number of seconds, 0 or more")


@pytest.mark.parametrize("name", ["backoff", "max_backoff", "max_retry_after"])
def test_zero_seconds_is_allowed(name: str) -> None:
    assert getattr(RetryPolicy(**{name: 0}), name) == 0


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(428, False), (429, True), (430, False), (499, False), (500, True), (599, True), (600, False)],
)
def test_retryable_statuses(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


def test_retry_after_equal_to_the_limit_is_waited_for() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert retry_delay(policy, 0, 0.5, status=429, retry_after=60) == 60
    assert retry_delay(policy, 0, 0.5, status=429, retry_after=60.5) is None


def test_retry_after_zero_means_now() -> None:
    assert retry_delay(RetryPolicy(), 0, 0.5, status=503, retry_after=0) == 0.0


def test_retry_after_zero_and_fractions_are_valid() -> None:
    assert parse_retry_after("0", 1000) == 0.0
    assert parse_retry_after("0.5", 1000) == 0.5


def test_retry_after_date_in_the_past_means_now() -> None:
    now = calendar.timegm((2026, 1, 1, 0, 0, 0))
    assert parse_retry_after("Wed, 31 Dec 2025 23:59:00 GMT", now) == 0.0
