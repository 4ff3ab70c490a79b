"""The public names: sorted, importable, and the async twins carry the same names."""

from __future__ import annotations

import partnercenter
import partnercenter.aio
import partnercenter.errors


def test_all_is_sorted_and_unique() -> None:
    assert partnercenter.__all__ == sorted(partnercenter.__all__)
    assert len(set(partnercenter.__all__)) == len(partnercenter.__all__)
    assert partnercenter.aio.__all__ == sorted(partnercenter.aio.__all__)
    assert partnercenter.errors.__all__ == sorted(partnercenter.errors.__all__)


def test_every_public_name_exists() -> None:
    for module in (partnercenter, partnercenter.aio, partnercenter.errors):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_async_twins_have_the_same_names() -> None:
    sync_credentials = {n for n in partnercenter.__all__ if n.endswith("Credential")}
    sync_credentials.add("AzureCredentialAdapter")
    # The REST client's twin is named apart: partnercenter.PartnerClient / aio.AsyncPartnerClient.
    assert "PartnerClient" in partnercenter.__all__
    # Also async-only: Redis twins of partnercenter's, and the fan-out over customer tenants.
    redis = {"RedisTokenCache", "RedisRefreshTokenStore", "FanOutResult", "tokens_for_tenants"}
    redis.add("fan_out_http_client")
    assert sync_credentials | {"AsyncPartnerClient"} | redis == set(partnercenter.aio.__all__)
    for name in sync_credentials:
        assert getattr(partnercenter.aio, name) is not getattr(partnercenter, name)
