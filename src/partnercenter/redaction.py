"""Saying what is wrong with a value without showing it.

Argument checks and ``repr`` must never print a value that could be a secret: a user who keeps
.NET's argument order ``(appId, appSecret, aadDomain)`` passes the client secret as the client
id, and an error that quotes it puts the secret in a log. So:

- a *rejected* value is never quoted: :func:`describe` says what it is (its type, its length,
  and the secret it looks like: "a 40-character string that looks like a client secret");
- an *accepted* free-text value (a path, a store key, a user name) is shown by :func:`shown`,
  which quotes it unless it looks like a secret;
- :func:`redact_text` replaces secret-shaped words in a finished message (the CLI's last line
  of defence for messages written by other libraries, such as click's).

The shapes are the public formats: Entra ID client secrets (``xxx8Q~`` and 31 to 34 more
characters, the form documented for secret scanning), JWTs (``eyJ``, three base64url parts:
access tokens, ID tokens, client assertions), Entra refresh tokens (``0.A``/``1.A`` followed by a
long base64url body), PEM blocks, long hexadecimal keys and other long random strings.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["describe", "redact_text", "safe_repr", "secret_shape", "shown"]

_GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN: Final = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$"
)
# Entra ID client secrets since 2021: three characters, a digit, "Q~", then 31-34 more.
_CLIENT_SECRET: Final = re.compile(r"^[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}$")
_JWT: Final = re.compile(r"^eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*)?$")
_REFRESH_TOKEN: Final = re.compile(r"^[01]\.A[A-Za-z0-9_\-.*~]{40,}$")
_HEX: Final = re.compile(r"^[0-9a-fA-F]{32,}$")
# Padded base64 of 30 bytes or more: older Entra secrets (32 random bytes, 44 characters).
_BASE64: Final = re.compile(r"^[A-Za-z0-9+/]{38,}={1,2}$")
# Base64, base64url and the characters of older Entra secrets.
_RANDOM: Final = re.compile(r"^[A-Za-z0-9+/_~.=\-]{20,}$")
_WORD: Final = re.compile(r"[A-Za-z0-9+/_~.=\-]{16,}")
#: Strings this long are never quoted, whatever they look like.
_MAX_SHOWN: Final = 256


def _classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def secret_shape(value: str, *, strict: bool = False) -> str | None:
    """The kind of secret ``value`` looks like ("a client secret", "a JWT ...", ...), or
    ``None`` when it looks like an identifier, a name or a path.

    ``strict`` keeps to the documented formats (client secret, JWT, refresh token, PEM), which
    no identifier has: checks may refuse such a value outright. Without it, long hexadecimal
    and long random-looking strings count too (some names will: fine for hiding, not for
    refusing)."""
    text = value.strip()
    if "-----BEGIN" in text or "PRIVATE KEY" in text:
        return "a PEM key or certificate"
    if _JWT.match(text):
        return "a JWT (an access token or a client assertion)"
    if _REFRESH_TOKEN.match(text):
        return "a refresh token"
    if _CLIENT_SECRET.match(text):
        return "a client secret"
    if strict or _GUID.match(text) or _DOMAIN.match(text):
        return None
    if _HEX.match(text):
        return "a key (a long hexadecimal string)"
    if _BASE64.match(text):
        return "a client secret or key (base64)"
    if "~" in text and len(text) >= 30 and _RANDOM.match(text):
        return "a client secret"
    if (
        _RANDOM.match(text)
        and not text.startswith(("/", ".", "~/"))
        and _classes(text) >= 3
        # Identifiers and file names are words with separators; random strings rarely are.
        and not re.fullmatch(r"[A-Za-z][a-z]*(?:[-_.][A-Za-z0-9]+)*", text)
    ):
        return "a random string (a secret or a key)"
    return None


def describe(value: object) -> str:
    """What ``value`` is, never what it says: ``"a 40-character string that looks like a
    client secret"``, ``"an empty string"``, ``"an int"``."""
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes"
    if not isinstance(value, str):
        name = type(value).__name__
        article = "an" if name[:1].lower() in "aeiou" else "a"
        return f"{article} {name}"
    if not value:
        return "an empty string"
    if not value.strip():
        return f"a string of {len(value)} blank characters"
    text = f"a {len(value)}-character string"
    shape = secret_shape(value)
    if shape is not None:
        text += f" that looks like {shape}"
    elif any(not c.isprintable() for c in value):
        text += " with control characters"
    return text


def shown(value: object) -> str:
    """``repr(value)`` for a string that does not look like a secret; otherwise (and for
    long strings) its :func:`describe` in angle brackets."""
    text = str(value) if not isinstance(value, str) else value
    if len(text) > _MAX_SHOWN or secret_shape(text) is not None:
        return f"<{describe(text)}>"
    # A secret inside (a path segment, a word of a phrase) is replaced, the rest shown.
    return repr(redact_text(text))


def safe_repr(value: object) -> str:
    """A ``repr`` for any field of a public record: :func:`shown` for strings, the number for
    numbers, this library's own reprs (which are safe) for its objects, and a description for
    anything else (a record built with the wrong type must not print what it was given)."""
    if isinstance(value, str):
        return shown(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        items = [shown(v) for v in value]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if type(value).__module__.startswith("partnercenter."):
        return repr(value)
    return f"<{describe(value)}>"


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped word replaced by its description (paths are split at
    their separators, so a secret used as a file name is caught too)."""

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if secret_shape(word) is not None:
            return f"<{describe(word)}>"
        # A path or a URL: look at its parts.
        parts = re.split(r"([/\\:=])", word)
        if len(parts) > 1 and any(secret_shape(p) for p in parts if len(p) >= 16):
            return "".join(f"<{describe(p)}>" if secret_shape(p) else p for p in parts)
        return word

    return _WORD.sub(replace, text)
