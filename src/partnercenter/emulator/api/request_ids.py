"""The tracing headers of every Partner Center response.

Partner Center echoes ``MS-RequestId`` and ``MS-CorrelationId`` (generating GUIDs when the
caller sent none) and adds ``MS-CV`` (a correlation vector) and ``MS-ServerId``.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from dataclasses import dataclass

from starlette.datastructures import Headers

from ..._contract.wire import HEADER_CORRELATION_ID, HEADER_REQUEST_ID

HEADER_CV = "MS-CV"
HEADER_SERVER_ID = "MS-ServerId"
#: A fixed server id (Partner Center's are numeric strings naming the front-door instance).
SERVER_ID = "101110001"

#: What may be echoed back: ids are GUIDs in practice; anything printable and short passes,
#: anything else is replaced by a fresh GUID rather than reflected.
_ECHOABLE = re.compile(r"^[\x21-\x7e]{1,128}$")
#: A correlation vector: base64 base plus dot-separated counters (bounded length).
_CV = re.compile(r"^[A-Za-z0-9+/]{16,22}(\.[0-9]{1,10}){1,8}$")


@dataclass(frozen=True, slots=True)
class RequestIds:
    """The ids of one request, as echoed or generated."""

    request_id: str
    correlation_id: str
    cv: str
    #: The caller sent ``MS-RequestId`` (only then is a POST replay detectable).
    request_id_sent: bool

    def headers(self) -> dict[str, str]:
        """The four tracing headers of the response."""
        return {
            HEADER_REQUEST_ID: self.request_id,
            HEADER_CORRELATION_ID: self.correlation_id,
            HEADER_CV: self.cv,
            HEADER_SERVER_ID: SERVER_ID,
        }


def request_ids(headers: Headers) -> RequestIds:
    """Read (or make) the request's ids; the correlation vector is extended when sent."""
    sent = headers.get(HEADER_REQUEST_ID, "")
    request_id = sent if _ECHOABLE.match(sent) else str(uuid.uuid4())
    correlation = headers.get(HEADER_CORRELATION_ID, "")
    incoming_cv = headers.get(HEADER_CV, "")
    cv = (
        f"{incoming_cv}.0"
        if _CV.match(incoming_cv) and incoming_cv.count(".") < 8
        else base64.b64encode(os.urandom(12)).decode("ascii") + ".0"
    )
    return RequestIds(
        request_id=request_id,
        correlation_id=correlation if _ECHOABLE.match(correlation) else str(uuid.uuid4()),
        cv=cv,
        request_id_sent=request_id == sent,
    )
