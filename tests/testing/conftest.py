"""The plugin's tests run pytest in this process (pytester), which forgets every module the
inner run imported first. httpx imports httpcore lazily and caches its exception classes on
first use: if an inner run were the first to import httpcore, later requests here would raise
httpcore's exceptions unmapped. Importing it now keeps one httpcore for the whole session."""

from __future__ import annotations

import httpcore  # noqa: F401
