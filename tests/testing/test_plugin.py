"""The plugin as its users meet it: pytest run (pytester) on test files a user would write,
against their own MSAL-based and azure-identity-based code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("msal")


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the inner runs, so only the first makes keys and certificates."""
    return tmp_path_factory.mktemp("plugin-state")


#: Plugins the inner runs do without: the cache (they are one-off) and Hypothesis's (it costs
#: seconds a run where bytecode is not cached, and these files do not use it).
QUICK = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def run(pytester: pytest.Pytester, state_dir: Path, *args: str) -> pytest.RunResult:
    # As strict as this project: a warning (an unclosed socket, a deprecation) fails a test.
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    return pytester.runpytest(*QUICK, f"--partnercenter-state-dir={state_dir}", *args)


def test_each_test_starts_from_a_clean_emulator(pytester: pytest.Pytester, state_dir: Path) -> None:
    pytester.makepyfile(
        test_isolation="""
        from partnercenter.testing import Sandbox

        def test_dirty(pc_emulator: Sandbox):
            pc_emulator.mint_refresh_token("admin@contosopartner.onmicrosoft.com")
            pc_emulator.advance_clock(86400)
            pc_emulator.state.faults.add({"status": 503})
            with pc_emulator.app_credential() as credential:
                credential.get_token()

        def test_clean(pc_emulator: Sandbox):
            assert not pc_emulator.state.signin.refresh_tokens
            assert abs(pc_emulator.now() - __import__("time").time()) < 5
            assert not pc_emulator.state.faults.active
            assert pc_emulator.requests() == []
        """
    )
    result = run(pytester, state_dir, "-p", "no:randomly")
    result.assert_outcomes(passed=2)


MSAL_APP = '''
"""The user's code: an app-only job with MSAL, calling Partner Center with httpx."""
import httpx
import msal

PC = "https://api.partnercenter.microsoft.com"


def customer_count(authority: str, api: str, client_id: str, secret: str) -> int:
    app = msal.ConfidentialClientApplication(
        client_id, client_credential=secret, authority=authority, instance_discovery=False
    )
    try:
        token = app.acquire_token_for_client(scopes=[PC + "/.default"])
    finally:
        app.http_client.close()
    headers = {"Authorization": "Bearer " + token["access_token"]}
    with httpx.Client(base_url=api, headers=headers) as client:
        return len(client.get("/v1/customers", params={"size": 500}).json()["items"])


def device_sign_in(authority: str, client_id: str, show) -> dict:
    app = msal.PublicClientApplication(client_id, authority=authority, instance_discovery=False)
    try:
        flow = app.initiate_device_flow(scopes=[PC + "/user_impersonation"])
        show(flow["user_code"])
        return app.acquire_token_by_device_flow(flow)
    finally:
        app.http_client.close()
'''


def test_users_msal_code(pytester: pytest.Pytester, state_dir: Path) -> None:
    pytester.makepyfile(billing=MSAL_APP)
    pytester.makepyfile(
        test_billing="""
        import threading

        import billing
        from partnercenter import AccessToken

        def test_app_only_job(pc_emulator, pc_trust):
            app = pc_emulator.app("partner-center-app")
            authority = f"{pc_emulator.base_url}/{pc_emulator.partner_tenant['id']}"
            count = billing.customer_count(
                authority, pc_emulator.base_url, app["client_id"], app["client_secret"]
            )
            served = [t for t in pc_emulator.customer_tenants if t["relationship"] == "reseller"]
            assert count == len(served) + 300
            (issued,) = pc_emulator.tokens_issued(client_id=app["client_id"])
            assert issued.token_kind == "app"
            assert [c.status for c in pc_emulator.api_calls()] == [200]

        def test_device_code_sign_in_as_the_admin(pc_emulator, pc_trust):
            app = pc_emulator.app("partner-center-cli")
            authority = f"{pc_emulator.base_url}/{pc_emulator.partner_tenant['id']}"
            outcomes = []

            def user_signs_in(user_code):
                def act():
                    outcomes.append(pc_emulator.complete_device_login(
                        user_code, "admin@contosopartner.onmicrosoft.com"))
                threading.Thread(target=act).start()

            result = billing.device_sign_in(authority, app["client_id"], user_signs_in)
            assert outcomes[0].completed, outcomes
            token = AccessToken(result["access_token"], 0)
            assert token.has_mfa
            assert token.user_principal_name == "admin@contosopartner.onmicrosoft.com"
        """
    )
    result = run(pytester, state_dir)
    result.assert_outcomes(passed=2)


