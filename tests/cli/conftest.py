"""The command line as users run it: real subprocesses against a running emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from partnercenter.emulator import Emulator
from partnercenter.stores import generate_store_key

#: Every subprocess runs the installed command's code, with this interpreter.
CLI = [sys.executable, "-m", "partnercenter.cli"]


@dataclass
class Shell:
    """A user's environment: their own config, state and cache directories and store key."""

    home: Path
    env: dict[str, str]
    emu: Emulator

    def run(
        self, *args: str, input: str | None = None, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            env={**self.env, **(extra or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str, **kwargs: Any) -> Any:
        """Run, expect success and JSON on stdout; return it parsed."""
        done = self.run(*args, "-o", "json", **kwargs)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*CLI, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def info(self) -> str:
        return str(self.emu.info_path)

    @property
    def config(self) -> Path:
        return self.home / "config" / "partnercenter" / "config.json"


def clean_environment() -> dict[str, str]:
    """os.environ without anything that could change what the CLI does."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "PARTNERCENTER_", "XDG_", "REQUESTS_CA", "CURL_CA"))
    }


@pytest.fixture()
def shell(tmp_path: Path, emu: Emulator) -> Shell:
    env = {
        **clean_environment(),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PARTNERCENTER_STORE_KEY": generate_store_key(),
        # Never the developer's real keyring.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return Shell(tmp_path, env, emu)
