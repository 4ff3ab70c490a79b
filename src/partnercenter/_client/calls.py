"""The typed operations' calls, built from the catalog for the blocking and the async client.

:func:`build` turns a typed method's arguments into the :class:`ApiCall` of the catalog
operation of the same name: path parameters into the path, each :class:`~partnercenter.
operations.Param` checked by its kind and put where the catalog says (query, body, a field of a
built body, ``If-Match``). The generated methods (``_client/_operations_sync.py``,
``aio/_operations_async.py``) only choose how to run the call (one answer, a pager, a status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final

from .._contract import operations
from .._contract.operations import Kind, Operation, Param, Where
from ..errors import ConfigurationError
from .core import ApiCall, operation_call

__all__ = ["build", "check_argument"]


def _mapping(argument: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(argument, "must be a dict (the JSON body Partner Center expects)")
    return dict(value)


def _size(argument: str, size: object) -> object:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(argument, "must be a positive int (items per page)")
    return size


def _date(argument: str, value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ConfigurationError(argument, "must be a date, a datetime or an ISO 8601 string")


def _text(argument: str, value: object) -> object:
    if not isinstance(value, str):
        raise ConfigurationError(argument, "must be a string")
    return value


def _secret(argument: str, value: object) -> object:
    # The message never shows the value: it is a password.
    if not isinstance(value, str) or not value:
        raise ConfigurationError(argument, "must be a non-empty string")
    return value


def _filter(argument: str, value: object) -> object:
    if not isinstance(value, Mapping | str):
        raise ConfigurationError(argument, "must be a dict (Partner Center's filter) or its JSON")
    return dict(value) if isinstance(value, Mapping) else value


def _flag(argument: str, value: object) -> object:
    if not isinstance(value, bool):
        raise ConfigurationError(argument, "must be True or False")
    return value


_CHECKS: Final[dict[Kind, Callable[[str, object], object]]] = {
    Kind.TEXT: _text,
    Kind.SECRET: _secret,
    Kind.SIZE: _size,
    Kind.DATE: _date,
    Kind.FILTER: _filter,
    Kind.FLAG: _flag,
    Kind.MAPPING: _mapping,
}


def check_argument(param: Param, value: object) -> object:
    """``value`` as it goes on the wire, after the check of ``param.kind``
    (:class:`~partnercenter.errors.ConfigurationError` naming the argument, never showing the
    value). ``None`` stays ``None`` (not sent) unless the argument is required."""
    if value is None:
        if param.required:
            raise ConfigurationError(param.name, "is required")
        return None
    return _CHECKS[param.kind](param.name, value)


def _put(body: dict[str, Any], dotted: str, value: object) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[leaf] = value


def _call(op: Operation, values: tuple[object, ...]) -> ApiCall:
    path_count = len(op.parameters)
    # operation_call checks each path value (a non-empty string, naming the argument).
    path: dict[str, Any] = dict(zip(op.parameters, values[:path_count], strict=True))
    params: dict[str, object] = {}
    json: Any = None
    if_match: str | None = None
    fields: dict[str, Any] = {}
    for param, raw in zip(op.signature_params, values[path_count:], strict=True):
        value = check_argument(param, raw)
        where = param.where
        if where is Where.QUERY:
            params[param.wire] = value
        elif where is Where.BODY:
            json = value
        elif where is Where.FIELD:
            _put(fields, param.wire, value)
        elif value is not None:
            if_match = str(value)
    if op.object_type:
        json = {**fields, "attributes": {"objectType": op.object_type}}
    elif fields:
        json = fields
    return operation_call(op, params=params or None, json=json, if_match=if_match, **path)


def build(name: str, *values: object) -> ApiCall:
    """The call of catalog operation ``name`` from its typed method's arguments, given in the
    order of ``Operation.arguments`` (path parameters first, then the signature's order)."""
    op = operations.BY_NAME[name]
    if len(values) != len(op.arguments):
        raise TypeError(f"{name} takes {len(op.arguments)} arguments, not {len(values)}")
    return _call(op, values)
