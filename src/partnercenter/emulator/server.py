"""Running the emulator: uvicorn on loopback, TLS by default, and the ``Emulator`` handle.

``Emulator.start()`` binds a socket (port 0 picks a free one), serves in a background thread
and returns once the server accepts connections; ``emulator.json`` in the state directory then
describes it (the running contract other tools rely on). The CLI's ``emulator serve`` is the
same thing in the foreground.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import httpx
import uvicorn
from starlette.requests import Request

from .app import create_app
from .clock import Clock
from .config import build, read_config_file
from .files import StateDirError, StateDirLock, state_dir_error, write_private
from .http_limits import MAX_HEAD_BYTES, QuietDisconnects, http_protocol
from .info import describe
from .keys import KeyRing
from .state import EmulatorState
from .tls import ensure_tls

INFO_FILE = "emulator.json"
START_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 1.0


class _Launch(NamedTuple):
    """``Emulator.start``'s arguments, carried through the start-up steps."""

    config: str | Path | dict[str, Any] | None
    host: str
    port: int
    tls: bool
    clock: Clock | None
    log_level: str


class _InfoList:
    """A list field of emulator.json, read by the attribute's own name; a copy, so a caller
    cannot change the running emulator's contract."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._key = name

    def __get__(self, emulator: Emulator, owner: type[Any] | None = None) -> list[dict[str, Any]]:
        return list(emulator.info[self._key])


class Emulator:
    """A running emulator. Use ``with Emulator.start() as emu:``; fields mirror emulator.json."""

    def __init__(
        self,
        state: EmulatorState,
        server: uvicorn.Server,
        thread: threading.Thread,
        info: dict[str, Any],
        state_dir: Path,
        temporary: bool,
        lock: StateDirLock | None = None,
    ) -> None:
        self.state = state
        self._lock = lock
        self._server = server
        self._thread = thread
        self.info = info
        self.state_dir = state_dir
        self._temporary = temporary
        self.info_path = state_dir / INFO_FILE
        self._ssl_context: ssl.SSLContext | None = None

    # -- the running contract -------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    @property
    def ca_cert(self) -> str | None:
        value = self.info["ca_cert"]
        return None if value is None else str(value)

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What to pass as httpx's ``verify=``: an SSL context trusting the emulator's CA.

        (httpx 0.28 deprecates a CA path for ``verify``; MSAL, requests and azure-identity
        take the path itself: ``ca_cert``.)
        """
        if self.ca_cert is None:
            return True
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context(cafile=self.ca_cert)
        return self._ssl_context

    @property
    def admin_key(self) -> str:
        return str(self.info["admin_key"])

    @property
    def partner_tenant(self) -> dict[str, Any]:
        return dict(self.info["partner_tenant"])

    customer_tenants = _InfoList()
    apps = _InfoList()
    users = _InfoList()
    resources = _InfoList()

    def app(self, name: str) -> dict[str, Any]:
        """The app named ``name`` from the directory (``KeyError`` if there is none)."""
        for app in self.info["apps"]:
            if app["name"] == name:
                return dict(app)
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"Emulator(base_url={self.base_url!r}, state_dir={str(self.state_dir)!r})"

    # -- admin helpers (over the wire, as any tool would) ---------------------------------
    def admin(self, method: str, path: str, json_body: dict[str, Any] | None = None) -> Any:
        with httpx.Client(base_url=self.base_url, verify=self.verify, timeout=10) as client:
            response = client.request(
                method,
                f"/_emulator/{path.lstrip('/')}",
                json=json_body,
                headers={"Authorization": f"Bearer {self.admin_key}"},
            )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "stats")
        return result

    def reset_stats(self) -> None:
        self.admin("POST", "stats/reset")

    def advance_clock(self, seconds: float) -> float:
        return float(self.admin("POST", "clock", {"advance": seconds})["now"])

    def reset_clock(self) -> float:
        return float(self.admin("POST", "clock", {"reset": True})["now"])

    def revoke_user(self, upn: str) -> int:
        """Revoke every refresh token of a user (AADSTS50173 on their next redemption)."""
        return int(self.admin("POST", f"users/{upn}/revoke")["revoked_refresh_tokens"])

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (``target="api"|"token"|"all"``, ``rate``, ``count``, ``status`` /
        ``statuses``, ``latency_ms``, ``drop``); see :mod:`partnercenter.emulator.api.faults`."""
        added: dict[str, Any] = self.admin("POST", "faults", rule)["added"]
        return added

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def set_throttling(self, **limits: float) -> dict[str, Any]:
        """Change the API's token buckets (``rate_per_second``, ``burst``,
        ``customer_rate_per_second``, ``customer_burst``); ``reset_throttling()`` restores them."""
        result: dict[str, Any] = self.admin("POST", "throttling", limits)
        return result

    def reset_throttling(self) -> None:
        self.admin("DELETE", "throttling")

    def rotate_keys(self, *, immediate: bool = False) -> str:
        """Rotate the signing key; returns the new key's kid. The new key is published at once
        and signs after ``settings.key_rotation_delay`` (at once with ``immediate=True``)."""
        body = {"immediate": True} if immediate else None
        return str(self.admin("POST", "keys/rotate", body)["new_kid"])

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        state_dir: str | Path | None = None,
        config: str | Path | dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        clock: Clock | None = None,
        log_level: str = "warning",
    ) -> Emulator:
        """Start an emulator in a background thread and return once it accepts connections.

        ``state_dir`` keeps keys, certificates and the CA across restarts; without it a
        temporary directory is used and removed on ``stop()``. ``config`` is a config file
        path or an already-parsed dict (see :mod:`partnercenter.emulator.config`).
        """
        temporary = state_dir is None
        folder = (
            Path(tempfile.mkdtemp(prefix="pc-emulator-"))
            if state_dir is None
            else Path(state_dir).expanduser()
        )
        launch = _Launch(config, host, port, tls, clock, log_level)
        try:
            return cls._start(folder, temporary, launch)
        except BaseException:
            if temporary:
                shutil.rmtree(folder, ignore_errors=True)
            raise

    @classmethod
    def _start(cls, folder: Path, temporary: bool, launch: _Launch) -> Emulator:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise state_dir_error(folder, exc) from None
        # Before anything is written: a second emulator must not take over a directory in use
        # (it would overwrite emulator.json, then delete it on exit while the first runs).
        lock = StateDirLock(folder)
        lock.acquire(lambda pid: _owner(folder, pid))
        try:
            return cls._start_locked(folder, temporary, launch, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _start_locked(
        cls, folder: Path, temporary: bool, launch: _Launch, lock: StateDirLock
    ) -> Emulator:
        config, host, port, tls, clock, log_level = launch
        raw: dict[str, Any] | None = config if isinstance(config, dict) else None
        source = "config"
        if isinstance(config, (str, Path)):
            raw, source = read_config_file(Path(config)), str(config)
        with _state_files(folder):
            directory, settings = build(raw, source=source, apps_dir=folder / "apps")
        with _state_files(folder / "keys", "the signing keys"):
            keys = KeyRing.load_or_create(folder / "keys")
        with _state_files(folder / "tls", "the TLS certificates"):
            tls_files = ensure_tls(folder / "tls", host) if tls else None
        state = EmulatorState(
            directory=directory,
            settings=settings,
            keys=keys,
            clock=clock or Clock(),
        )
        sock = _bind(host, port)
        try:
            bound_port = sock.getsockname()[1]
            url_host = f"[{host}]" if ":" in host else host
            base_url = f"{'https' if tls else 'http'}://{url_host}:{bound_port}"
            ca_path = tls_files.ca_cert if tls_files else None

            def info_for(request: Request | None = None) -> dict[str, Any]:
                return describe(state, base_url=base_url, ca_cert=ca_path, state_dir=folder)

            app = create_app(state, info_for, base_url=base_url)
            server_config = uvicorn.Config(
                QuietDisconnects(app),
                log_level=log_level,
                access_log=False,
                ssl_certfile=str(tls_files.server_cert) if tls_files else None,
                ssl_keyfile=str(tls_files.server_key) if tls_files else None,
                timeout_graceful_shutdown=5,
                server_header=False,
                lifespan="off",
                # 431 for heads over 64 KB before they are buffered; slow requests closed.
                http=http_protocol(),
                # h11's own cap, a backstop above ours (it would answer 400).
                h11_max_incomplete_event_size=2 * MAX_HEAD_BYTES,
                # Bounded concurrency: past it uvicorn answers 503 instead of queueing forever.
                limit_concurrency=1000,
            )
            server = uvicorn.Server(server_config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="pc-emulator", daemon=True
            )
        except BaseException:
            sock.close()  # a failed set-up must not leave the port bound
            raise
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the emulator failed to start (see the log above)")
            time.sleep(0.01)
        info = info_for()
        emulator = cls(state, server, thread, info, folder, temporary, lock)
        write_private(emulator.info_path, json.dumps(info, indent=2).encode("utf-8"))
        return emulator

    def stop(self) -> None:
        """Stop serving, wait for the server thread, remove a temporary state directory."""
        self._server.should_exit = True
        self._thread.join(timeout=STOP_GRACE_SECONDS)
        if self._thread.is_alive():
            # Idle keep-alive TLS connections of clients that are still open would hold a
            # graceful shutdown for its whole timeout; requests in flight have had their grace.
            self._server.force_exit = True
            self._thread.join(timeout=10)
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()
        if self._lock is not None:
            self._lock.release()
        if self._temporary:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def wait(self) -> None:
        """Block until the server stops (for foreground use)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _owner(folder: Path, pid: str) -> str:
    """What the refusal says about the emulator holding ``folder``: its pid and base URL."""
    try:
        base_url = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))["base_url"]
    except (OSError, ValueError, KeyError, TypeError):
        base_url = "still starting"
    return f"pid {pid}, {base_url}"


@contextlib.contextmanager
def _state_files(path: Path, what: str | None = None) -> Iterator[None]:
    """Turn a failure to read or write the state directory into a one-line StateDirError that
    names the path and the problem (with ``what``, unreadable content counts too: a corrupt
    key file is not a traceback)."""
    try:
        yield
    except StateDirError:
        raise
    except OSError as exc:
        where = Path(exc.filename) if isinstance(exc.filename, str) else path
        raise state_dir_error(where, exc) from None
    except ValueError as exc:
        if what is None:
            raise  # a ConfigError from build() names its own file
        reason = str(exc).split(". ")[0].split("\n")[0][:200]
        raise StateDirError(
            f"{path}: cannot load {what} ({reason}); move the directory away to make new ones"
        ) from None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
