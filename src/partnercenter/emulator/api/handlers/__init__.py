"""The handlers of every catalog operation, by operation name (``HANDLERS``).

Registered against the shared catalog (:mod:`partnercenter._contract.operations`): routing, the
app + user rule and the role check come from an operation's entry, its handler only answers.
An operation without a handler, or a handler for no operation, stops the import.
"""

from __future__ import annotations

from ...._contract.operations import OPERATIONS
from ..context import Handler
from . import billing, commerce, customers, partner, profiles, users

HANDLERS: dict[str, Handler] = {
    **profiles.HANDLERS,
    **customers.HANDLERS,
    **users.HANDLERS,
    **commerce.HANDLERS,
    **billing.HANDLERS,
    **partner.HANDLERS,
}

_UNMATCHED = sorted({op.name for op in OPERATIONS} ^ set(HANDLERS))
if _UNMATCHED:  # a programming error in this package, caught on the first import
    raise RuntimeError(f"catalog operations and emulator handlers differ: {_UNMATCHED}")
