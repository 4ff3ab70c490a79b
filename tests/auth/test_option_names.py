"""A misspelled keyword option is refused, naming it, by every token-endpoint credential
(a silently ignored ``retyr=`` would leave the caller's intent undone)."""

from __future__ import annotations

import pytest

import partnercenter.aio as aio
from partnercenter import ClientSecretCredential, RefreshTokenCredential
from partnercenter.errors import ConfigurationError

TENANT = "contoso.onmicrosoft.com"
CLIENT = "00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    "build",
    [
        lambda **o: ClientSecretCredential(TENANT, CLIENT, "s3cret-value", **o),
        lambda **o: RefreshTokenCredential(TENANT, CLIENT, "rt-value", **o),
        lambda **o: aio.ClientSecretCredential(TENANT, CLIENT, "s3cret-value", **o),
        lambda **o: aio.RefreshTokenCredential(TENANT, CLIENT, "rt-value", **o),
    ],
    ids=["secret", "refresh", "async-secret", "async-refresh"],
)
def test_an_unknown_option_is_refused_naming_it(build: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build(retyr=None, verfiy="s3cret-value")  # type: ignore[operator]
    assert caught.value.argument == "retyr"  # the first, alphabetically
    assert str(caught.value).startswith("retyr: is not an option of this credential")
    assert "retry" in (caught.value.hint or "") and "timing" in (caught.value.hint or "")
    assert "retry_policy" not in (caught.value.hint or "")  # deprecated names not advertised
    assert "s3cret" not in str(caught.value) + (caught.value.hint or "")
    build(retry=None, timeout=5.0)  # type: ignore[operator]
