"""Async credentials never block the event loop on a blocking store (issue 9.4).

The file store waits up to 30 s for its cross-process lock and fsyncs every save; the OS keyring
may go through D-Bus. A slow blocking store here takes 0.4 s a call while a ticker task counts:
with the store's calls in a worker thread the ticker keeps ticking, on the event loop it would
stand still. Runs under asyncio and trio (the ``anyio_backend`` fixture).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest

import partnercenter.aio as aio
from partnercenter import FileRefreshTokenStore, MemoryRefreshTokenStore
from partnercenter.stores import generate_store_key
from partnercenter.stores.locking import exclusive_lock

from .fakes import CLIENT_ID, TENANT, FakeAzureAD


@pytest.fixture()
def aad() -> FakeAzureAD:
    return FakeAzureAD()


#: Seconds each call of the slow store takes.
DELAY = 0.4


class SlowStore:
    """A blocking store whose every call takes ``DELAY`` seconds (as a contended file lock)."""

    def __init__(self, token: str) -> None:
        self.inner = MemoryRefreshTokenStore()
        self.token = token
        self.threads: set[int] = set()

    def load(self, key: str) -> str | None:
        self.threads.add(threading.get_ident())
        time.sleep(DELAY)
        return self.inner.load(key) or self.token

    def save(self, key: str, refresh_token: str) -> None:
        self.threads.add(threading.get_ident())
        time.sleep(DELAY)
        self.inner.save(key, refresh_token)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


async def _ticks_during(work: object) -> int:
    """How many 10 ms ticks a concurrent task counted while ``await work()`` ran."""
    ticks = 0
    done = anyio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        await work()  # type: ignore[operator]
        done.set()
    return ticks


@pytest.mark.anyio
async def test_a_blocking_store_runs_off_the_event_loop(aad: FakeAzureAD) -> None:
    first = aad._tokens().json()["refresh_token"]
    store = SlowStore(first)
    async with aio.RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.async_transport
    ) as credential:
        ticks = await _ticks_during(credential.get_token)
    # Load and save took 0.8 s: a loop that was free ticked for most of it.
    assert ticks >= 20, f"the event loop stood still while the store worked ({ticks} ticks)"
    assert threading.get_ident() not in store.threads
    assert store.inner.load(credential.store_key) == aad.issued[-1]


@pytest.mark.anyio
async def test_a_locked_file_store_does_not_stall_the_loop(
    tmp_path: Path, aad: FakeAzureAD
) -> None:
    store = FileRefreshTokenStore(tmp_path / "tokens.json", key=generate_store_key())
    credential = aio.RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.async_transport
    )
    store.save(credential.store_key, aad._tokens().json()["refresh_token"])
    released = threading.Event()

    def hold_the_lock() -> None:
        # Another process's rotation in progress: the lock is held for a while.
        lock_path = store.path.with_name(store.path.name + ".lock")
        with exclusive_lock(lock_path, 5):
            released.wait(DELAY * 2)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    time.sleep(0.05)
    try:
        async with credential:
            ticks = await _ticks_during(credential.get_token)
    finally:
        released.set()
        holder.join()
    assert ticks >= 20, f"the event loop stood still behind the file lock ({ticks} ticks)"
    assert store.load(credential.store_key) == aad.issued[-1]
