"""Start-up cost: `import partnercenter` is lazy, and `partnercenter token` with a cached token
imports neither httpx, the credentials nor click (benchmarks/bench_cli_startup.py measures
both)."""

from __future__ import annotations

import subprocess
import sys

import partnercenter

from .conftest import Shell


def test_import_is_lazy_and_names_resolve() -> None:
    code = "import partnercenter, sys; print(sorted(m for m in sys.modules if 'httpx' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout
    for name in partnercenter.__all__:
        assert getattr(partnercenter, name) is not None
    assert set(partnercenter.__all__) <= set(dir(partnercenter))


def test_cached_token_path_skips_httpx(shell: Shell) -> None:
    shell.ok("login", "--emulator", shell.info)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "partnercenter.cli", "token", "-o", "json"],
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "httpx" not in imported and "partnercenter.auth" not in imported
    assert "click" not in imported  # the fast path in partnercenter.cli.fast
    assert "partnercenter.token_cache" in imported
    # Anything the fast path does not handle falls back to the click command.
    usage = subprocess.run(
        [sys.executable, "-m", "partnercenter.cli", "token", "--bogus"],
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2 and "No such option" in usage.stderr
