"""Run one behaviour test on every driver: blocking, asyncio and trio.

A credential's behaviour is written once (a flow) and run by two drivers; the tests are written
once too. ``driver.make("ClientSecretCredential", ...)`` builds the blocking class or its
``partnercenter.aio`` twin over the same scripted transport; ``driver.run(credential.get_token)``
calls it, or runs the coroutine on a fresh event loop of the driver's backend.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

import partnercenter
import partnercenter.aio

from ..fakes import MockTransports

#: Every driver a behaviour test runs on.
DRIVERS = ("sync", "asyncio", "trio")


@dataclass(frozen=True)
class Driver:
    name: str

    @property
    def asynchronous(self) -> bool:
        return self.name != "sync"

    def make(self, class_name: str, *args: Any, server: MockTransports, **kwargs: Any) -> Any:
        """The credential ``class_name`` for this driver, over ``server``'s transport."""
        module: Any = partnercenter.aio if self.asynchronous else partnercenter
        transport = server.async_transport if self.asynchronous else server.transport
        return getattr(module, class_name)(*args, transport=transport, **kwargs)

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, awaited on this driver's event loop if async."""
        if not self.asynchronous:
            return function(*args, **kwargs)
        return anyio.run(functools.partial(function, *args, **kwargs), backend=self.name)


SYNC = Driver("sync")
