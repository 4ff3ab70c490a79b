"""The dashboard's live log: rows read from the emulator's one request journal.

Nothing is recorded here: :mod:`partnercenter.emulator.journal` records every request, for
tests and for this page alike. A row shows what a person watching wants at a glance (the
application's name, who called, the error in words) and less than the journal holds: no
query string (it carries ``state`` and ``login_hint``), no tenant or audience. The admin API
and the dashboard's own calls are left out: they would drown what the page is for.
"""

from __future__ import annotations

from typing import Any

from ..directory import Directory
from ..journal import Journal, JournalEntry

#: Rows one poll returns at most (the newest); the page keeps as many.
MAX_ROWS = 500


def rows(journal: Journal, directory: Directory, after: int) -> list[dict[str, Any]]:
    """The live log's rows for the journal's entries after sequence number ``after``."""
    found = [(seq, entry) for seq, entry in journal.after(after) if entry.kind != "admin"]
    # Names read better than client ids; resolved now, so a renamed app shows its new name.
    return [_row(seq, entry, directory) for seq, entry in found[-MAX_ROWS:]]


def _row(seq: int, entry: JournalEntry, directory: Directory) -> dict[str, Any]:
    app = directory.app(entry.client_id) if entry.client_id else None
    return {
        "seq": seq,
        "at": entry.at,
        "kind": entry.kind,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "ms": round(entry.duration_ms, 2),
        "grant_type": entry.grant_type,
        "client_id": entry.client_id,
        "app": app.name if app is not None else None,
        "scope": entry.scope,
        "caller": caller(entry),
        "error": error_text(entry),
    }


def caller(entry: JournalEntry) -> str | None:
    """Who an API call's bearer token says called (the application is in its own column)."""
    if entry.kind != "api" or entry.token_kind is None:
        return None
    if entry.token_kind == "app":
        return "app-only"
    return f"app + user {entry.user or '?'} ({'MFA' if entry.mfa else 'no MFA'})"


def error_text(entry: JournalEntry) -> str | None:
    """The failure in words: ``AADSTS7000215 invalid_client``, ``Partner Center 900154``..."""
    if entry.status == 0:
        return "no answer (connection dropped)"
    code = entry.error
    if code is None:
        return None
    if code.startswith("AADSTS"):
        return f"{code} {entry.error_name or ''}".rstrip()
    if entry.status == 429:
        return "throttled"
    if code == str(entry.status):
        return None  # the answer named no code: the status column says it all
    return f"Partner Center {code}" if code.isdigit() else code
