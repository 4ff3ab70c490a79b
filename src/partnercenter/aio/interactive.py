"""Async twin of :class:`partnercenter.InteractiveBrowserCredential`.

The loopback server is the same threaded one; the coroutine waits for it in a worker thread
(cancellable), and opening the browser also runs in a worker thread because
``webbrowser.open`` may block until the browser process exits.
"""

from __future__ import annotations

import functools
import logging

import anyio.to_thread

from .._credentials.interactive import (
    InteractiveBrowserFlows,
    concluding,
    open_url,
    redirect_code,
)
from .._credentials.loopback import LoopbackServer
from .._credentials.protocol import TokenResponse
from .._credentials.signin_protocol import new_state
from .._credentials.user_credential import SignInRequest
from .user_credential import AsyncUserSignInCredential

__all__ = ["InteractiveBrowserCredential"]

logger = logging.getLogger("partnercenter.auth")


class InteractiveBrowserCredential(InteractiveBrowserFlows, AsyncUserSignInCredential):
    """App + user tokens from a browser sign-in (authorization code + PKCE), async. Same
    arguments as :class:`partnercenter.InteractiveBrowserCredential`; ``open_browser`` (when a
    callable) runs in a worker thread."""

    async def _browser_sign_in(self, sign_in: SignInRequest) -> TokenResponse:
        state = new_state()
        with LoopbackServer(state, port=self._redirect_port) as server:
            authorization = self._authorize(server, state, sign_in)
            # The opener runs beside the wait, not before it: a callable that drives a browser to
            # the final page returns only once that page has the verdict given below.
            opener_failure: list[Exception] = []

            async def run_opener() -> None:
                try:
                    await anyio.to_thread.run_sync(
                        functools.partial(open_url, self._open_browser, authorization.url),
                        abandon_on_cancel=True,
                    )
                except Exception as exc:  # raised below, in this task, as itself
                    opener_failure.append(exc)
                    server.release()

            failure: Exception | None = None
            async with anyio.create_task_group() as group:
                group.start_soon(run_opener)
                try:
                    # On cancellation the worker is abandoned; closing the server releases it.
                    params = await anyio.to_thread.run_sync(
                        server.wait, self._sign_in_timeout, abandon_on_cancel=True
                    )
                    if opener_failure:
                        raise opener_failure[0]
                    # The browser's page waits for this verdict (LoopbackServer.conclude).
                    with concluding(server):
                        code = redirect_code(
                            params, authorization, self._sign_in_timeout, self._clock()
                        )
                        response = await self._run(
                            self._redemption_flow(sign_in.tenant, authorization, code)
                        )
                        sign_in.check(response)
                except Exception as exc:
                    # Raised after the group, as itself (not wrapped in an ExceptionGroup).
                    failure = exc
                    group.cancel_scope.cancel()
            if failure is not None:
                raise failure
        return response
