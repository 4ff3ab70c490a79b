"""The credential helpers' keyword arguments are one declaration (``UserCredentialOptions``)
shared by the sync and async twins; a misspelt one is still refused, as a signature would."""

from __future__ import annotations

from typing import Any

import pytest

from partnercenter.errors import ConfigurationError
from partnercenter.testing.sandbox import Sandbox, UserCredentialOptions


def _unstarted() -> Sandbox:
    # The check runs before anything is read from the emulator, so none needs to run.
    return Sandbox.__new__(Sandbox)


@pytest.mark.parametrize("method", ["user_credential", "async_user_credential"])
def test_an_unknown_keyword_is_refused_by_name(method: str) -> None:
    options: dict[str, Any] = {"mfa": True, "tennant": "contoso.onmicrosoft.com"}
    with pytest.raises(ConfigurationError, match="^tennant: is not an option") as raised:
        getattr(_unstarted(), method)(**options)
    assert raised.value.argument == "tennant"
    assert "tenant" in raised.value.hint


def test_the_options_are_the_documented_ones() -> None:
    assert UserCredentialOptions.__optional_keys__ == {"mfa", "app", "tenant", "cache", "store"}
