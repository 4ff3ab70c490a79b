"""What every handler shares (``ApiContext``) and small helpers handlers have in common."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..._contract import pc_errors
from ..directory import Directory
from .call import Call, Json, Result
from .dataset import Dataset, public
from .errors import ApiError, invalid, not_found
from .paging import PageCutter

#: Applications tracked for the MFA adoption report (the directory's plus callers seen).
MAX_TRACKED_APPS = 1000


@dataclass
class MfaUsage:
    """App + user calls per application, with and without MFA (the adoption report's data)."""

    counts: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def seen(self, app_id: str, mfa: bool, now: float) -> None:
        """Count one app + user call of ``app_id``."""
        with self._lock:
            entry = self.counts.get(app_id)
            if entry is None:
                if len(self.counts) >= MAX_TRACKED_APPS:
                    return
                entry = self.counts[app_id] = [0, 0, 0.0]
            entry[0 if mfa else 1] += 1
            entry[2] = now


@dataclass
class ApiContext:
    """The data and services every handler works with."""

    data: Dataset
    pager: PageCutter
    directory: Directory
    mfa_usage: MfaUsage


Handler = Callable[[ApiContext, Call], Result]


def customer_of(ctx: ApiContext, call: Call) -> Json:
    """The customer named by ``{customer_id}``, or 404 / 1000."""
    cid = call.param("customer_id")
    customer = ctx.data.customer(cid)
    if customer is None:
        raise not_found(f"Customer '{cid}'")
    return customer


def customer_item(
    ctx: ApiContext, call: Call, index: Mapping[tuple[str, str], Json], param: str, label: str
) -> tuple[Json, Json]:
    """The customer named by ``{customer_id}`` and its item named by ``{param}`` in ``index``
    (keyed by both ids, lower case); 404 for either one missing, the customer checked first."""
    customer = customer_of(ctx, call)
    wanted = call.param(param)
    item = index.get((customer["id"].lower(), wanted.lower()))
    if item is None:
        raise not_found(f"{label} '{wanted}'")
    return customer, item


def record_change(
    ctx: ApiContext,
    call: Call,
    customer: Json,
    resource_type: str,
    operation: str,
    new_value: Json,
) -> None:
    """The audit record of a change the calling principal made to ``customer``."""
    ctx.data.record(
        customer,
        resource_type,
        operation,
        call.now,
        request_id=call.request_id,
        upn=call.principal.upn,
        application_id=call.principal.app_id,
        new_value=new_value,
    )


def ok(body: Any, *, status: int = 200, etag: str | None = None) -> Result:
    """A JSON answer; ``etag`` adds the double-quoted ``ETag`` header."""
    headers = {"ETag": f'"{etag}"'} if etag else {}
    return Result(body, status, headers)


def check_if_match(call: Call, current: str) -> None:
    """``If-Match`` (when sent) must name the current ETag, else 400 / 2055."""
    sent = call.headers.get("if-match")
    if sent is None:
        return
    tags = [tag.strip() for tag in sent.split(",")]
    for tag in tags:
        if tag == "*":
            return
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == current:
            return
    raise ApiError(pc_errors.ETAG_INVALID)


def date_param(call: Call, name: str, *, end_of_day: bool = False) -> float | None:
    """An ISO 8601 date or timestamp query parameter as epoch seconds (400 / 3000 if bad)."""
    raw = call.query.get(name.lower())
    if raw is None or raw == "":
        return None
    return parse_date(raw, name, end_of_day=end_of_day)


def parse_date(raw: str, name: str, *, end_of_day: bool = False) -> float:
    """An ISO 8601 date or timestamp as epoch seconds (400 / 3000 naming ``name`` if bad)."""
    try:
        if len(raw) > 40:
            raise ValueError
        parsed = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"'{name}' must be an ISO 8601 date, e.g. 2026-10-01.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    value = parsed.timestamp()
    if end_of_day and len(raw.strip()) <= 10:
        value += 86_400 - 1
    return value


def json_filter(call: Call, fields: dict[str, set[str]]) -> tuple[str, str, str] | None:
    """Partner Center's ``filter={"Field": ..., "Value": ..., "Operator": ...}``.

    ``fields`` maps each accepted field (case-insensitive) to its accepted operators.
    Returns (field, value, operator) lower-cased except the value.
    """
    raw = call.query.get("filter")
    if raw is None or raw == "":
        return None
    try:
        spec = json.loads(raw) if len(raw) <= 2048 else None
    except (ValueError, RecursionError):
        spec = None
    if not isinstance(spec, dict):
        raise invalid("'filter' must be a JSON object with Field, Value and Operator.")
    found = {str(key).lower(): value for key, value in spec.items()}
    field_name, value, operator = found.get("field"), found.get("value"), found.get("operator")
    if not isinstance(field_name, str) or field_name.lower() not in fields:
        raise invalid(f"The filter field must be one of {', '.join(sorted(fields))}.")
    allowed = fields[field_name.lower()]
    if not isinstance(operator, str) or operator.lower() not in allowed:
        raise invalid(f"The filter operator must be one of {', '.join(sorted(allowed))}.")
    if not isinstance(value, str):
        raise invalid("The filter value must be a string.")
    return field_name.lower(), value, operator.lower()


def strip(items: list[Json]) -> list[Json]:
    """Resources without the emulator's private fields."""
    return [public(item) for item in items]
