"""The emulators a test process runs, behind the plugin's ``pc_emulators`` and
``pc_emulator_factory`` fixtures: started once per distinct data and options, warm (keys and
certificates copied from a state directory kept between runs), stopped at the end.

Standard library only (pytest is not needed to import :class:`EmulatorFactory`); the emulator
is imported when one starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import Sandbox

#: Emulators with declared data kept running at once per process (least recently used stop).
MAX_RUNNING = 4
#: Test-friendly settings the plugin's emulators start with (a test's data may override
#: them). Partner Center's throttling is lifted so that tests never meet it by accident (use
#: ``emulator.throttling(...)`` to test 429 handling), and the device-code interval is 1 s so
#: that MSAL's polling does not make a test wait 5 s.
PLUGIN_SETTINGS: dict[str, float] = {
    "api_rate_per_second": 1_000_000.0,
    "api_burst": 1_000_000,
    "api_customer_rate_per_second": 1_000_000.0,
    "api_customer_burst": 1_000_000,
    "device_code_interval": 1,
}


# -- the emulators of this process ----------------------------------------------------------
class Emulators:
    """The emulators this pytest process started: the default one, one per distinct data and
    options, and the private ones of :meth:`EmulatorFactory.private` still running."""

    def __init__(self, base: Path, worker: str) -> None:
        self.base = base
        self.worker = worker
        self.running: OrderedDict[str, Sandbox] = OrderedDict()
        # Emulators handed out by the factory: a module or session fixture may hold one, so
        # they are never evicted (only the marker's, which a test asks for anew, are).
        self.pinned: set[str] = {"default"}
        self.private: list[Sandbox] = []

    def get(
        self,
        config: dict[str, Any] | None,
        *,
        tls: bool = True,
        plugin_settings: bool = True,
        pin: bool = False,
    ) -> Sandbox:
        key = _key(config, tls=tls, plugin_settings=plugin_settings)
        if pin:
            self.pinned.add(key)
        found = self.running.get(key)
        if found is not None:
            self.running.move_to_end(key)
            return found
        sandbox = self._start(key, config, tls=tls, plugin_settings=plugin_settings)
        self.running[key] = sandbox
        while len(self.running) - len(self.pinned & self.running.keys()) > MAX_RUNNING:
            oldest = next(k for k in self.running if k not in self.pinned)
            self.running.pop(oldest).stop()
        return sandbox

    def _start(
        self, key: str, config: dict[str, Any] | None, *, tls: bool, plugin_settings: bool
    ) -> Sandbox:
        from ..emulator.config import ConfigError
        from .sandbox import Sandbox

        merged = _with_plugin_settings(config) if plugin_settings else dict(config or {})
        folder = self.base / self.worker / key
        self._warm(folder)
        try:
            return Sandbox.start(state_dir=folder, config=merged, tls=tls)
        except ConfigError:
            raise
        except Exception:
            # The cached state directory may be unusable (e.g. held by another pytest run):
            # a temporary one costs a cold start, not a failure.
            return Sandbox.start(config=merged, tls=tls)

    def start_private(
        self, config: dict[str, Any] | None, *, tls: bool, plugin_settings: bool
    ) -> tuple[Sandbox, Path]:
        """A new emulator in a new state directory (the caller stops it and removes that)."""
        from .sandbox import Sandbox

        if not self._has_keys():
            # Without keys to copy, every private start would generate its own (about a
            # second each); the default emulator's, kept in the cache, serve them all.
            self.get(None)
        merged = _with_plugin_settings(config) if plugin_settings else dict(config or {})
        folder = Path(tempfile.mkdtemp(prefix="pc-emulator-"))
        try:
            self._warm(folder / "state")
            sandbox = Sandbox.start(state_dir=folder / "state", config=merged, tls=tls)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.private.append(sandbox)
        return sandbox, folder

    def stop_private(self, sandbox: Sandbox, folder: Path) -> None:
        if sandbox in self.private:
            self.private.remove(sandbox)
        _quiet_stop(sandbox)
        shutil.rmtree(folder, ignore_errors=True)

    def _has_keys(self) -> bool:
        return any((path / "keys").is_dir() for path in self.base.glob("*/*"))

    def _warm(self, folder: Path) -> None:
        """Give a new state directory the keys and certificates of an existing one (this
        worker's default, else any other's): generating them is most of a cold start."""
        if (folder / "keys").exists():
            return
        candidates = [
            self.base / self.worker / "default",
            *sorted(self.base.glob("*/default")),
            *sorted(self.base.glob("*/*")),
        ]
        source = next((c for c in candidates if c != folder and (c / "keys").is_dir()), None)
        if source is None:
            return
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            for part in ("keys", "tls"):
                if (source / part).is_dir():
                    shutil.copytree(source / part, folder / part, dirs_exist_ok=True)

    def close(self) -> None:
        while self.private:
            _quiet_stop(self.private.pop())
        while self.running:
            _, sandbox = self.running.popitem()
            _quiet_stop(sandbox)


def _quiet_stop(sandbox: Sandbox) -> None:
    with warnings.catch_warnings():
        # A stop that has to force the server down (a client kept a connection open) leaves
        # server-side transports for the event loop to close, which warns; that is the
        # emulator's own business, not a failure of the user's last test.
        warnings.simplefilter("ignore", ResourceWarning)
        sandbox.stop()


class EmulatorFactory:
    """Emulators built from declared data and start options, for fixtures of any scope: the
    ``pc_emulator_factory`` fixture. Every emulator starts warm (with the keys and
    certificates the plugin keeps between runs) and with the plugin's settings
    (:data:`PLUGIN_SETTINGS`) under the data's own, unless ``plugin_settings=False``.

    ``data`` is what ``@pytest.mark.partnercenter_data`` takes: :class:`EmulatorData`, a dict,
    or the path of a TOML/YAML/JSON config file (a relative path is read from the current
    directory); ``None`` is the seed alone.
    """

    def __init__(self, emulators: Emulators) -> None:
        self._emulators = emulators

    def __repr__(self) -> str:
        return f"EmulatorFactory(running={len(self._emulators.running)})"

    def __call__(
        self, data: Any = None, *, tls: bool = True, plugin_settings: bool = True
    ) -> Sandbox:
        """The process's emulator for this data and these options: started on first use,
        shared by every caller that asks for the same (the marker's ``pc_emulator`` too) and
        running until the session ends. It is not reset: call ``reset()`` where a test needs
        a clean one, or use ``pc_emulator``, which does."""
        _check_options(tls=tls, plugin_settings=plugin_settings)
        return self._emulators.get(_load(data), tls=tls, plugin_settings=plugin_settings, pin=True)

    @contextlib.contextmanager
    def private(
        self, data: Any = None, *, tls: bool = True, plugin_settings: bool = True
    ) -> Iterator[Sandbox]:
        """A new emulator of the caller's own, in a state directory of its own, stopped (and
        the directory removed) when the block ends: for a test that changes what a reset
        keeps (signing keys, the directory) or must see an emulator that nobody used."""
        _check_options(tls=tls, plugin_settings=plugin_settings)
        sandbox, folder = self._emulators.start_private(
            _load(data), tls=tls, plugin_settings=plugin_settings
        )
        try:
            yield sandbox
        finally:
            self._emulators.stop_private(sandbox, folder)


def _check_options(**options: object) -> None:
    for name, value in options.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, not {type(value).__name__}")


def _load(data: Any) -> dict[str, Any] | None:
    if data is None:
        return None
    from .data import load_data

    return load_data(data)


def _key(config: dict[str, Any] | None, *, tls: bool = True, plugin_settings: bool = True) -> str:
    """The name of an emulator (and of its state directory) for this data and options."""
    if config is None:
        key = "default"
    else:
        canonical = json.dumps(config, sort_keys=True, default=str).encode()
        key = "data-" + hashlib.sha256(canonical).hexdigest()[:16]
    return key + ("" if tls else "-http") + ("" if plugin_settings else "-own-settings")


def _with_plugin_settings(config: dict[str, Any] | None) -> dict[str, Any]:
    from dataclasses import fields

    from ..emulator.config import Settings

    # Only the settings this emulator version knows: a renamed one must not break every test.
    known = {f.name: f.type for f in fields(Settings)}
    defaults: dict[str, Any] = {}
    for name, value in PLUGIN_SETTINGS.items():
        if name in known:
            defaults[name] = int(value) if "int" in str(known[name]) else float(value)
    merged = dict(config or {})
    merged["settings"] = {**defaults, **dict(merged.get("settings") or {})}
    return merged
