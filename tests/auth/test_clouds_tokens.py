"""Cloud records and AccessToken."""

from __future__ import annotations

import pytest

from partnercenter import AccessToken, ClientSecretCredential, Cloud
from partnercenter.errors import ConfigurationError, DeprecatedCloudWarning

from .conftest import CLIENT_ID, SECRET, TENANT, app_token, jwt, user_token


def test_well_known_clouds() -> None:
    assert Cloud.GLOBAL.authority_host == "https://login.microsoftonline.com"
    assert Cloud.GLOBAL.partner_center_scope == "https://api.partnercenter.microsoft.com/.default"
    assert Cloud.CHINA.authority_host == "https://login.chinacloudapi.cn"
    assert Cloud.CHINA.api_root == "https://partner.partnercenterapi.microsoftonline.cn"
    assert Cloud.CHINA.partner_center_resource == Cloud.CHINA.api_root
    assert Cloud.US_GOVERNMENT.authority_host == "https://login.microsoftonline.us"
    assert Cloud.US_GOVERNMENT.api_root == "https://api.partnercenter.microsoft.com"
    assert Cloud.GERMANY.deprecated and "2021" in Cloud.GERMANY.deprecated
    assert Cloud.GLOBAL.token_url("t.onmicrosoft.com", "v1").endswith(
        "/t.onmicrosoft.com/oauth2/token"
    )
    assert repr(Cloud.CHINA) == "Cloud.CHINA"
    assert Cloud.by_name("US-Government") is Cloud.US_GOVERNMENT


def test_custom_cloud_keeps_the_real_audience() -> None:
    cloud = Cloud.custom(
        authority_host="https://127.0.0.1:8443/", api_root="https://127.0.0.1:8443"
    )
    assert cloud.authority_host == "https://127.0.0.1:8443"
    assert cloud.partner_center_scope == "https://api.partnercenter.microsoft.com/.default"
    assert (
        cloud.token_url("x.onmicrosoft.com")
        == "https://127.0.0.1:8443/x.onmicrosoft.com/oauth2/v2.0/token"
    )
    china_like = Cloud.custom(
        authority_host="https://localhost:1", api_root="https://localhost:1", like=Cloud.CHINA
    )
    assert china_like.partner_center_resource == Cloud.CHINA.partner_center_resource


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://host", "not an absolute"),
        ("http://login.example.com", "plain http"),
        ("https://host/?q=1", "query"),
        ("", "non-empty"),
    ],
)
def test_custom_cloud_rejects_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as info:
        Cloud.custom(authority_host=url, api_root="https://api.example.com")
    assert info.value.argument == "authority_host"


def test_plain_http_is_fine_on_loopback() -> None:
    assert Cloud.custom(authority_host="http://localhost:8080", api_root="http://127.0.0.1:8080")


def test_germany_is_usable_with_a_warning() -> None:
    with pytest.warns(DeprecatedCloudWarning, match="closed on 29 October 2021") as record:
        credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, cloud=Cloud.GERMANY)
    assert record[0].filename == __file__  # points at the caller's line
    assert credential.cloud is Cloud.GERMANY


def test_unknown_cloud_name() -> None:
    with pytest.raises(ConfigurationError, match="unknown cloud 'mars'"):
        ClientSecretCredential(TENANT, CLIENT_ID, SECRET, cloud="mars")


def test_app_only_token_claims() -> None:
    token = AccessToken(app_token(), 2000, refresh_on=1500)
    assert token.kind == "app" and token.is_app_only and not token.is_app_and_user
    assert token.tenant_id == "8e2346b3-225f-5cc1-89c3-5f5cea075940"
    assert token.client_id == CLIENT_ID
    assert token.audience == "https://api.partnercenter.microsoft.com"
    assert token.roles == ("Partner.Read",)
    assert token.scopes == () and token.amr == () and not token.has_mfa
    assert token.expires_in(1990) == 10


def test_user_token_mfa() -> None:
    with_mfa = AccessToken(user_token(["pwd", "mfa"]), 2000)
    without = AccessToken(user_token(["pwd"]), 2000)
    assert with_mfa.is_app_and_user and with_mfa.has_mfa
    assert with_mfa.scopes == ("user_impersonation",)
    assert with_mfa.user_principal_name == "admin@contoso.onmicrosoft.com"
    assert without.is_app_and_user and not without.has_mfa


def test_kind_without_idtyp_and_opaque_tokens() -> None:
    assert AccessToken(jwt({"scp": "x"}), 1).kind == "user"
    assert AccessToken(jwt({"roles": ["r"], "azp": "c"}), 1).kind == "app"
    assert AccessToken(jwt({"roles": ["r"], "azp": "c"}), 1).client_id == "c"
    for opaque in ("opaque-token", "a.b.c", "a.!!!.c", "x." + "W10" + ".y"):
        token = AccessToken(opaque, 1)
        assert token.kind == "unknown" and token.claims == {}


def test_repr_never_shows_the_token() -> None:
    raw = user_token(["mfa"])
    token = AccessToken(raw, 2000, refresh_on=1500)
    for text in (repr(token), str(token)):
        assert raw not in text and raw.split(".")[1] not in text
        assert "has_mfa=True" in text and "kind='user'" in text


def test_token_satisfies_azure_core_access_token_info_shape() -> None:
    from azure.core.credentials import AccessTokenInfo

    token = AccessToken("t", 2000, refresh_on=1500)
    info = AccessTokenInfo("t", 2000, refresh_on=1500)
    for name in ("token", "expires_on", "refresh_on", "token_type"):
        assert getattr(token, name) == getattr(info, name)


def test_kind_comes_from_scp_and_roles_not_idtyp() -> None:
    """``idtyp`` is optional (and could even disagree): real validators read ``scp``/``roles``."""
    assert AccessToken(jwt({"idtyp": "app", "scp": "user_impersonation"}), 1).kind == "user"
    assert AccessToken(jwt({"idtyp": "user", "roles": ["r"]}), 1).kind == "app"
    assert AccessToken(jwt({"idtyp": "user"}), 1).kind == "app"
    assert AccessToken(jwt({"appid": "c", "tid": "t"}), 1).is_app_only
