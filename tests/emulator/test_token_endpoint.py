"""The token endpoint on the wire: success shapes, token claims and signatures, every error."""

from __future__ import annotations

import base64
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from partnercenter.emulator import Emulator
from partnercenter.testing import EmulatorFactory

from .helpers import JWT_BEARER, PC_DEFAULT_SCOPE, PC_RESOURCE, decode_unverified, make_assertion

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
V1_KEYS = [
    "token_type",
    "expires_in",
    "ext_expires_in",
    "expires_on",
    "not_before",
    "resource",
    "access_token",
]
V2_KEYS = ["token_type", "expires_in", "ext_expires_in", "access_token"]
ERROR_KEYS = [
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
    "error_uri",
]


def v1(tenant: str) -> str:
    return f"/{tenant}/oauth2/token"


def v2(tenant: str) -> str:
    return f"/{tenant}/oauth2/v2.0/token"


def secret_form(app: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        **extra,
    }


def assert_aad_error(
    response: httpx.Response, status: int, error: str, code: int
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store, no-cache"
    assert response.headers["pragma"] == "no-cache"
    body: dict[str, Any] = response.json()
    assert list(body)[: len(ERROR_KEYS)] == ERROR_KEYS
    assert body["error"] == error
    assert body["error_codes"] == [code]
    description = body["error_description"]
    assert description.startswith(f"AADSTS{code}: ")
    lines = description.split("\r\n")
    assert lines[1] == f"Trace ID: {body['trace_id']}"
    assert lines[2] == f"Correlation ID: {body['correlation_id']}"
    assert lines[3] == f"Timestamp: {body['timestamp']}"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", body["timestamp"])
    assert GUID.match(body["trace_id"]) and GUID.match(body["correlation_id"])
    assert body["error_uri"].endswith(f"/error?code={code}")
    assert "{" not in lines[0], "an unfilled placeholder leaked into the message"
    return body


def verify(emulator: Emulator, token: str, audience: str) -> dict[str, Any]:
    """Verify the signature against the published JWKS with PyJWT, as a resource server would."""
    header = jwt.get_unverified_header(token)
    keys = httpx.get(f"{emulator.base_url}/common/discovery/keys", verify=emulator.verify).json()
    jwk = next(k for k in keys["keys"] if k["kid"] == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=audience,
        options={"require": ["exp", "nbf", "iat", "aud", "iss"]},
    )
    return claims


# --- success --------------------------------------------------------------------------------


def test_v1_secret_matches_the_seed_response(
    client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    before = int(time.time())
    response = client.post(
        v1(tenant_id), data=secret_form(app, resource="https://graph.windows.net")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store, no-cache"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert list(body) == V1_KEYS
    # v1 sends every number as a JSON string.
    for key in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[key], str) and body[key].isdigit()
    assert body["token_type"] == "Bearer"
    # Entra's default lifetime: random between 60 and 90 minutes.
    lifetime = int(body["expires_in"])
    assert 3600 <= lifetime <= 5400 and body["ext_expires_in"] == body["expires_in"]
    assert body["resource"] == "https://graph.windows.net"
    # The seed's example: expires_on - not_before = lifetime + the 5-minute back-dating.
    assert int(body["expires_on"]) - int(body["not_before"]) == lifetime + 300
    assert before <= int(body["expires_on"]) - lifetime <= int(time.time())


def test_v2_secret_response_uses_integers(
    client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    response = client.post(v2(tenant_id), data=secret_form(app, scope=PC_DEFAULT_SCOPE))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == V2_KEYS
    assert 3600 <= body["expires_in"] <= 5400 and body["ext_expires_in"] == body["expires_in"]
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_partner_center_token_is_v1_shaped_from_either_endpoint(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str, endpoint: str
) -> None:
    if endpoint == "v1":
        response = client.post(v1(tenant_id), data=secret_form(app, resource=PC_RESOURCE))
    else:
        response = client.post(v2(tenant_id), data=secret_form(app, scope=PC_DEFAULT_SCOPE))
    token = response.json()["access_token"]
    header, _ = decode_unverified(token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    assert header["kid"] == header["x5t"]
    claims = verify(emulator, token, PC_RESOURCE)
    assert claims["aud"] == PC_RESOURCE
    assert claims["iss"] == f"https://sts.windows.net/{tenant_id}/"
    assert claims["idp"] == claims["iss"]
    assert claims["ver"] == "1.0"
    assert claims["tid"] == tenant_id
    assert claims["appid"] == app["client_id"] and claims["appidacr"] == "1"
    assert "idtyp" not in claims  # an optional claim (settings.idtyp_claim)
    assert GUID.match(claims["oid"]) and claims["sub"] == claims["oid"]
    lifetime = int(response.json()["expires_in"])
    assert claims["iat"] == claims["nbf"] and claims["exp"] - claims["nbf"] == lifetime + 300
    assert claims["uti"] and claims["rh"] and claims["aio"]
    assert "roles" not in claims  # the seed grants no Partner Center app permissions
    assert "scp" not in claims and "amr" not in claims


def test_graph_token_carries_the_apps_roles(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    response = client.post(
        v2(tenant_id), data=secret_form(app, scope="https://graph.microsoft.com/.default")
    )
    claims = verify(emulator, response.json()["access_token"], "https://graph.microsoft.com")
    assert claims["roles"] == ["Directory.Read.All"]


def test_tenant_by_domain_and_customer_tenant(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any]
) -> None:
    partner = emulator.partner_tenant
    token = client.post(v1(partner["domain"]), data=secret_form(app, resource=PC_RESOURCE)).json()
    assert decode_unverified(token["access_token"])[1]["tid"] == partner["id"]
    customer = emulator.customer_tenants[0]
    token = client.post(
        v2(customer["domain"].upper()), data=secret_form(app, scope=PC_DEFAULT_SCOPE)
    ).json()
    claims = decode_unverified(token["access_token"])[1]
    assert claims["tid"] == customer["id"]
    assert claims["iss"] == f"https://sts.windows.net/{customer['id']}/"


PC_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"


@pytest.mark.parametrize(
    ("endpoint", "field", "value", "audience"),
    [
        ("v2", "scope", f"{PC_APP_ID}/.default", PC_APP_ID),
        ("v2", "scope", PC_DEFAULT_SCOPE, PC_RESOURCE),
        ("v1", "resource", PC_APP_ID, PC_APP_ID),
        ("v1", "resource", PC_RESOURCE, PC_RESOURCE),
    ],
)
def test_v1_audience_echoes_the_requested_form(
    client: httpx.Client,
    app: dict[str, Any],
    tenant_id: str,
    endpoint: str,
    field: str,
    value: str,
    audience: str,
) -> None:
    """Entra's v1 ``aud`` is the resource as the request named it: app id GUID or URI."""
    path = v1(tenant_id) if endpoint == "v1" else v2(tenant_id)
    body = client.post(path, data=secret_form(app, **{field: value})).json()
    assert decode_unverified(body["access_token"])[1]["aud"] == audience
    if endpoint == "v1":
        assert body["resource"] == value


def test_http_basic_client_authentication(
    client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    form = {"grant_type": "client_credentials", "scope": PC_DEFAULT_SCOPE}
    response = client.post(v2(tenant_id), data=form, auth=(app["client_id"], app["client_secret"]))
    assert response.status_code == 200
    bad = client.post(v2(tenant_id), data=form, auth=(app["client_id"], "wrong"))
    assert_aad_error(bad, 401, "invalid_client", 7000215)


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_certificate_assertion(
    emulator: Emulator,
    client: httpx.Client,
    app: dict[str, Any],
    tenant_id: str,
    alg: str,
    endpoint: str,
) -> None:
    path = v1(tenant_id) if endpoint == "v1" else v2(tenant_id)
    target = {"resource": PC_RESOURCE} if endpoint == "v1" else {"scope": PC_DEFAULT_SCOPE}
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_assertion_type": JWT_BEARER,
        "client_assertion": make_assertion(app, emulator.base_url + path, alg=alg),
        **target,
    }
    response = client.post(path, data=form)
    assert response.status_code == 200, response.text
    claims = verify(emulator, response.json()["access_token"], PC_RESOURCE)
    assert claims["appidacr"] == "2"


def test_assertion_audience_may_name_the_tenant_by_domain_or_other_version(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    audience = f"{emulator.base_url}/{emulator.partner_tenant['domain']}/oauth2/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_assertion_type": JWT_BEARER,
        "scope": PC_DEFAULT_SCOPE,
        "client_assertion": make_assertion(app, audience),
    }
    assert client.post(v2(tenant_id), data=form).status_code == 200


def test_correlation_id_and_request_id_headers(
    client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    correlation = str(uuid.uuid4())
    response = client.post(
        v2(tenant_id),
        data=secret_form(app, client_secret="nope", scope=PC_DEFAULT_SCOPE),
        headers={"client-request-id": correlation, "return-client-request-id": "true"},
    )
    body = assert_aad_error(response, 401, "invalid_client", 7000215)
    assert body["correlation_id"] == correlation
    assert response.headers["client-request-id"] == correlation
    assert response.headers["x-ms-request-id"] == body["trace_id"]


# --- errors ---------------------------------------------------------------------------------


def _cases(app: dict[str, Any], emulator: Emulator, tenant_id: str) -> dict[str, Any]:
    expired = emulator.app("expired-secret-app")
    public = emulator.app("partner-center-cli")
    base = secret_form(app, scope=PC_DEFAULT_SCOPE)
    return {
        "unknown tenant": (v2("nowhere.onmicrosoft.com"), base, 400, "invalid_request", 90002),
        "unknown tenant guid": (v2(str(uuid.uuid4())), base, 400, "invalid_request", 90002),
        "malformed tenant": (v2("not a tenant!"), base, 400, "invalid_request", 900023),
        "common for app-only": (v2("common"), base, 400, "invalid_request", 50059),
        "organizations for app-only": (
            v1("organizations"),
            {**base, "resource": PC_RESOURCE},
            400,
            "invalid_request",
            50059,
        ),
        "unknown app": (
            v2(tenant_id),
            {**base, "client_id": str(uuid.uuid4())},
            400,
            "unauthorized_client",
            700016,
        ),
        "client id not a guid": (
            v2(tenant_id),
            {**base, "client_id": "my-app"},
            400,
            "unauthorized_client",
            700038,
        ),
        "wrong secret": (
            v2(tenant_id),
            {**base, "client_secret": "wrong"},
            401,
            "invalid_client",
            7000215,
        ),
        "expired secret": (
            v2(tenant_id),
            secret_form(expired, scope=PC_DEFAULT_SCOPE),
            401,
            "invalid_client",
            7000222,
        ),
        "missing grant_type": (
            v2(tenant_id),
            {k: v for k, v in base.items() if k != "grant_type"},
            400,
            "invalid_request",
            900144,
        ),
        "missing client_id": (
            v2(tenant_id),
            {k: v for k, v in base.items() if k != "client_id"},
            400,
            "invalid_request",
            900144,
        ),
        "neither secret nor assertion": (
            v2(tenant_id),
            {k: v for k, v in base.items() if k != "client_secret"},
            401,
            "invalid_client",
            7000218,
        ),
        "public client with a secret": (
            v2(tenant_id),
            {**base, "client_id": public["client_id"]},
            401,
            "invalid_client",
            700025,
        ),
        "public client without credential": (
            v2(tenant_id),
            {
                "grant_type": "client_credentials",
                "client_id": public["client_id"],
                "scope": PC_DEFAULT_SCOPE,
            },
            401,
            "invalid_client",
            7000218,
        ),
        "scope without .default": (
            v2(tenant_id),
            {**base, "scope": f"{PC_RESOURCE}/user_impersonation"},
            400,
            "invalid_scope",
            1002012,
        ),
        "two scopes": (
            v2(tenant_id),
            {**base, "scope": f"{PC_DEFAULT_SCOPE} https://graph.microsoft.com/.default"},
            400,
            "invalid_scope",
            1002012,
        ),
        "bare .default": (
            v2(tenant_id),
            {**base, "scope": "/.default"},
            400,
            "invalid_scope",
            70011,
        ),
        "missing scope (v2)": (
            v2(tenant_id),
            {k: v for k, v in base.items() if k != "scope"},
            400,
            "invalid_request",
            900144,
        ),
        "missing resource (v1)": (
            v1(tenant_id),
            {k: v for k, v in base.items() if k != "scope"},
            400,
            "invalid_resource",
            50001,
        ),
        "resource on v2": (
            v2(tenant_id),
            {**base, "resource": PC_RESOURCE},
            400,
            "invalid_request",
            901002,
        ),
        "unsupported grant type": (
            v2(tenant_id),
            {**base, "grant_type": "magic"},
            400,
            "unsupported_grant_type",
            70003,
        ),
        "unknown resource (v1)": (
            v1(tenant_id),
            {**secret_form(app), "resource": "https://x.example"},
            400,
            "invalid_resource",
            500011,
        ),
        "unknown resource (v2)": (
            v2(tenant_id),
            {**base, "scope": "https://x.example/.default"},
            400,
            "invalid_resource",
            500011,
        ),
    }


CASE_NAMES = [
    "unknown tenant",
    "unknown tenant guid",
    "malformed tenant",
    "common for app-only",
    "organizations for app-only",
    "unknown app",
    "client id not a guid",
    "wrong secret",
    "expired secret",
    "missing grant_type",
    "missing client_id",
    "neither secret nor assertion",
    "public client with a secret",
    "public client without credential",
    "scope without .default",
    "two scopes",
    "bare .default",
    "missing scope (v2)",
    "missing resource (v1)",
    "resource on v2",
    "unsupported grant type",
    "unknown resource (v1)",
    "unknown resource (v2)",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_error(
    case: str, emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    path, form, status, error, code = _cases(app, emulator, tenant_id)[case]
    assert_aad_error(client.post(path, data=form), status, error, code)


def test_case_list_is_complete(emulator: Emulator, app: dict[str, Any], tenant_id: str) -> None:
    assert sorted(CASE_NAMES) == sorted(_cases(app, emulator, tenant_id))


def test_secret_never_echoed(client: httpx.Client, app: dict[str, Any], tenant_id: str) -> None:
    secret = "S3cret-that-must-not-leak"
    response = client.post(
        v2(tenant_id), data=secret_form(app, client_secret=secret, scope=PC_DEFAULT_SCOPE)
    )
    assert secret not in response.text


def test_get_is_refused(client: httpx.Client, tenant_id: str) -> None:
    assert_aad_error(client.get(v2(tenant_id)), 400, "invalid_request", 900561)


def test_json_body_is_refused(client: httpx.Client, app: dict[str, Any], tenant_id: str) -> None:
    response = client.post(v2(tenant_id), json=secret_form(app, scope=PC_DEFAULT_SCOPE))
    assert_aad_error(response, 400, "invalid_request", 90023)


def test_duplicate_parameter_is_refused(
    client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    body = "grant_type=client_credentials&grant_type=client_credentials"
    response = client.post(
        v2(tenant_id), content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_aad_error(response, 400, "invalid_request", 90023)


def test_oversized_body_is_refused(client: httpx.Client, tenant_id: str) -> None:
    response = client.post(
        v2(tenant_id),
        content=b"a=" + b"x" * 300_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_aad_error(response, 400, "invalid_request", 90023)


def test_secret_expiry_follows_the_emulator_clock(pc_emulator_factory: EmulatorFactory) -> None:
    config = {
        "apps": [
            {
                "name": "short-lived",
                "secrets": [{"value": "soon-gone", "expires": time.time() + 3600}],
            }
        ]
    }
    with pc_emulator_factory.private(config, plugin_settings=False) as emu:
        app = emu.app("short-lived")
        tenant = emu.partner_tenant["id"]
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            form = secret_form(app, scope=PC_DEFAULT_SCOPE)
            assert c.post(v2(tenant), data=form).status_code == 200
            emu.advance_clock(7200)
            assert_aad_error(c.post(v2(tenant), data=form), 401, "invalid_client", 7000222)
            emu.reset_clock()
            assert c.post(v2(tenant), data=form).status_code == 200


# --- certificate assertions -----------------------------------------------------------------


def _assertion_form(app: dict[str, Any], assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        "scope": PC_DEFAULT_SCOPE,
    }


def _other_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _unsigned(app: dict[str, Any], audience: str, alg: str) -> str:
    header = base64.urlsafe_b64encode(f'{{"alg":"{alg}","typ":"JWT"}}'.encode()).rstrip(b"=")
    payload = jwt.encode(
        {
            "iss": app["client_id"],
            "sub": app["client_id"],
            "aud": audience,
            "exp": int(time.time()) + 600,
            "jti": str(uuid.uuid4()),
        },
        "k" * 32,
        algorithm="HS256",
    ).split(".")[1]
    return f"{header.decode()}.{payload}."


@pytest.mark.parametrize(
    ("case", "status", "error", "code"),
    [
        ("signed with another key", 401, "invalid_client", 700027),
        ("unregistered certificate", 401, "invalid_client", 700027),
        ("no thumbprint header", 401, "invalid_client", 700027),
        ("wrong audience", 401, "invalid_client", 700023),
        ("audience on another host", 401, "invalid_client", 700023),
        ("wrong issuer", 401, "invalid_client", 700021),
        ("expired", 401, "invalid_client", 700024),
        ("not yet valid", 401, "invalid_client", 700024),
        ("alg none", 401, "invalid_client", 5002738),
        ("alg HS256", 401, "invalid_client", 5002738),
        ("not a JWT", 400, "invalid_request", 50027),
        ("no jti", 400, "invalid_request", 50027),
        ("no exp", 400, "invalid_request", 50027),
    ],
)
def test_assertion_error(
    case: str,
    status: int,
    error: str,
    code: int,
    emulator: Emulator,
    client: httpx.Client,
    app: dict[str, Any],
    tenant_id: str,
) -> None:
    audience = emulator.base_url + v2(tenant_id)
    now = time.time()
    other_key = _other_key_pem()
    assertion = {
        "signed with another key": lambda: make_assertion(app, audience, key_pem=other_key),
        "unregistered certificate": lambda: make_assertion(
            app, audience, key_pem=other_key, headers={"x5t#S256": "A" * 43}
        ),
        "no thumbprint header": lambda: jwt.encode(
            {
                "iss": app["client_id"],
                "sub": app["client_id"],
                "aud": audience,
                "exp": int(now) + 600,
                "jti": "x",
            },
            Path(app["certificate"]["key_path"]).read_bytes(),
            algorithm="PS256",
        ),
        "wrong audience": lambda: make_assertion(app, emulator.base_url + "/common/oauth2/token"),
        "audience on another host": lambda: make_assertion(
            app, f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
        ),
        "wrong issuer": lambda: make_assertion(app, audience, claims={"iss": str(uuid.uuid4())}),
        "expired": lambda: make_assertion(app, audience, now=now - 7200),
        "not yet valid": lambda: make_assertion(app, audience, now=now + 7200),
        "alg none": lambda: _unsigned(app, audience, "none"),
        "alg HS256": lambda: jwt.encode(
            {
                "iss": app["client_id"],
                "sub": app["client_id"],
                "aud": audience,
                "exp": int(now) + 600,
                "jti": str(uuid.uuid4()),
            },
            Path(app["certificate"]["cert_path"]).read_text()[:64],
            algorithm="HS256",
        ),
        "not a JWT": lambda: "definitely.not-a.jwt!",
        "no jti": lambda: make_assertion(app, audience, claims={"jti": None}),
        "no exp": lambda: make_assertion(app, audience, claims={"exp": None}),
    }[case]()
    assert_aad_error(
        client.post(v2(tenant_id), data=_assertion_form(app, assertion)), status, error, code
    )


def test_reused_assertion_is_accepted_by_default(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    """Entra accepts a reused assertion while it is valid (MSAL reuses one for ~10 min)."""
    assertion = make_assertion(app, emulator.base_url + v2(tenant_id))
    form = _assertion_form(app, assertion)
    for _ in range(3):
        assert client.post(v2(tenant_id), data=form).status_code == 200


def test_replay_refusal_is_opt_in_with_an_emulator_only_code(
    pc_emulator_factory: EmulatorFactory,
) -> None:
    config = {"settings": {"reject_assertion_replay": True}}
    with pc_emulator_factory.private(config, plugin_settings=False) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        form = _assertion_form(app, make_assertion(app, emu.base_url + v2(tenant)))
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            assert c.post(v2(tenant), data=form).status_code == 200
            body = assert_aad_error(c.post(v2(tenant), data=form), 401, "invalid_client", 9990001)
            # Never 7000229: Entra uses it for "missing service principal".
            assert "already been used" in body["error_description"]
            fresh = _assertion_form(app, make_assertion(app, emu.base_url + v2(tenant)))
            assert c.post(v2(tenant), data=fresh).status_code == 200


def test_secret_and_assertion_together_are_refused(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    form = {
        **_assertion_form(app, make_assertion(app, emulator.base_url + v2(tenant_id))),
        "client_secret": app["client_secret"],
    }
    assert_aad_error(client.post(v2(tenant_id), data=form), 400, "invalid_request", 90023)


def test_wrong_assertion_type(
    emulator: Emulator, client: httpx.Client, app: dict[str, Any], tenant_id: str
) -> None:
    form = {
        **_assertion_form(app, make_assertion(app, emulator.base_url + v2(tenant_id))),
        "client_assertion_type": "urn:example:saml",
    }
    assert_aad_error(client.post(v2(tenant_id), data=form), 401, "invalid_client", 7000211)


def test_basic_credentials_are_form_decoded(pc_emulator_factory: EmulatorFactory) -> None:
    """RFC 6749 2.3.1: id and secret are form-encoded before Basic (a space is '+')."""
    config = {"apps": [{"name": "spaced", "client_secret": "a b+c/d"}]}
    with pc_emulator_factory.private(config, plugin_settings=False) as emu:
        app = emu.app("spaced")
        raw = f"{app['client_id']}:a+b%2Bc%2Fd".encode()
        header = "Basic " + base64.b64encode(raw).decode()
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            response = c.post(
                v2(emu.partner_tenant["id"]),
                data={"grant_type": "client_credentials", "scope": PC_DEFAULT_SCOPE},
                headers={"Authorization": header},
            )
        assert response.status_code == 200, response.text
