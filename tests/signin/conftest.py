"""Shared fixtures of the sign-in tests: an in-memory keyring backend, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


class MemoryKeyring:
    """A stand-in for an OS keyring backend (the three calls the library makes)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.fail: Exception | None = None

    def get_password(self, service_name: str, username: str) -> str | None:
        if self.fail is not None:
            raise self.fail
        return self.entries.get((service_name, username))

    def set_password(self, service_name: str, username: str, password: str) -> None:
        if self.fail is not None:
            raise self.fail
        self.entries[(service_name, username)] = password

    def delete_password(self, service_name: str, username: str) -> None:
        if self.fail is not None:
            raise self.fail
        if (service_name, username) not in self.entries:
            raise KeyError(username)
        del self.entries[(service_name, username)]


@pytest.fixture()
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture(autouse=True)
def _no_store_key_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests choose their key explicitly; a key in the developer's environment must not leak in.
    monkeypatch.delenv("PARTNERCENTER_STORE_KEY", raising=False)
    yield


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # Every async test runs on both event loops anyio supports (issue 9.4).
    backend: str = request.param
    return backend
