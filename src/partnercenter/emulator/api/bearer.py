"""Bearer-token validation for the Partner Center API, as Partner Center enforces it.

A token is accepted only if it is a compact RS256 JWS signed by one of the emulator's
published keys (looked up by ``kid``), issued by ``https://sts.windows.net/{partner}/`` for
the partner tenant, for the Partner Center audience (its URI or application id), and inside
its ``nbf``/``exp`` window give or take ``skew`` seconds. Everything else is refused with
Partner Center's answer: 401 / 400 (generic), or 401 / 900420 for the retired
``https://graph.windows.net`` audience. ``alg: none``, HS256 "signed" with the public key,
unknown ``kid``, tampered payloads, other issuers and tenants, oversized and malformed tokens
all fail one of those checks.

Speed: the hot path is ``cryptography``'s RS256 verify (~37 us) plus a few microseconds of
C-level base64 and JSON; PyJWT's ``decode`` spends ~200 us, mostly in a pure-Python alphabet
check, so it is not used here. A validated token is kept in a small LRU keyed by the token
string; a hit costs a dict look-up, a key-still-published check and the expiry check.
"""

from __future__ import annotations

import binascii
import json
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ..._contract import pc_errors
from ..._contract.wire import AAD_GRAPH_APP_ID, AAD_GRAPH_RESOURCE, V1_ISSUER_TEMPLATE
from ..clock import Clock
from ..keys import KeyRing, SigningKey
from .errors import ApiError

#: Larger tokens are refused before any parsing (Azure AD access tokens stay well below).
MAX_TOKEN_CHARS = 16 * 1024
#: Microsoft.IdentityModel's default clock skew for ``nbf``/``exp``.
DEFAULT_SKEW_SECONDS = 300
#: Validated tokens remembered; a client holds one token per hour, so this covers thousands
#: of concurrent callers while bounding memory against token floods.
DEFAULT_CACHE_SIZE = 4096
#: Distinct JWS headers remembered (one or two per signing key in practice).
_HEADER_CACHE_SIZE = 64

_URL_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_GRAPH_AUDIENCES = frozenset({AAD_GRAPH_RESOURCE, AAD_GRAPH_RESOURCE + "/", AAD_GRAPH_APP_ID})

#: The challenge of a 401 for MFA (900421), as Partner Center sends it. Other 401s carry the
#: form Partner Center's error-code page documents (``oauth_challenge``), added when the
#: answer is rendered, since it names the request.
CHALLENGE_INVALID = 'Bearer error="invalid_token"'


def oauth_challenge(correlation_id: str) -> str:
    """``OAuth realm=urn:cpsvc:cpid:{id}``: Partner Center's documented 401 challenge
    (https://learn.microsoft.com/partner-center/developer/error-codes). The page shows a
    placeholder for the id; the emulator names the request's correlation id."""
    return f"OAuth realm=urn:cpsvc:cpid:{correlation_id}"


class Principal(NamedTuple):
    """Who a validated token speaks for (a tuple: built on every fresh validation, cheaply)."""

    tenant_id: str
    #: The calling application (``appid`` of v1 tokens, ``azp`` of v2).
    app_id: str
    object_id: str
    #: App + user (delegated: the token has an ``scp`` claim) rather than app-only.
    user: bool
    #: ``amr`` contains ``mfa``.
    mfa: bool
    upn: str | None
    scopes: tuple[str, ...]
    roles: tuple[str, ...]
    expires: float
    not_before: float


def b64url_strict(segment: str) -> bytes:
    """Decode unpadded base64url at C speed; ``ValueError`` for anything else."""
    raw = segment.encode("ascii")  # UnicodeEncodeError is a ValueError
    # After mapping "-_" to "+/", strict_mode refuses every other non-alphabet byte (and a
    # length of 4n + 1); three memchr scans refuse the standard alphabet's "+/=" beforehand.
    if b"+" in raw or b"/" in raw or b"=" in raw:
        raise ValueError("not base64url")
    return binascii.a2b_base64(
        raw.translate(_URL_TO_STANDARD) + b"=" * (-len(raw) % 4), strict_mode=True
    )


def refused(detail: str) -> ApiError:
    """401 / 400 (the challenge is added when the answer is rendered)."""
    return ApiError(pc_errors.AUTHENTICATION_FAILED, detail=detail)


