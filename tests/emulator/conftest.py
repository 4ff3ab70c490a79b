"""Fixtures: one real emulator over TLS on loopback for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    state_dir = tmp_path_factory.mktemp("emulator-state")
    with Emulator.start(state_dir=state_dir) as emu:
        yield emu


@pytest.fixture()
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify, timeout=10) as c:
        yield c


@pytest.fixture()
def app(emulator: Emulator) -> dict[str, Any]:
    """The seed's confidential app (secret + certificate)."""
    return emulator.app("partner-center-app")


@pytest.fixture()
def tenant_id(emulator: Emulator) -> str:
    return str(emulator.partner_tenant["id"])


@pytest.fixture()
def key_pem(app: dict[str, Any]) -> bytes:
    return Path(app["certificate"]["key_path"]).read_bytes()
