"""The token-request flow: one request to a token endpoint, with its retries.

The flow yields what it needs done (an ``httpx.Request`` to send, or a :class:`Sleep`) and
receives the answers; retries, back-off and error mapping live here once. Both drivers of
:mod:`partnercenter._core.steps` run it: ``drive`` for the blocking credentials, ``drive_async``
for those of :mod:`partnercenter.aio`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Generator
from typing import TypeVar

import httpx

from .._core.steps import Sleep
from .._core.timing import Timing
from ..errors import TokenEndpointUnreachableError
from .policy import RetryPolicy, retry_delay
from .protocol import (
    TokenRequest,
    TokenResponse,
    build_httpx_request,
    parse_error_response,
    parse_token_response,
)

__all__ = ["Sleep", "TokenFlow", "is_certificate_error", "request_flow", "token_flow"]

logger = logging.getLogger("partnercenter.auth")

T = TypeVar("T")


#: A flow: yields steps, is sent responses (``None`` after a sleep), returns the token response.
TokenFlow = Generator[httpx.Request | Sleep, httpx.Response | None, TokenResponse]


def request_flow(
    build: Callable[[float], TokenRequest],
    parse: Callable[[int, httpx.Headers, bytes, float, tuple[str, ...]], T],
    *,
    retry: RetryPolicy,
    timing: Timing,
    what: str = "the token endpoint",
) -> Generator[httpx.Request | Sleep, httpx.Response | None, T]:
    """Send one form POST to an Azure AD endpoint (``what`` names it in errors), retrying 429,
    5xx and connection failures as ``retry`` says (the time and the jitter come from
    ``timing``; the driver does the sleeping), and return ``parse(status, headers, body,
    sent_at, secrets)`` of the first 2xx answer (``parse`` raises for an error body).

    ``build(now)`` makes the request for one attempt; it is called again for every retry, so a
    certificate credential signs a fresh assertion (a new ``jti``) each time.
    """
    clock, random = timing.clock, timing.random
    retries = 0
    while True:
        sent_at = clock()
        request = build(sent_at)
        try:
            response = yield build_httpx_request(request)
        except httpx.TransportError as exc:
            if is_certificate_error(exc):
                # Retrying cannot make an untrusted certificate trusted: fail now.
                raise TokenEndpointUnreachableError(
                    f"{what} {request.url} has a TLS certificate that is not "
                    f"trusted ({type(exc).__name__}: {exc})",
                    hint="Give the credential verify= with the CA file that issued the "
                    "endpoint's certificate (e.g. the emulator's ca_cert or a company proxy's CA).",
                ) from exc
            delay = retry_delay(retry, retries, random())
            if delay is None:
                raise TokenEndpointUnreachableError(
                    f"cannot reach {what} {request.url}: {type(exc).__name__}: {exc}".rstrip(": "),
                    hint="Check the network, the authority host, and verify= (the CA file).",
                ) from exc
            logger.info(
                "request to %s failed (%s); retry %d in %.2f s",
                request.url,
                type(exc).__name__,
                retries + 1,
                delay,
            )
        else:
            assert response is not None
            status = response.status_code
            if 200 <= status <= 299:
                return parse(status, response.headers, response.content, sent_at, request.secrets)
            error = parse_error_response(
                status, response.headers, response.content, now=clock(), secrets=request.secrets
            )
            retry_after = getattr(error, "retry_after", None)
            delay = retry_delay(retry, retries, random(), status=status, retry_after=retry_after)
            if delay is None:
                logger.debug("request to %s failed: HTTP %d", request.url, status)
                raise error
            logger.info(
                "request to %s answered HTTP %d; retry %d in %.2f s",
                request.url,
                status,
                retries + 1,
                delay,
            )
        retries += 1
        yield Sleep(delay)


def _token_response(
    status: int, headers: httpx.Headers, body: bytes, sent_at: float, secrets: tuple[str, ...]
) -> TokenResponse:
    return parse_token_response(status, headers, body, sent_at=sent_at, secrets=secrets)


def token_flow(
    build: Callable[[float], TokenRequest],
    *,
    retry: RetryPolicy,
    timing: Timing,
) -> TokenFlow:
    """Request a token (:func:`request_flow` to the token endpoint): its answer parsed into a
    :class:`~partnercenter._credentials.protocol.TokenResponse`, or the error it means raised."""
    return request_flow(build, _token_response, retry=retry, timing=timing)


def is_certificate_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) is a TLS certificate verification failure."""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short: httpx -> httpcore -> ssl
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
