"""The loopback redirect server of a browser sign-in: a one-shot HTTP server on ``127.0.0.1``.

Azure AD sends the browser back to ``http://localhost:{port}`` with the authorization code; a
native app listens there (RFC 8252 §7.3: loopback redirect, any port, for the registered
``http://localhost``). The server only accepts a redirect that carries this sign-in's
``state``: anything else (a favicon request, another tab, a forged request from a web page) is
answered with an error page and ignored, so it can neither inject a code nor abort the sign-in.

The browser's page for the redirect that carries the code says how the sign-in ended, not
merely that a code arrived: the code still has to be redeemed and the token checked (a consent
sign-in without MFA is refused). With :meth:`LoopbackServer.on_code` (the blocking credentials)
the redemption runs in the request's own thread before the page is written, so even an
``open_browser`` callable that drives a browser synchronously to the final page sees the
verdict; otherwise (the async credentials) the page waits for :meth:`LoopbackServer.conclude`.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections.abc import Callable
from html import escape
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from ..errors import PartnerCenterError, SignInError

__all__ = ["LoopbackServer", "free_port"]

logger = logging.getLogger("partnercenter.auth")

#: A redirect is a few kilobytes; refuse anything much bigger rather than read it.
_MAX_BODY: Final = 64 * 1024
#: How long the browser's page waits for the application's verdict (code redemption, checks).
VERDICT_WAIT: Final = 120.0

_COMPLETE: Final = (
    "Sign-in complete",
    "You have signed in. You can close this window and return to the application.",
)
_NO_VERDICT: Final = (
    "Sign-in received",
    "The application received the sign-in but did not say whether it succeeded. Return to the "
    "application to see the outcome.",
)

_PAGE: Final = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    "<style>body{{font-family:system-ui,sans-serif;margin:10vh auto;max-width:36em}}</style>"
    '</head><body><h1 id="title">{title}</h1><p id="message">{message}</p></body></html>'
)


def _page(title: str, message: str) -> bytes:
    return _PAGE.format(title=escape(title), message=escape(message)).encode()


class _Capture:
    """What the servers (IPv4 and IPv6 loopback) share: the expected state and the result."""

    def __init__(self, expected_state: str) -> None:
        self.expected_state = expected_state
        self.result: dict[str, str] | None = None
        self.done = threading.Event()
        # Set once this sign-in's redirect arrived (done: once it has been dealt with).
        self.received = threading.Event()
        self.on_code: Callable[[dict[str, str]], object] | None = None
        self.outcome: tuple[bool, object] | None = None
        self.lock = threading.Lock()
        self.ignored = 0
        # The application's verdict on the sign-in (title, message), for the browser's page.
        self.verdict: tuple[str, str] | None = None
        self.concluded = threading.Event()


class _Server(http.server.ThreadingHTTPServer):
    # A thread per connection: a browser's idle speculative connection must not block the
    # redirect's own request.
    capture: _Capture
    daemon_threads = True

    def server_bind(self) -> None:
        # No SO_REUSEADDR: on some systems it would let two servers share a port.
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.socket.bind(self.server_address)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    server_version = "partnercenter-signin"
    sys_version = ""
    # A connection that sends nothing is dropped rather than holding a thread forever.
    timeout = 10

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self) -> None:  # noqa: N802 - response_mode=form_post
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self._respond(413, "Sign-in failed", "The request is too large.")
            return
        body = self.rfile.read(length).decode("utf-8", "replace")
        self._handle(dict(parse_qsl(body, keep_blank_values=True)))

    def _handle(self, params: dict[str, str]) -> None:
        server = self.server.capture
        if not ({"code", "error", "state"} & params.keys()):
            self._respond(404, "Not found", "This is a sign-in redirect listener.")
            return
        with server.lock:
            accepted = server.result is None and params.get("state") == server.expected_state
            if accepted:
                server.result = params
            else:
                server.ignored += 1
        if not accepted:
            # Not this sign-in's redirect (or a second one): never trusted, never fatal.
            logger.warning("ignored a request to the sign-in redirect URI without its state")
            self._respond(
                400,
                "Sign-in response not accepted",
                "This response does not belong to the sign-in in progress. Start the sign-in "
                "again from the application.",
            )
            return
        server.received.set()
        try:
            if "error" in params:
                description = params.get("error_description", "").split("\r\n")[0]
                self._respond(200, "Sign-in failed", f"{params['error']}: {description[:500]}")
            elif server.on_code is not None:
                # Redeem and check here, so the page tells the outcome (see the module doc).
                try:
                    server.outcome = (True, server.on_code(params))
                    verdict = _COMPLETE
                except BaseException as exc:  # handed to the application's thread
                    server.outcome = (False, exc)
                    verdict = verdict_of(exc)
                self._respond(200, *verdict)
            else:
                # Hold the page until the application has redeemed the code and checked it.
                server.done.set()
                server.concluded.wait(VERDICT_WAIT)
                self._respond(200, *(server.verdict or _NO_VERDICT))
        finally:
            server.done.set()

    def _respond(self, status: int, title: str, message: str) -> None:
        body = _page(title, message)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # The code is in this page's URL: keep it out of Referer headers of later requests.
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the authorization code: never log it.
        return


def verdict_of(error: BaseException) -> tuple[str, str]:
    """The final page's title and message for a sign-in refused with ``error``: this library's
    errors say why (and hold no secret); anything else is reported without detail."""
    if not isinstance(error, PartnerCenterError):
        return ("Sign-in not completed", "The application could not complete the sign-in.")
    reason = str(error).split("\n")[0]
    return ("Sign-in not completed", f"{reason} {error.hint}".strip())


class LoopbackServer:
    """Listen on ``127.0.0.1:port`` (0: a free port) for the redirect of one sign-in.

    Use as a context manager: the server runs in a daemon thread between ``__enter__`` and
    ``__exit__``. :attr:`redirect_uri` is ``http://localhost:{port}`` (what Azure AD matches
    against a registered ``http://localhost``, whatever the port). :meth:`wait` returns the
    redirect's parameters once a request with the expected ``state`` arrived.
    """

    def __init__(
        self,
        expected_state: str,
        *,
        port: int = 0,
        redirect_host: str = "localhost",
    ) -> None:
        self._capture = _Capture(expected_state)
        self._port = port
        self._redirect_host = redirect_host
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        """The port listened on (known once started)."""
        if not self._servers:
            raise RuntimeError("the loopback server is not running")
        return self._servers[0].server_port

    @property
    def redirect_uri(self) -> str:
        """``http://localhost:{port}``: the redirect URI to send in the authorize request."""
        return f"http://{self._redirect_host}:{self.port}"

    @property
    def ignored(self) -> int:
        """How many requests without this sign-in's state were refused."""
        return self._capture.ignored

    def start(self) -> LoopbackServer:
        """Bind and serve; :class:`~partnercenter.errors.SignInError` if the port is taken.

        ``localhost`` resolves to ``127.0.0.1`` or ``::1`` depending on the system, and not
        every client falls back from one to the other, so the same port is served on both
        loopback addresses (IPv6 only where the system has it and the port is free there).
        """
        try:
            first = _Server(("127.0.0.1", self._port), _Handler)
        except OSError as exc:
            raise SignInError(
                f"cannot listen for the sign-in redirect on 127.0.0.1:{self._port}: "
                f"{exc.strerror or exc}",
                hint="Choose another redirect_port, or 0 for any free port.",
            ) from None
        self._servers.append(first)
        if socket.has_ipv6:
            try:
                self._servers.append(_Server6(("::1", first.server_port), _Handler))
            except OSError:
                logger.debug("no IPv6 loopback for the sign-in redirect; IPv4 only")
        for server in self._servers:
            server.capture = self._capture
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="partnercenter-signin-redirect",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def wait(self, timeout: float | None) -> dict[str, str] | None:
        """The redirect's parameters, or ``None`` if none came within ``timeout`` seconds
        (once it came, also waits for :meth:`on_code`'s redemption to end)."""
        capture = self._capture
        if not capture.received.wait(timeout):
            return None
        capture.done.wait()
        return capture.result

    def release(self) -> None:
        """End :meth:`wait` now, without a redirect (the browser could not be opened)."""
        self._capture.received.set()
        self._capture.done.set()

    def on_code(self, redeem: Callable[[dict[str, str]], object]) -> None:
        """Run ``redeem(params)`` for the redirect that carries a code, in the request's thread,
        before the browser's page is written (which then says how it went); its result or
        exception comes back from :meth:`outcome`."""
        self._capture.on_code = redeem

    def outcome(self) -> object:
        """What :meth:`on_code`'s function returned (or raise what it raised)."""
        outcome = self._capture.outcome
        if outcome is None:
            raise RuntimeError("no code was redeemed")
        ok, value = outcome
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value

    def conclude(self, error: BaseException | None = None) -> None:
        """Tell the browser's page how the sign-in ended (the async credentials): complete, or
        refused and why (``error``'s message and hint, which never hold a secret)."""
        capture = self._capture
        if capture.concluded.is_set():
            return
        capture.verdict = _COMPLETE if error is None else verdict_of(error)
        capture.concluded.set()

    def close(self) -> None:
        """Stop serving and release the port."""
        servers, self._servers = self._servers, []
        self._capture.received.set()  # release any waiter
        self._capture.done.set()
        if not self._capture.concluded.is_set():
            self._capture.verdict = _NO_VERDICT
            self._capture.concluded.set()  # release a page still waiting for a verdict
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (for tests that need a fixed redirect port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
