"""The Redis flow drivers: one flow, written once, runs the same on a blocking client and
through an awaited call; a call's error is seen by the flow's own ``except`` (degraded mode),
and what the flow does not catch comes back out of the driver. No Redis server needed."""

from __future__ import annotations

from typing import Any

import pytest

from partnercenter.stores.redis_support import (
    OrphanLocks,
    Pause,
    RedisFlow,
    redis_call,
    run_async,
    run_blocking,
)


class Down(OSError):
    """Stands for a Redis connection error."""


class FakeClient:
    """Answers ``get`` from a dict; ``eval`` fails while ``down``; records every call."""

    def __init__(self, values: dict[str, str], *, down: bool = False) -> None:
        self.values = values
        self.down = down
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def get(self, name: str) -> str | None:
        self.calls.append(("get", (name,), {}))
        return self.values.get(name)

    def set(self, name: str, value: str, **options: Any) -> bool:
        self.calls.append(("set", (name, value), options))
        if options.get("nx") and name in self.values:
            return False
        self.values[name] = value
        return True

    def eval(self, *args: Any) -> int:
        self.calls.append(("eval", args, {}))
        if self.down:
            raise Down("connection refused")
        return 1


def read_else_lock(seen: list[str]) -> RedisFlow[str]:
    """Read ``entry``; without one, take ``lock`` (after a pause); a Down is degraded mode."""
    try:
        value = yield redis_call("get", "entry")
        if value is not None:
            return f"read {value}"
        yield Pause(0.25)
        taken = yield redis_call("set", "lock", "me", nx=True, px=1000)
        return "led" if taken else "followed"
    except Down as exc:
        seen.append(str(exc))
        return "degraded"


def failing_release() -> RedisFlow[int]:
    answer = yield redis_call("eval", "script", 1, "lock", "me")
    return int(answer)


async def call_through(client: FakeClient) -> Any:
    async def call(method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(client, method)(*args, **kwargs)

    return call


@pytest.fixture()
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    # The blocking driver's sleep (the module's ``time``; restored after the test).
    monkeypatch.setattr("partnercenter.stores.redis_support.time.sleep", slept.append)
    return slept


def test_a_flow_reads_its_answers_and_returns_its_result(sleeps: list[float]) -> None:
    client = FakeClient({"entry": "cached"})
    assert run_blocking(read_else_lock([]), lambda: client) == "read cached"
    client = FakeClient({})
    assert run_blocking(read_else_lock([]), lambda: client) == "led"
    assert [call[0] for call in client.calls] == ["get", "set"]
    assert client.calls[1][2] == {"nx": True, "px": 1000}
    assert sleeps == [0.25]
    client.values["lock"] = "another"
    assert run_blocking(read_else_lock([]), lambda: client) == "followed"


def test_a_call_error_is_thrown_into_the_flow_and_an_uncaught_one_comes_out() -> None:
    seen: list[str] = []
    client = FakeClient({}, down=True)

    def down_get(name: str) -> None:
        raise Down("no route to redis")

    client.get = down_get  # type: ignore[method-assign]
    assert run_blocking(read_else_lock(seen), lambda: client) == "degraded"
    assert seen == ["no route to redis"]
    with pytest.raises(Down, match="connection refused"):
        run_blocking(failing_release(), lambda: client)


def test_an_orphan_whose_release_fails_is_kept_for_next_time() -> None:
    orphans = OrphanLocks(limit=4)
    orphans.add("lock-a", "owner-a")
    with pytest.raises(Down):
        run_blocking(orphans.release_flow(), lambda: FakeClient({}, down=True))
    assert orphans.take() == ("lock-a", "owner-a")
    orphans.add("lock-a", "owner-a")
    client = FakeClient({})
    run_blocking(orphans.release_flow(), lambda: client)
    assert orphans.take() is None
    assert client.calls[0][1][2:] == ("lock-a", "owner-a")


@pytest.mark.anyio
async def test_the_async_driver_runs_the_same_flow() -> None:
    client = FakeClient({})
    assert await run_async(read_else_lock([]), await call_through(client)) == "led"
    assert [call[0] for call in client.calls] == ["get", "set"]
    seen: list[str] = []

    async def refused(method: str, *args: Any, **kwargs: Any) -> Any:
        raise Down(f"{method} refused")

    assert await run_async(read_else_lock(seen), refused) == "degraded"
    assert seen == ["get refused"]
    with pytest.raises(Down, match="eval refused"):
        await run_async(failing_release(), refused)
