"""Bounded concurrency for fan-out work (e.g. every customer's subscriptions), with per-item
outcomes: one customer's failure does not lose the others' results.

One worker flow (:meth:`FanOut.worker`) does the work; the blocking helper runs it on a thread
pool, the async one (:mod:`partnercenter.aio.client_flow`) on an anyio task group. Both return
one :class:`Outcome` per item, in the items' order. Partner Center errors
(:class:`~partnercenter.errors.PartnerCenterError`) become the outcome's ``error``; any other
exception is a bug in the function and is raised (the work not yet started is cancelled).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .._core.steps import Blocking, Flow, drive
from ..errors import ConfigurationError, PartnerCenterError

__all__ = ["FanOut", "Outcome", "check_concurrency", "map_concurrently", "no_io"]

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


def no_io(step: object) -> Any:
    """The send and sleep of a fan-out worker's driver: a worker only calls ``fn``."""
    raise TypeError("a fan-out worker neither sends requests nor sleeps")


class FanOut(Generic[T, R]):
    """One ``map_concurrently``: the items, their outcomes in order, which item comes next and
    the first bug. :meth:`worker` is the one flow every worker runs, under the blocking driver
    (a thread each) or the async one (a task each); ``fn(item)`` is its :class:`Blocking` step,
    called by the one and awaited by the other."""

    def __init__(self, items: Iterable[T], concurrency: int) -> None:
        limit = check_concurrency(concurrency)
        self._work = list(items)
        #: How many workers to start: no more than the items, nor than ``concurrency``.
        self.workers = min(limit, len(self._work))
        self._outcomes: list[Outcome[T, R] | None] = [None] * len(self._work)
        self._position = iter(range(len(self._work)))
        self._lock = threading.Lock()
        self._failure: BaseException | None = None

    def _take(self) -> int | None:
        # Workers pull the next index: no more than `workers` calls run, whatever the count.
        with self._lock:
            return None if self._failure is not None else next(self._position, None)

    def worker(self, fn: Callable[[T], Any]) -> Flow[None]:
        """Take items until none is left (or a bug stopped the fan-out); record each outcome.
        Only Partner Center errors become outcomes: any other exception leaves the flow."""
        while (index := self._take()) is not None:
            item = self._work[index]
            try:
                value = yield Blocking(fn, (item,), inline=True)
            except PartnerCenterError as exc:
                self._outcomes[index] = Outcome(item, error=exc)
            else:
                self._outcomes[index] = Outcome(item, value=value)

    def run_in_thread(self, fn: Callable[[T], R]) -> None:
        """A blocking worker; a bug stops the others (they take no new item) and is kept for
        :meth:`outcomes` to raise."""
        try:
            drive(self.worker(fn), no_io, no_io)
        except BaseException as exc:
            with self._lock:
                if self._failure is None:
                    self._failure = exc

    def outcomes(self) -> list[Outcome[T, R]]:
        """One outcome per item, in the items' order; raises the bug a worker met, if any."""
        if self._failure is not None:
            raise self._failure
        return [outcome for outcome in self._outcomes if outcome is not None]


def map_concurrently(
    fn: Callable[[T], R], items: Iterable[T], *, concurrency: int = DEFAULT_CONCURRENCY
) -> list[Outcome[T, R]]:
    """Call ``fn(item)`` for every item, at most ``concurrency`` at a time (threads), and
    return the outcomes in the items' order."""
    fan: FanOut[T, R] = FanOut(items, concurrency)
    if fan.workers:
        with ThreadPoolExecutor(max_workers=fan.workers) as pool:
            for future in [pool.submit(fan.run_in_thread, fn) for _ in range(fan.workers)]:
                future.result()
    return fan.outcomes()
