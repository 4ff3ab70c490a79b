"""Partner Center shapes the emulator matches: lighter list items, default throttling,
unversioned paths, roles and relationships, and how the validator reads a token's claims."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnercenter._contract import operations
from partnercenter._contract.operations import OPERATIONS, Role
from partnercenter.emulator import Clock, Emulator
from partnercenter.emulator.api.service import limits_from
from partnercenter.emulator.api.throttling import Throttle
from partnercenter.emulator.config import Settings
from partnercenter.testing import EmulatorFactory

from ..signin_driver import PC_USER_SCOPE, pkce, redirect_params, sign_in
from ..test_signin import authorize, redeem, user
from ..test_token_endpoint import assert_aad_error
from .pc import error, fetch_token, mint

ADMIN = "admin@contosopartner.onmicrosoft.com"
SALES = "sales@contosopartner.onmicrosoft.com"
HELPDESK = "helpdesk@contosopartner.onmicrosoft.com"
BILLING = "billing@contosopartner.onmicrosoft.com"
NOROLE = "norole@contosopartner.onmicrosoft.com"


def _client(emulator: Emulator, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=emulator.base_url,
        verify=emulator.verify,
        timeout=20,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )


def user_token(emulator: Emulator, upn: str) -> str:
    """An app + user (MFA) token for a seeded partner user, with the user's real object id."""
    user = next(u for u in emulator.users if u["upn"] == upn)
    return mint(emulator, upn=upn, oid=user["object_id"])


def tenant(emulator: Emulator, name: str) -> dict[str, Any]:
    return next(t for t in emulator.customer_tenants if t["name"] == name)


# -- list items are lighter than get-by-id ------------------------------------------------------
def test_customer_list_items_are_lighter_than_get_by_id(pc: httpx.Client) -> None:
    items = pc.get("/v1/customers", params={"size": 5}).json()["items"]
    assert items
    for item in items:
        # Microsoft's list example: no billingProfile, no allowDelegatedAccess.
        assert set(item) == {"id", "companyProfile", "relationshipToPartner", "links", "attributes"}
        assert item["attributes"] == {"objectType": "Customer"}
        full = pc.get(f"/v1/customers/{item['id']}").json()
        assert "billingProfile" in full and "allowDelegatedAccess" in full
        assert full["companyProfile"] == item["companyProfile"]


def test_invoice_list_items_carry_no_billing_period(pc: httpx.Client) -> None:
    # Microsoft's collection example has no billing period; its get-by-id example has one.
    items = pc.get("/v1/invoices", params={"size": 3}).json()["items"]
    for item in items:
        assert "billingPeriodStartDate" not in item and "billingPeriodEndDate" not in item
        full = pc.get(f"/v1/invoices/{item['id']}").json()
        assert full["billingPeriodStartDate"] < full["billingPeriodEndDate"]
        assert {k: v for k, v in full.items() if not k.startswith("billingPeriod")} == item


