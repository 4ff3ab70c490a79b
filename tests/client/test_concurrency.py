"""The blocking fan-out helper: its argument check and its bound, value by value (edges the
mutation run, docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import threading
import time

import pytest

from partnercenter._client.concurrency import check_concurrency, map_concurrently
from partnercenter.errors import ConfigurationError, NotFoundError


@pytest.mark.parametrize("value", [1, 2, 64])
def test_positive_ints_are_accepted(value: int) -> None:
    assert check_concurrency(value) == value


@pytest.mark.parametrize("value", [0, -1, True, False, 1.5, 2.0, "2", None])
def test_anything_else_names_the_argument(value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_concurrency(value)
    assert caught.value.argument == "concurrency"
    assert str(caught.value).startswith("concurrency: must be a positive int")


@pytest.mark.parametrize("limit", [1, 3])
def test_never_more_than_the_limit_in_flight_and_the_limit_is_used(limit: int) -> None:
    lock = threading.Lock()
    running = 0
    peak = 0

    def work(item: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        if item == 4:
            raise NotFoundError("gone", status=404)
        return item * 2

    outcomes = map_concurrently(work, range(9), concurrency=limit)
    assert peak == limit
    assert [o.item for o in outcomes] == list(range(9))
    assert [o.value for o in outcomes if o.ok] == [0, 2, 4, 6, 10, 12, 14, 16]
    assert isinstance(outcomes[4].error, NotFoundError)
