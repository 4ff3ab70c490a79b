"""Every error survives pickling (worker pools and multiprocessing stores move them)."""

from __future__ import annotations

import pickle

import pytest

from partnercenter import errors


def _instances() -> list[errors.PartnerCenterError]:
    return [
        errors.ConfigurationError("verify", "no such CA file"),
        errors.InvalidClientError(
            error="invalid_client",
            description="AADSTS7000215: wrong",
            codes=[7000215],
            status=401,
            trace_id="t",
            correlation_id="c",
        ),
        errors.AzureADError(error="invalid_grant", description="AADSTS700082: old", codes=[700082]),
        errors.MfaMissingError("no mfa", amr=["pwd"]),
        errors.RefreshTokenStoreError("bad", location="/x", reason="corrupt"),
    ]


@pytest.mark.parametrize("error", _instances(), ids=lambda e: type(e).__name__)
def test_round_trip(error: errors.PartnerCenterError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