def test_order_list_items_carry_no_currency_symbol(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["customer_id"]
    items = pc.get(f"/v1/customers/{cid}/orders").json()["items"]
    assert items
    for item in items:
        assert "currencySymbol" not in item
        full = pc.get(f"/v1/customers/{cid}/orders/{item['id']}").json()
        assert full.pop("currencySymbol") == "$" and full == item


# -- throttling is on by default -------------------------------------------------------------
def test_default_limits_are_partner_centers_customer_limit() -> None:
    # Deterministic: the default settings on a frozen clock.
    clock = Clock(source=lambda: 1_000_000.0)
    throttle = Throttle(clock, limits_from(SimpleNamespace(settings=Settings())))  # type: ignore[arg-type]
    assert [throttle.take("partner", "customer") for _ in range(500)] == [None] * 500
    assert throttle.take("partner", "customer") == 1  # Retry-After, whole seconds
    assert throttle.take("partner", "another customer") is None
    assert throttle.take("partner", None) is None  # partner-level calls are not held back
    clock.advance(60)
    assert [throttle.take("partner", "customer") for _ in range(500)] == [None] * 500


def test_customer_calls_are_throttled_at_500_a_minute_by_default(
    clean_emulator: Emulator, pc: httpx.Client
) -> None:
    emulator = clean_emulator
    limits = emulator.admin("DELETE", "throttling")  # the defaults, every bucket full
    assert limits["customer_burst"] == 500
    assert limits["customer_rate_per_second"] == pytest.approx(500 / 60)
    cid = tenant(emulator, "Wingtip Toys")["id"]
    other = tenant(emulator, "Fabrikam")["id"]
    # Eight at a time, so even a loaded machine outpaces the refill (8.3 a second).
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers: list[httpx.Response] = []
        while not any(a.status_code == 429 for a in answers):
            assert len(answers) < 3000, "never throttled"
            answers += pool.map(lambda _: pc.get(f"/v1/customers/{cid}"), range(8))
    elapsed = time.monotonic() - started
    codes = [a.status_code for a in answers]
    assert set(codes) == {200, 429}
    # 500 at once, plus what the bucket refilled (500 a minute) while the loop ran.
    assert 500 <= codes.count(200) <= 500 + elapsed * 500 / 60 + 8
    throttled = next(a for a in answers if a.status_code == 429)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["statusCode"] == 429
    # Per customer tenant: another customer, and partner-level calls, still go through.
    assert pc.get(f"/v1/customers/{other}").status_code == 200
    assert pc.get("/v1/invoices").status_code == 200
    # A minute later the bucket is full again.
    emulator.advance_clock(60)
    assert pc.get(f"/v1/customers/{cid}").status_code == 200


# -- unversioned paths ------------------------------------------------------------------------
def test_unversioned_paths_are_404_even_for_app_only(pc_app: httpx.Client) -> None:
    for path in ("/customers", "/profiles/legalbusiness", "/invoices?size=2"):
        response = pc_app.get(path)
        assert error(response) == (404, 1000), path
        assert "was not found" in response.json()["description"]


# -- roles ---------------------------------------------------------------------------------
def test_every_operation_names_its_roles() -> None:
    for op in OPERATIONS:
        assert op.roles, op.name
        assert Role.ADMIN_AGENT in op.roles, op.name  # the admin agent may do everything here
    assert Role.SALES_AGENT not in operations.get("list_invoices").roles
    assert Role.BILLING_ADMIN not in operations.get("list_customers").roles


def test_seeded_partner_users_hold_roles(emulator: Emulator) -> None:
    roles = {u["upn"]: u["roles"] for u in emulator.users}
    assert roles[ADMIN] == ["global_admin", "admin_agent"]
    assert roles[SALES] == ["sales_agent"]
    assert roles[HELPDESK] == ["helpdesk_agent"]
    assert roles[NOROLE] == []


@pytest.mark.parametrize(
    ("upn", "allowed", "refused"),
    [
        (ADMIN, ["/v1/customers", "/v1/invoices", "/v1/applicationmfaadoptionstatus"], []),
        (SALES, ["/v1/customers", "/v1/offers?country=US"], ["/v1/invoices"]),
        (HELPDESK, ["/v1/customers"], ["/v1/invoices", "/v1/relationships"]),
        (BILLING, ["/v1/invoices", "/v1/profiles/billing"], ["/v1/customers"]),
        # A user with no role at all may not call anything.
        (NOROLE, [], ["/v1/profiles/legalbusiness", "/v1/customers", "/v1/invoices"]),
    ],
)
def test_a_user_without_the_operations_role_gets_900150(
    emulator: Emulator, upn: str, allowed: list[str], refused: list[str]
) -> None:
    with _client(emulator, user_token(emulator, upn)) as client:
        for path in allowed:
            assert client.get(path).status_code == 200, (upn, path)
        for path in refused:
            assert error(client.get(path)) == (403, 900150), (upn, path)


def test_roles_follow_the_user_not_the_token_upn(emulator: Emulator) -> None:
    # Partner Center knows a user by object id: a token naming the admin's UPN but the
    # role-less user's object id gets the role-less user's rights.
    norole = next(u for u in emulator.users if u["upn"] == NOROLE)
    with _client(emulator, mint(emulator, upn=ADMIN, oid=norole["object_id"])) as client:
        assert error(client.get("/v1/customers")) == (403, 900150)
    # An unknown user (neither object id nor UPN in the directory) holds no role.
    with _client(emulator, mint(emulator, upn="ghost@contosopartner.onmicrosoft.com")) as client:
        assert error(client.get("/v1/customers")) == (403, 900150)


def test_app_only_calls_have_no_role_check(pc_app: httpx.Client) -> None:
    assert pc_app.get("/v1/customers").status_code == 200
    assert pc_app.get("/v1/invoices").status_code == 200


def test_user_roles_from_a_config_file(tmp_path: Any, pc_emulator_factory: EmulatorFactory) -> None:
    config = tmp_path / "emu.toml"
    config.write_text(
        '[[users]]\nupn = "ops@contosopartner.onmicrosoft.com"\npassword = "pw"\n'
        'roles = ["helpdesk_agent"]\n'
    )
    with pc_emulator_factory.private(config, tls=False, plugin_settings=False) as emu:
        assert next(u for u in emu.users if u["upn"].startswith("ops@"))["roles"] == [
            "helpdesk_agent"
        ]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[users]]\nupn = "x@contosopartner.onmicrosoft.com"\npassword = "pw"\n')
    bad.write_text(bad.read_text() + 'roles = ["root"]\n')
    with pytest.raises(ValueError, match=r"users\[0\]\.roles: 'root' is not a Partner Center role"):
        Emulator.start(config=bad, tls=False)