AZURE_APP = '''
"""The user's code: azure-identity credentials (sync and async) for Partner Center."""
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

SCOPE = "https://api.partnercenter.microsoft.com/.default"


def token(authority: str, tenant: str, client_id: str, secret: str) -> str:
    credential = ClientSecretCredential(
        tenant, client_id, secret, authority=authority, disable_instance_discovery=True
    )
    with credential:
        return credential.get_token(SCOPE).token


async def token_async(authority: str, tenant: str, client_id: str, secret: str, **options) -> str:
    credential = AsyncClientSecretCredential(
        tenant, client_id, secret, authority=authority, disable_instance_discovery=True,
        **options
    )
    async with credential:
        return (await credential.get_token(SCOPE)).token
'''


def test_users_azure_identity_code(pytester: pytest.Pytester, state_dir: Path) -> None:
    pytest.importorskip("azure.identity")
    pytester.makepyfile(jobs=AZURE_APP)
    pytester.makepyfile(
        test_jobs="""
        import pytest

        import jobs
        from partnercenter import AccessToken, PartnerClient

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        def args(emu):
            app = emu.app("partner-center-app")
            return emu.base_url, emu.partner_tenant["id"], app["client_id"], app["client_secret"]

        def test_sync(pc_emulator, pc_trust):
            token = AccessToken(jobs.token(*args(pc_emulator)), 0)
            assert token.is_app_only
            assert token.audience == "https://api.partnercenter.microsoft.com"

        @pytest.mark.anyio
        async def test_async(pc_emulator, pc_trust):
            # aiohttp keeps the default SSL context it made when first imported, which may be
            # before the fixture set SSL_CERT_FILE: the CA goes in explicitly.
            raw = await jobs.token_async(*args(pc_emulator), connection_verify=pc_trust.ca_cert)
            assert AccessToken(raw, 0).tenant_id == pc_emulator.partner_tenant["id"]
            assert len(pc_emulator.tokens_issued()) == 1

        def test_the_library_accepts_the_azure_credential(pc_emulator, pc_trust):
            from azure.identity import ClientSecretCredential
            base, tenant, client_id, secret = args(pc_emulator)
            credential = ClientSecretCredential(
                tenant, client_id, secret, authority=base, disable_instance_discovery=True)
            with credential, pc_emulator.client(credential) as client:
                assert client.get_legal_business_profile()["companyName"]
        """
    )
    result = run(pytester, state_dir)
    result.assert_outcomes(passed=3)


