"""The test seam: one value that says how the library reads the time, waits and draws jitter.

Every credential and client takes ``timing=Timing(...)`` instead of three keyword arguments;
the shared flows (:mod:`partnercenter._credentials.flow`,
:mod:`partnercenter._credentials.signin_flow`,
:mod:`partnercenter._client.flow`) read ``clock`` and ``random`` from it and their drivers carry
out the waits with ``sleep`` (blocking classes) or ``async_sleep`` (:mod:`partnercenter.aio`).
A test builds one ``Timing`` from a fake clock and hands the same value to everything, so
expiry and back-off are tested with ``now=1000``, never with real waiting.

Standard library only: ``from partnercenter import Timing`` must stay cheap.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError, warn_caller

__all__ = ["DEFAULT_TIMING", "Timing", "resolve_timing"]


async def _anyio_sleep(seconds: float) -> None:
    """``anyio.sleep``, imported on first use (a blocking program never imports anyio), so that
    the async classes wait correctly under asyncio and trio alike."""
    import anyio

    await anyio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Timing:
    """How the library reads the time, waits and draws back-off jitter (a test seam).

    - ``clock``: seconds since the epoch, like ``time.time`` (token expiry, deadlines).
    - ``sleep``: a blocking wait, like ``time.sleep`` (retries and polling of the blocking
      credentials and :class:`~partnercenter.PartnerClient`).
    - ``random``: a float in [0, 1), like ``random.random`` (the jitter of retry back-off).
    - ``async_sleep``: an awaitable wait (default ``anyio.sleep``), used instead of ``sleep`` by
      the :mod:`partnercenter.aio` classes.

    Pass one value as ``timing=`` to any credential or client; the defaults are the real clock,
    sleep and randomness. A test moves a fake clock in its ``sleep`` and ``async_sleep`` so
    nothing really waits: ``Timing(clock=fake, sleep=fake.sleep, async_sleep=fake.asleep)``.
    """

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], object] = time.sleep
    random: Callable[[], float] = _random.random
    async_sleep: Callable[[float], Awaitable[object]] = _anyio_sleep

    def __post_init__(self) -> None:
        # Checked here, not at the first retry: a wrong seam fails where it was built.
        for name in ("clock", "sleep", "random", "async_sleep"):
            if not callable(getattr(self, name)):
                raise ConfigurationError(name, "must be callable")


#: The real clock, sleep and randomness (what ``timing=None`` means).
DEFAULT_TIMING = Timing()

#: The keyword arguments ``timing=`` replaces (accepted, with a DeprecationWarning, for one
#: release).
_LEGACY = ("clock", "sleep", "random")


def resolve_timing(
    timing: object,
    *,
    clock: object = None,
    sleep: object = None,
    random: object = None,
    asynchronous: bool = False,
) -> Timing:
    """The :class:`Timing` a credential or client uses: ``timing``, or one built from the
    deprecated ``clock=``, ``sleep=``, ``random=`` (with a :class:`DeprecationWarning`; for an
    async class ``sleep=`` is its awaitable sleep). Giving both forms is an error."""
    if timing is not None and not isinstance(timing, Timing):
        raise ConfigurationError("timing", "must be a partnercenter.Timing")
    legacy: dict[str, Any] = {
        name: value
        for name, value in zip(_LEGACY, (clock, sleep, random), strict=True)
        if value is not None
    }
    if not legacy:
        return timing if timing is not None else DEFAULT_TIMING
    first = next(iter(legacy))
    if timing is not None:
        raise ConfigurationError(
            first,
            "give timing= or the deprecated clock=, sleep=, random=, not both",
            hint="Put the clock, sleep and random source in the one Timing value.",
        )
    for name, value in legacy.items():
        if not callable(value):
            raise ConfigurationError(name, "must be callable")
    sleep_field = "async_sleep" if asynchronous else "sleep"
    fields = ", ".join(f"{sleep_field if name == 'sleep' else name}=..." for name in legacy)
    warn_caller(
        f"{', '.join(name + '=' for name in legacy)} is deprecated and will be removed in the "
        f"next release: pass timing=partnercenter.Timing({fields}) instead",
        DeprecationWarning,
    )
    if "sleep" in legacy and asynchronous:
        legacy["async_sleep"] = legacy.pop("sleep")
    return Timing(**legacy)