# -- relationships -----------------------------------------------------------------------------
def test_customer_without_a_reseller_relationship_is_20002(
    emulator: Emulator, pc: httpx.Client, pc_app: httpx.Client
) -> None:
    northwind = tenant(emulator, "Northwind Traders")
    assert northwind["relationship"] == "none" and northwind["delegated_admin"] is False
    for client in (pc, pc_app):
        for path in ("", "/subscriptions", "/orders"):
            response = client.get(f"/v1/customers/{northwind['id']}{path}")
            assert error(response) == (403, 20002), path
            assert northwind["id"] in response.json()["description"]
    listed = pc.get("/v1/customers", params={"size": 1000}).json()["items"]
    assert northwind["id"] not in {c["id"] for c in listed}


# -- how the validator reads claims (issue 8 item 8) -----------------------------------------
APP_USER_PATH = "/v1/profiles/organization"


def test_idtyp_decides_nothing(emulator: Emulator) -> None:
    # `idtyp` is optional: app-only or app + user is read from `scp`, as validators do.
    app_like = mint(emulator, idtyp="user", scp=None, amr=None)
    with _client(emulator, app_like) as client:
        assert error(client.get(APP_USER_PATH)) == (403, 900154)
    user_like = mint(emulator, idtyp="app", amr=["pwd"])
    with _client(emulator, user_like) as client:
        assert error(client.get(APP_USER_PATH)) == (401, 900421)
    with _client(emulator, mint(emulator, idtyp=None)) as client:
        assert client.get(APP_USER_PATH).status_code == 200


@pytest.mark.parametrize(
    "aud",
    [
        "https://api.partnercenter.microsoft.com",
        "https://api.partnercenter.microsoft.com/",
        "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
        "FA3D9A0C-3FB0-42CC-9193-47C7ECD2EDBD",
    ],
)
def test_v1_audience_forms_partner_center_accepts(emulator: Emulator, aud: str) -> None:
    with _client(emulator, mint(emulator, aud=aud)) as client:
        assert client.get(APP_USER_PATH).status_code == 200


def test_a_real_v1_token_for_the_app_id_is_accepted(
    emulator: Emulator, client: httpx.Client
) -> None:
    app = emulator.app("partner-center-app")
    response = client.post(
        f"/{emulator.partner_tenant['id']}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "resource": "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
        },
    )
    assert response.status_code == 200, response.text
    with _client(emulator, response.json()["access_token"]) as pc:
        assert pc.get("/v1/profiles/legalbusiness").status_code == 200
    assert fetch_token(emulator, client)  # and the v2 form, as ever


