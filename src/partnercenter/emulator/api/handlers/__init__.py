"""The handlers of every catalog operation, by operation name (``HANDLERS``)."""

from __future__ import annotations

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
