"""Fixtures: one real emulator over TLS on loopback for the whole session, with the emulator's
own defaults (what Entra ID and Partner Center do: these tests check them), not the plugin's
test settings. A module with data of its own declares it for ``emu`` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.testing import EmulatorFactory


@pytest.fixture(scope="session")
def emulator(pc_emulator_factory: EmulatorFactory) -> Emulator:
    return pc_emulator_factory(plugin_settings=False)


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