CLAIMS = ("aud", "iss", "tid", "exp", "nbf", "scp", "amr", "roles", "appid", "oid", "upn", "idtyp")


def test_claims_of_the_wrong_type_are_401_on_the_wire(emulator: Emulator) -> None:
    # A correctly signed token with a list, object or number where another type belongs.
    statuses = set()
    with _client(emulator, "x") as client:
        for claim in CLAIMS:
            for value in (["https://api.partnercenter.microsoft.com"], {"a": 1}, 7, "7", True):
                token = mint(emulator, **{claim: value})
                response = client.get(APP_USER_PATH, headers={"Authorization": f"Bearer {token}"})
                statuses.add(response.status_code)
                # Accepted (a string list is a valid `amr`), refused, or a user Partner Center
                # does not know (a made-up `upn`): never a 5xx.
                assert response.status_code in (200, 401, 403), (claim, value, response.text)
                if response.status_code != 200:
                    error(response)
    assert {200, 401} <= statuses


# -- delegated admin: a partner user's refresh token at a customer's authority -------------------
def test_refresh_at_a_customer_without_delegated_admin_is_90099(emulator: Emulator) -> None:
    app = emulator.app("partner-center-cli")
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify, timeout=10) as web:
        verifier, challenge = pkce()
        page = sign_in(
            web,
            authorize(web, emulator, app, challenge=challenge),
            user(emulator, ADMIN),
            emu=emulator,
        )
        code = redirect_params(page.response)["code"]
        tokens = redeem(web, emulator, app, code, verifier).json()

        def refresh(at: dict[str, Any]) -> httpx.Response:
            return web.post(
                f"/{at['domain']}/oauth2/v2.0/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": app["client_id"],
                    "refresh_token": tokens["refresh_token"],
                    "scope": f"{PC_USER_SCOPE} offline_access",
                },
            )

        assert refresh(tenant(emulator, "Fabrikam")).status_code == 200  # GDAP granted
        for name in ("Adatum", "Northwind Traders"):
            body = assert_aad_error(refresh(tenant(emulator, name)), 400, "invalid_grant", 90099)
            assert app["client_id"] in body["error_description"]
            assert tenant(emulator, name)["id"] in body["error_description"]
        assert refresh(emulator.partner_tenant).status_code == 200  # at home, as ever


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(changes=st.dictionaries(st.sampled_from(CLAIMS), _VALUES, min_size=1, max_size=3))
def test_no_claim_type_or_value_makes_a_5xx(emulator: Emulator, changes: dict[str, Any]) -> None:
    token = mint(emulator, **changes)
    with _client(emulator, token) as client:
        response = client.get(APP_USER_PATH)
    assert response.status_code < 500, (changes, response.text)
    if response.status_code != 200:
        error(response)


def test_relationships_from_a_config_file(
    tmp_path: Any, pc_emulator_factory: EmulatorFactory
) -> None:
    config = tmp_path / "emu.toml"
    config.write_text(
        '[[tenants]]\nname = "Litware"\ndomains = ["litware.onmicrosoft.com"]\n'
        'relationship = "none"\n'
        '[[tenants]]\nname = "Lamna"\ndomains = ["lamna.onmicrosoft.com"]\n'
        "delegated_admin = false\n"
    )
    with pc_emulator_factory.private(config, tls=False, plugin_settings=False) as emu:
        litware, lamna = tenant(emu, "Litware"), tenant(emu, "Lamna")
        assert (litware["relationship"], litware["delegated_admin"]) == ("none", False)
        assert (lamna["relationship"], lamna["delegated_admin"]) == ("reseller", False)
    config.write_text(
        '[[tenants]]\nname = "X"\ndomains = ["x.onmicrosoft.com"]\nrelationship = "friend"\n'
    )
    with pytest.raises(ValueError, match=r"tenants\[0\]\.relationship: 'friend' must be"):
        Emulator.start(config=config, tls=False)
