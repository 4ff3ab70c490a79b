"""Installed like any package: the wheel and sdist build and pass `twine check`; the wheel
installs into a fresh virtual environment, where a core install explains the missing extra in
one line, and `[cli,emulator]` runs the command line and the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from partnercenter._version import __version__

from .conftest import clean_environment

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


def _run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_and_sdist_install_and_run(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # No isolation: hatchling comes with the dev tools, and no index is needed to build.
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT)
    # The build reads the version from _version.py ([tool.hatch.version] in pyproject.toml).
    (wheel,) = dist.glob(f"partnercenter-{__version__}-*.whl")
    (sdist,) = dist.glob(f"partnercenter-{__version__}.tar.gz")
    _run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)

    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    bin_dir = fresh / ("Scripts" if os.name == "nt" else "bin")
    pip = [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    env = {
        **clean_environment(),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "XDG_STATE_HOME": str(tmp_path / "s"),
        "XDG_CACHE_HOME": str(tmp_path / "k"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env["HOME"] = os.environ.get("HOME", str(tmp_path))  # pip's cache lives there
    _run(*pip, wheel, env=env)
    command = bin_dir / "partnercenter"

    # The core install: the library imports; the command explains the missing extra.
    _run(bin_dir / "python", "-c", "import partnercenter; partnercenter.ClientSecretCredential")
    core = subprocess.run([command, "token"], capture_output=True, text=True, env=env)
    assert core.returncode == 6
    assert core.stderr.strip() == (
        "partnercenter: the 'click' package is not installed; it comes with the [cli] extra: "
        'pip install "partnercenter[cli]"'
    )

    _run(*pip, f"{wheel}[cli,emulator]", env=env)
    assert _run(command, "--version", env=env).split() == ["partnercenter,", "version", __version__]
    state = tmp_path / "emulator"
    server = subprocess.Popen(
        [command, "emulator", "serve", "--state-dir", state],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        info_path = Path(server.stdout.readline().strip())
        assert info_path.name == "emulator.json", server.stderr.read() if server.stderr else ""
        from partnercenter.stores import generate_store_key

        env["PARTNERCENTER_STORE_KEY"] = generate_store_key()
        _run(command, "login", "--emulator", info_path, "-o", "json", env=env)
        token = json.loads(_run(command, "token", "-o", "json", env=env))
        assert token["kind"] == "app" and token["expires_on"] > time.time()
        names = json.loads(
            _run(
                command,
                "customers",
                "list",
                "--max-items",
                "2",
                "-o",
                "json",
                "--query",
                "[].companyProfile.domain",
                env=env,
            )
        )
        assert len(names) == 2
    finally:
        server.terminate()
        server.communicate(timeout=30)  # also closes the pipes