class TokenValidator:
    """Validates Partner Center bearer tokens against an emulator's keys and clock."""

    def __init__(
        self,
        keys: KeyRing,
        clock: Clock,
        partner_tenant_id: str,
        audiences: Iterable[str],
        *,
        skew: float = DEFAULT_SKEW_SECONDS,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._tenant = partner_tenant_id.lower()
        self._issuer = V1_ISSUER_TEMPLATE.format(tenant_id=partner_tenant_id)
        # Entra echoes the resource as the client spelled it; GUIDs and hosts are
        # case-insensitive, so the comparison is too.
        self._audiences = frozenset(audience.lower() for audience in audiences)
        self._skew = skew
        self._cache_size = cache_size
        #: token -> (principal, the key that verified it)
        self._cache: OrderedDict[str, tuple[Principal, SigningKey]] = OrderedDict()
        self._headers: dict[str, str] = {}

    def clear(self) -> None:
        """Forget every validated token (the next use verifies again)."""
        self._cache.clear()

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value, or the documented refusal."""
        if not authorization:
            raise ApiError(pc_errors.TOKEN_MISSING)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise ApiError(pc_errors.TOKEN_MISSING)
        token = token.strip()
        if not token:
            raise ApiError(pc_errors.TOKEN_MISSING)
        return self.validate(token)

    def validate(self, token: str) -> Principal:
        """The principal a token speaks for; ``ApiError`` (401) when it is not acceptable."""
        cached = self._cache.get(token)
        # A hit counts only while its key is still published (rotation drops old keys).
        if cached is not None and self._keys.get(cached[1].kid) is cached[1]:
            principal = cached[0]
            self._check_times(principal.not_before, principal.expires)
            self._cache.move_to_end(token)
            return principal
        principal, key = self._verify(token)
        self._cache[token] = (principal, key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    def _check_times(self, not_before: float, expires: float) -> None:
        now = self._clock.now()
        if now > expires + self._skew:
            raise refused("The token is expired.")
        if now < not_before - self._skew:
            raise refused("The token is not yet valid.")

    def _key(self, encoded_header: str) -> SigningKey:
        kid = self._headers.get(encoded_header)
        if kid is None:
            try:
                header = json.loads(b64url_strict(encoded_header))
            except (ValueError, RecursionError):
                raise refused("The token is malformed: the header is not JSON.") from None
            if not isinstance(header, dict):
                raise refused("The token is malformed: the header is not a JSON object.")
            alg = header.get("alg")
            if alg != "RS256":
                raise refused(f"The token's algorithm '{alg}' is not accepted; RS256 only.")
            if "crit" in header:
                # RFC 7515 4.1.11: critical extensions this validator does not know.
                raise refused("The token's header has critical extensions.")
            found = header.get("kid")
            if not isinstance(found, str) or not found:
                raise refused("The token's header names no signing key (kid).")
            kid = found
            if len(self._headers) >= _HEADER_CACHE_SIZE:
                self._headers.clear()
            self._headers[encoded_header] = kid
        key = self._keys.get(kid)
        if key is None:
            raise refused("The token's signing key is not one of the issuer's published keys.")
        return key

    def _verify(self, token: str) -> tuple[Principal, SigningKey]:
        if len(token) > MAX_TOKEN_CHARS:
            raise refused("The token is too large.")
        parts = token.split(".")
        if len(parts) != 3:
            raise refused("The token is malformed: a JWT has three dot-separated parts.")
        encoded_header, encoded_payload, encoded_signature = parts
        key = self._key(encoded_header)
        # An RS256 signature is exactly as long as the key's modulus. With the length fixed
        # and "+/=" refused, the non-strict decode cannot be fooled: any stray character
        # shortens the decoded signature, which then fails verification.
        if (
            len(encoded_signature) != _signature_chars(key)
            or "+" in encoded_signature
            or "/" in encoded_signature
        ):
            raise refused("The token's signature is invalid.")
        try:
            raw_signature = encoded_signature.encode("ascii")
            signature = binascii.a2b_base64(
                raw_signature.translate(_URL_TO_STANDARD) + b"=" * (-len(raw_signature) % 4)
            )
            signing_input = token[: len(encoded_header) + len(encoded_payload) + 1].encode("ascii")
        except ValueError:
            raise refused("The token is malformed: the signature is not base64url.") from None
        try:
            key.public_key.verify(signature, signing_input, _PKCS1, _SHA256)
        except InvalidSignature:
            raise refused("The token's signature is invalid.") from None
        try:
            # The payload segment is part of the signed input, so it is exactly what the
            # issuer encoded: the cheaper non-strict decode is safe here (and ~3 us faster).
            raw = encoded_payload.encode("ascii")
            claims = json.loads(
                binascii.a2b_base64(raw.translate(_URL_TO_STANDARD) + b"=" * (-len(raw) % 4))
            )
        except (ValueError, RecursionError):
            raise refused("The token is malformed: the payload is not JSON.") from None
        if not isinstance(claims, dict):
            raise refused("The token is malformed: the payload is not a JSON object.")
        return self._principal(claims), key

    def _principal(self, claims: dict[str, Any]) -> Principal:
        # Every claim read here is type-checked first: a correctly signed token can still
        # carry a list, object or number where a string belongs, and that is a 401, not a
        # crash (a list is unhashable, an object has no .lower()).
        get = claims.get
        audience = get("aud")
        if type(audience) is not str:
            raise refused("The token's 'aud' claim must be a string.")
        lowered = audience.lower()
        if lowered in _GRAPH_AUDIENCES:
            raise ApiError(pc_errors.GRAPH_AUDIENCE)
        if lowered not in self._audiences:
            raise refused(f"The token's audience '{audience}' is not Partner Center.")
        tenant = get("tid")
        if type(tenant) is not str or tenant.lower() != self._tenant:
            raise refused("The token was issued for another tenant than the partner's.")
        issuer = get("iss")
        if issuer != self._issuer:
            raise refused(f"The token's issuer '{issuer}' is not accepted.")
        expires, not_before = _epoch(get("exp")), _epoch(get("nbf", 0))
        if expires is None or not_before is None:
            raise refused("The token's 'exp' and 'nbf' must be numbers.")
        self._check_times(not_before, expires)
        scope, app_id, azp, object_id = get("scp"), get("appid"), get("azp"), get("oid")
        upn, unique_name, amr, roles = get("upn"), get("unique_name"), get("amr"), get("roles")
        # One cheap test on the hot path; the slow path names the offending claim.
        if (
            type(scope) not in _STRING_OR_ABSENT
            or type(app_id) not in _STRING_OR_ABSENT
            or type(azp) not in _STRING_OR_ABSENT
            or type(object_id) not in _STRING_OR_ABSENT
            or type(upn) not in _STRING_OR_ABSENT
            or type(unique_name) not in _STRING_OR_ABSENT
            or type(get("idtyp")) not in _STRING_OR_ABSENT
            or not _strings_or_absent(amr)
            or not _strings_or_absent(roles)
        ):
            raise refused(_wrong_type(claims))
        # Positional: a NamedTuple built from keywords costs noticeably more per token.
        return Principal(
            tenant,
            app_id or azp or "",
            object_id or "",
            # Delegated or app-only is read from `scp` (delegated permissions) as Microsoft
            # tells resource servers to; `idtyp` is an optional claim a tenant may not emit.
            scope is not None,
            amr is not None and "mfa" in amr,
            upn or unique_name,
            tuple(scope.split()) if scope is not None else (),
            tuple(roles) if roles else (),
            expires,
            not_before,
        )


_STRING_OR_ABSENT = frozenset({str, type(None)})
_STRING_CLAIMS = ("scp", "appid", "azp", "oid", "upn", "unique_name", "idtyp")
_LIST_CLAIMS = ("amr", "roles")


def _strings_or_absent(value: object) -> bool:
    return value is None or (type(value) is list and all(type(item) is str for item in value))


def _wrong_type(claims: dict[str, Any]) -> str:
    """Which claim has the wrong type (the slow path of a refusal)."""
    for name in _STRING_CLAIMS:
        if type(claims.get(name)) not in _STRING_OR_ABSENT:
            return f"The token's '{name}' claim must be a string."
    for name in _LIST_CLAIMS:
        if not _strings_or_absent(claims.get(name)):
            return f"The token's '{name}' claim must be a list of strings."
    return "The token's claims have the wrong types."


def _signature_chars(key: SigningKey) -> int:
    """Length of an unpadded base64url RS256 signature made with ``key``."""
    found = _SIGNATURE_CHARS.get(key.kid)
    if found is None:
        octets = (key.public_key.key_size + 7) // 8
        found = _SIGNATURE_CHARS[key.kid] = -(-octets * 4 // 3)
    return found


_SIGNATURE_CHARS: dict[str, int] = {}


def _epoch(value: object) -> float | None:
    """A NumericDate claim as a float, or ``None`` when it is not a plausible number."""
    # Bounded so float() of a 400-digit JSON integer cannot overflow; NaN fails the range too.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if -_MAX_EPOCH < value < _MAX_EPOCH:
            return float(value)
    return None


_MAX_EPOCH = 1e12
