"""Bounded concurrency for fan-out work (e.g. every customer's subscriptions), with per-item
outcomes: one customer's failure does not lose the others' results.

The blocking helper runs on a thread pool; the async one (:mod:`partnercenter.aio.client`)
on an anyio task group. Both return one :class:`Outcome` per item, in the items' order.
Partner Center errors (:class:`~partnercenter.errors.PartnerCenterError`) become the
outcome's ``error``; any other exception is a bug in the function and is raised (the work not
yet started is cancelled).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import ConfigurationError, PartnerCenterError

__all__ = ["Outcome", "check_concurrency", "map_concurrently"]

T = TypeVar("T")
R = TypeVar("R")

#: Default parallelism: Partner Center throttles per partner tenant, so more rarely helps.
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T, R]):
    """What happened to one item: its ``value``, or the Partner Center ``error`` it raised."""

    item: T
    value: R | None = None
    error: PartnerCenterError | None = None

    def __repr__(self) -> str:
        # The item and value are the caller's data: the outcome shows only how it went.
        if self.error is not None:
            return f"Outcome(error={type(self.error).__name__})"
        return f"Outcome(ok, value={type(self.value).__name__})"

    @property
    def ok(self) -> bool:
        """True when the function returned (no error)."""
        return self.error is None

    def unwrap(self) -> R:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError("concurrency", "must be a positive int")
    return concurrency


def map_concurrently(
    fn: Callable[[T], R], items: Iterable[T], *, concurrency: int = DEFAULT_CONCURRENCY
) -> list[Outcome[T, R]]:
    """Call ``fn(item)`` for every item, at most ``concurrency`` at a time (threads), and
    return the outcomes in the items' order."""
    limit = check_concurrency(concurrency)
    work = list(items)
    outcomes: list[Outcome[T, R] | None] = [None] * len(work)
    if not work:
        return []
    position = iter(range(len(work)))
    lock = threading.Lock()
    failure: list[BaseException] = []

    def worker() -> None:
        # Workers pull the next index: no more than `limit` calls run, whatever the item count.
        while not failure:
            with lock:
                index = next(position, None)
            if index is None:
                return
            item = work[index]
            try:
                outcomes[index] = Outcome(item, value=fn(item))
            except PartnerCenterError as exc:
                outcomes[index] = Outcome(item, error=exc)
            except BaseException as exc:
                failure.append(exc)
                return

    with ThreadPoolExecutor(max_workers=min(limit, len(work))) as pool:
        for future in [pool.submit(worker) for _ in range(min(limit, len(work)))]:
            future.result()
    if failure:
        raise failure[0]
    return [outcome for outcome in outcomes if outcome is not None]