def test_declared_data_from_objects_and_from_a_file(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makefile(
        ".toml",
        northwind="""
        [settings]
        api_generated_customers = 0

        [[tenants]]
        name = "Northwind"
        domains = ["northwind.onmicrosoft.com"]
        subscriptions = [{ product = "CFQ7TTC0LH18", quantity = 25 }]

        [[users]]
        upn = "ops@contosopartner.onmicrosoft.com"
        password = "pw"
        """,
    )
    pytester.makepyfile(
        test_data="""
        import pytest
        from partnercenter.testing import Customer, EmulatorData, Subscription, User

        DATA = EmulatorData(
            customers=[Customer("Tailspin", subscriptions=[Subscription("CFQ7TTC0LFK5", 3)])],
            users=[User("night.ops@contosopartner.onmicrosoft.com", password="pw",
                        roles=("admin_agent",))],  # (without a role: 403, code 900150)
            replace_seed=True,
            generated_customers=0,
        )

        @pytest.mark.partnercenter_data(DATA)
        def test_only_the_declared_world(pc_emulator, pc_client):
            (customer,) = list(pc_client.list_customers())
            assert customer["companyProfile"]["companyName"] == "Tailspin"
            (sub,) = list(pc_client.list_subscriptions(customer["id"]))
            assert (sub["offerName"], sub["quantity"]) == ("Microsoft 365 E5", 3)
            assert [u["upn"] for u in pc_emulator.users] == [
                "night.ops@contosopartner.onmicrosoft.com"]

        @pytest.mark.partnercenter_data("northwind.toml")
        def test_from_a_file(pc_emulator, pc_client):
            names = [c["companyProfile"]["companyName"] for c in pc_client.list_customers()]
            assert "Northwind" in names and len(names) == 4  # the seed's three, and Northwind
            assert pc_emulator.user("ops@contosopartner.onmicrosoft.com")["totp_secret"] is None

        def test_the_default_world_is_untouched(pc_emulator):
            assert "Northwind" not in [t["name"] for t in pc_emulator.customer_tenants]
        """
    )
    result = run(pytester, state_dir)
    result.assert_outcomes(passed=3)


def test_bad_declared_data_fails_with_the_entry_named(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest
        from partnercenter.testing import Customer, EmulatorData, Subscription

        @pytest.mark.partnercenter_data(
            EmulatorData(customers=[Customer("X", subscriptions=[Subscription("NOPE")])]))
        def test_it(pc_emulator):
            pass
        """
    )
    result = run(pytester, state_dir)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*subscriptions[[]0[]].product: 'NOPE' is not a product*"])


@pytest.mark.slow  # three pytest processes: 20-40 s on a loaded 2-core machine
def test_one_emulator_per_xdist_worker(pytester: pytest.Pytester, state_dir: Path) -> None:
    pytest.importorskip("xdist")
    out = pytester.path / "seen"
    out.mkdir()
    pytester.makepyfile(
        test_workers=f"""
        import json, os, pathlib, pytest

        @pytest.mark.parametrize("n", range(6))
        def test_record(pc_emulator, pc_client, n):
            assert pc_client.get_legal_business_profile()
            assert len(pc_emulator.api_calls()) == 1  # reset before each test, per worker
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            pathlib.Path({str(out)!r}, f"{{worker}}-{{n}}").write_text(pc_emulator.base_url)
        """
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    result = pytester.runpytest_subprocess(
        "-n", "2", *QUICK, f"--partnercenter-state-dir={state_dir}"
    )
    result.assert_outcomes(passed=6)
    urls = {path.name.split("-")[0]: path.read_text() for path in out.iterdir()}
    assert set(urls) == {"gw0", "gw1"}
    assert len(set(urls.values())) == 2
    assert json.dumps(sorted(urls))  # two workers, two emulators


def test_the_trust_fixture_sets_the_ca_variables(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makepyfile(
        test_trust="""
        import os, httpx

        def test_env(pc_emulator, pc_trust):
            for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
                assert os.environ[name] == pc_trust.bundle
            with open(pc_trust.bundle) as bundle, open(pc_trust.ca_cert) as ca:
                assert ca.read().strip() in bundle.read()
            # httpx with its defaults (trust_env) now trusts the emulator.
            assert httpx.get(pc_emulator.base_url + "/").status_code == 200
            with httpx.Client(verify=pc_trust.verify) as client:
                assert client.get(pc_emulator.base_url + "/").status_code == 200
        """
    )
    run(pytester, state_dir).assert_outcomes(passed=1)


def test_a_failed_test_shows_what_the_emulator_received(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makepyfile(
        test_fails="""
        def test_it(pc_emulator, pc_app_client):
            pc_app_client.get_legal_business_profile()
            assert False, "on purpose"
        """
    )
    result = run(pytester, state_dir)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*partnercenter emulator: requests received*",
            "*200 POST   /*/oauth2/v2.0/token  [[]token[]] client=* grant=client_credentials*",
            "*200 GET    /v1/profiles/legalbusiness  [[]api[]] client=* token=app",
        ]
    )
    secret = "8Q~"  # every seed secret has Azure AD's shape
    assert secret not in result.stdout.str()


def test_the_factory_shares_an_emulator_per_data_and_starts_private_ones(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makepyfile(
        test_factory="""
        import httpx
        import pytest
        from partnercenter.testing import EmulatorData, EmulatorFactory, Sandbox, User

        NIGHT = "night@contosopartner.onmicrosoft.com"
        DATA = EmulatorData(users=[User(NIGHT, mfa=False)])

        @pytest.fixture(scope="module")
        def night(pc_emulator_factory: EmulatorFactory) -> Sandbox:
            return pc_emulator_factory(DATA)

        def test_shared_per_data(pc_emulator_factory, night, pc_emulator_session):
            assert pc_emulator_factory(DATA) is night
            assert pc_emulator_factory() is pc_emulator_session
            assert night is not pc_emulator_session
            assert night.user(NIGHT) and not night.user(NIGHT).get("totp_secret")
            with pytest.raises(KeyError):
                pc_emulator_session.user(NIGHT)

        def test_not_reset_between_tests(night):
            night.advance_clock(3600)

        def test_the_clock_moved_by_the_last_test(night):
            assert night.now() - __import__("time").time() > 3000
            night.reset()

        def test_bad_options_are_named(pc_emulator_factory):
            with pytest.raises(ValueError, match="^tls must be True or False, not str$"):
                pc_emulator_factory(tls="no")
            with pytest.raises(ValueError, match="^plugin_settings must be True or False"):
                pc_emulator_factory.private(plugin_settings=None).__enter__()

        def test_options(pc_emulator_factory):
            plain = pc_emulator_factory(tls=False, plugin_settings=False)
            assert plain.base_url.startswith("http://") and plain.ca_cert is None
            assert plain.state.settings.api_burst != 1_000_000  # Partner Center's, not lifted
            assert pc_emulator_factory().state.settings.api_burst == 1_000_000

        def test_private(pc_emulator_factory, pc_emulator_session):
            with pc_emulator_factory.private({"settings": {"idtyp_claim": True}}) as own:
                assert own is not pc_emulator_factory({"settings": {"idtyp_claim": True}})
                assert own.state.settings.idtyp_claim
                state_dir = own.state_dir
                with httpx.Client(verify=own.verify) as web:
                    assert web.get(own.base_url + "/common/discovery/keys").status_code == 200
            assert not state_dir.exists()
            with pytest.raises(httpx.ConnectError):
                httpx.get(own.base_url + "/common/discovery/keys", verify=False, timeout=2)
        """
    )
    result = run(pytester, state_dir, "-p", "no:randomly")
    result.assert_outcomes(passed=6)


def test_the_module_emulator_and_the_markers_options(
    pytester: pytest.Pytester, state_dir: Path
) -> None:
    pytester.makepyfile(
        test_plain_http="""
        import httpx
        import pytest

        pytestmark = pytest.mark.partnercenter_data(None, tls=False)

        def test_first(pc_emulator_module):
            assert pc_emulator_module.base_url.startswith("http://")
            pc_emulator_module.mint_refresh_token("admin@contosopartner.onmicrosoft.com")

        def test_pc_emulator_is_the_same_reset_before_the_test(pc_emulator_module, pc_emulator):
            assert pc_emulator is pc_emulator_module
            assert not pc_emulator.state.signin.refresh_tokens
            assert httpx.get(pc_emulator.base_url + "/common/discovery/keys").status_code == 200
        """,
        test_same_declaration="""
        import pytest

        pytestmark = pytest.mark.partnercenter_data(None, tls=False)

        def test_reset_when_the_module_starts(pc_emulator_module):
            assert pc_emulator_module.base_url.startswith("http://")
            assert pc_emulator_module.requests() == []
        """,
        test_bad_option="""
        import pytest

        @pytest.mark.partnercenter_data(None, tsl=False)
        def test_it(pc_emulator):
            pass
        """,
    )
    result = run(pytester, state_dir, "-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*unknown keyword 'tsl' (it takes tls, plugin_settings)*"])
