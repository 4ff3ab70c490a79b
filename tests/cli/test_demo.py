"""`make demo` runs end to end, unattended (app-only, then app + user with MFA)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import clean_environment


def test_the_demo_runs_unattended() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "partnercenter.demo"],
        capture_output=True,
        text=True,
        timeout=240,
        env=clean_environment(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Signed in as admin@" in out and "MFA: True" in out
    assert "get_organization_profile() (App+User only): '" in out
    assert "A token for a customer tenant" in out and "kind user, MFA True" in out
    assert "MfaMissingError" in out and "code 900421" in out and "The fix:" in out
    assert "partnercenter login --emulator --device-code --name user" in out
    assert "Traceback" not in done.stderr
