"""One name for the retry policy (``retry=``) and one test seam (``timing=Timing(...)``) on
every credential and client; the old spellings still work for one release, with a
DeprecationWarning that names the new argument."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import partnercenter as pc
import partnercenter.aio as aio
from partnercenter import RetryPolicy, Timing
from partnercenter.errors import ConfigurationError, TemporarilyUnavailableError

from ..fakes import FakeClock
from .conftest import CLIENT_ID, NOW, SECRET, TENANT, TokenServer, aad_error, app_token, ok

SECRET_LOOKING = "abc8Q~" + "x" * 34


class _Static:
    """An azure-core style credential (what the adapters wrap)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise RuntimeError("not used")


class _AsyncStatic:
    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise RuntimeError("not used")


def _static() -> pc.AccessTokenCredential:
    return pc.AccessTokenCredential(app_token(), expires_on=NOW + 3600)


def _async_static() -> aio.AccessTokenCredential:
    return aio.AccessTokenCredential(app_token(), expires_on=NOW + 3600)


#: Every public credential and client, built with its required arguments only.
FACTORIES: dict[str, tuple[Callable[..., Any], bool]] = {
    "ClientSecretCredential": (
        lambda **kw: pc.ClientSecretCredential(TENANT, CLIENT_ID, SECRET, **kw),
        False,
    ),
    "RefreshTokenCredential": (
        lambda **kw: pc.RefreshTokenCredential(TENANT, CLIENT_ID, "rt", **kw),
        False,
    ),
    "DeviceCodeCredential": (lambda **kw: pc.DeviceCodeCredential(TENANT, CLIENT_ID, **kw), False),
    "InteractiveBrowserCredential": (
        lambda **kw: pc.InteractiveBrowserCredential(TENANT, CLIENT_ID, **kw),
        False,
    ),
    "AccessTokenCredential": (
        lambda **kw: pc.AccessTokenCredential(app_token(), expires_on=NOW + 60, **kw),
        False,
    ),
    "AzureCredentialAdapter": (lambda **kw: pc.AzureCredentialAdapter(_Static(), **kw), False),
    "PartnerClient": (lambda **kw: pc.PartnerClient(_static(), **kw), False),
    "aio.ClientSecretCredential": (
        lambda **kw: aio.ClientSecretCredential(TENANT, CLIENT_ID, SECRET, **kw),
        True,
    ),
    "aio.RefreshTokenCredential": (
        lambda **kw: aio.RefreshTokenCredential(TENANT, CLIENT_ID, "rt", **kw),
        True,
    ),
    "aio.DeviceCodeCredential": (
        lambda **kw: aio.DeviceCodeCredential(TENANT, CLIENT_ID, **kw),
        True,
    ),
    "aio.InteractiveBrowserCredential": (
        lambda **kw: aio.InteractiveBrowserCredential(TENANT, CLIENT_ID, **kw),
        True,
    ),
    "aio.AccessTokenCredential": (
        lambda **kw: aio.AccessTokenCredential(app_token(), expires_on=NOW + 60, **kw),
        True,
    ),
    "aio.AzureCredentialAdapter": (
        lambda **kw: aio.AzureCredentialAdapter(_AsyncStatic(), **kw),
        True,
    ),
    "aio.AsyncPartnerClient": (lambda **kw: aio.AsyncPartnerClient(_async_static(), **kw), True),
}
#: Those that retry (the static token and the adapters have nothing to retry).
RETRYING = sorted(name for name in FACTORIES if "AccessToken" not in name and "Adapter" not in name)


# -- Timing --------------------------------------------------------------------------------


def test_timing_defaults_are_the_real_clock_sleep_and_randomness() -> None:
    timing = Timing()
    assert timing.clock is time.time and timing.sleep is time.sleep
    assert 0 <= timing.random() < 1
    with pytest.raises(AttributeError):
        timing.clock = time.monotonic  # type: ignore[misc]  # frozen: one value, shared


@pytest.mark.parametrize("field", ["clock", "sleep", "random", "async_sleep"])
def test_a_timing_field_must_be_callable(field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Timing(**{field: SECRET_LOOKING})
    assert caught.value.argument == field
    assert str(caught.value) == f"{field}: must be callable"


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_class_takes_one_timing(name: str) -> None:
    factory, _ = FACTORIES[name]
    fake = FakeClock(NOW)
    timing = fake.timing()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling warns about nothing
        made = factory(timing=timing)
    assert made._timing is timing
    with pytest.raises(ConfigurationError) as caught:
        factory(timing=SECRET_LOOKING)
    assert caught.value.argument == "timing" and SECRET_LOOKING not in str(caught.value)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_the_old_three_arguments_still_work_with_a_deprecation_warning(name: str) -> None:
    factory, asynchronous = FACTORIES[name]
    fake = FakeClock(NOW)
    old: dict[str, Any] = {"clock": fake}
    if "AccessToken" not in name:  # the static tokens only ever took clock=
        old.update(sleep=fake.asleep if asynchronous else fake.sleep, random=lambda: 0.25)
    with pytest.warns(DeprecationWarning, match=r"pass timing=partnercenter\.Timing\(") as caught:
        made = factory(**old)
    assert caught[0].filename == __file__  # attributed to the caller's line
    assert f"{', '.join(k + '=' for k in old)} is deprecated" in str(caught[0].message)
    timing: Timing = made._timing
    assert timing.clock is fake
    if "sleep" in old:
        sleep = timing.async_sleep if asynchronous else timing.sleep
        assert sleep == old["sleep"] and timing.random() == 0.25


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_old_and_new_timing_together_are_refused(name: str) -> None:
    factory, _ = FACTORIES[name]
    with pytest.raises(ConfigurationError) as caught:
        factory(timing=Timing(), clock=time.time)
    assert caught.value.argument == "clock" and "timing=" in str(caught.value)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_an_old_argument_is_checked_without_echoing_it(name: str) -> None:
    factory, _ = FACTORIES[name]
    with pytest.raises(ConfigurationError) as caught:
        factory(clock=SECRET_LOOKING)
    assert caught.value.argument == "clock" and SECRET_LOOKING not in str(caught.value)


# -- retry= ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RETRYING)
def test_every_retrying_class_takes_retry(name: str) -> None:
    factory, _ = FACTORIES[name]
    policy = RetryPolicy(max_retries=1)
    assert factory(retry=policy)._retry is policy
    with pytest.raises(ConfigurationError) as caught:
        factory(retry=SECRET_LOOKING)
    assert caught.value.argument == "retry" and SECRET_LOOKING not in str(caught.value)


@pytest.mark.parametrize("name", [name for name in RETRYING if name.endswith("Credential")])
def test_retry_policy_is_the_credentials_deprecated_name(name: str) -> None:
    factory, _ = FACTORIES[name]
    policy = RetryPolicy(max_retries=1)
    with pytest.warns(DeprecationWarning, match=r"retry_policy= is deprecated.*retry=") as caught:
        made = factory(retry_policy=policy)
    assert caught[0].filename == __file__
    assert made._retry is policy
    with pytest.raises(ConfigurationError) as both:
        factory(retry=policy, retry_policy=policy)
    assert both.value.argument == "retry_policy" and "not both" in str(both.value)
    with pytest.raises(ConfigurationError) as wrong:
        factory(retry_policy=SECRET_LOOKING)
    assert wrong.value.argument == "retry_policy" and SECRET_LOOKING not in str(wrong.value)


# -- behaviour: the flows read the one seam --------------------------------------------------


def test_a_credential_waits_and_draws_jitter_through_its_timing(
    server: TokenServer, clock: FakeClock
) -> None:
    busy = aad_error(90033, "temporarily_unavailable", "A transient error", status=503)
    server.replies = [busy, busy, ok()]
    draws: list[float] = []

    def random() -> float:
        draws.append(0.0)
        return 0.0

    timing = Timing(clock=clock, sleep=clock.sleep, random=random)
    policy = RetryPolicy(max_retries=2, backoff=1.0)
    with pc.ClientSecretCredential(
        TENANT, CLIENT_ID, SECRET, transport=server.transport, retry=policy, timing=timing
    ) as credential:
        token = credential.get_token()
    assert len(draws) == 2 and len(clock.sleeps) == 2 and len(server.requests) == 3
    assert token.expires_on == int(clock.now + 3600)  # the same clock, read after the waits
    server.replies = [busy]
    with (
        pc.ClientSecretCredential(
            TENANT,
            CLIENT_ID,
            SECRET,
            transport=server.transport,
            retry=RetryPolicy(max_retries=0),
            timing=timing,
        ) as credential,
        pytest.raises(TemporarilyUnavailableError),
    ):
        credential.get_token()


def test_the_deprecated_spelling_behaves_as_the_new_one(
    server: TokenServer, clock: FakeClock
) -> None:
    server.replies = [httpx.Response(429, headers={"Retry-After": "4"}), ok()]
    with pytest.warns(DeprecationWarning):
        credential = pc.ClientSecretCredential(
            TENANT,
            CLIENT_ID,
            SECRET,
            transport=server.transport,
            clock=clock,
            sleep=clock.sleep,
            retry_policy=RetryPolicy(max_retries=1),
        )
    with credential:
        credential.get_token()
    assert clock.sleeps == [4.0] and len(server.requests) == 2


@pytest.mark.anyio
async def test_async_classes_wait_with_async_sleep(server: TokenServer, clock: FakeClock) -> None:
    server.replies = [httpx.Response(429, headers={"Retry-After": "2"}), ok()]

    def blocking(seconds: float) -> None:
        pytest.fail("an async credential must not call the blocking sleep")

    timing = Timing(clock=clock, sleep=blocking, async_sleep=clock.asleep)
    async with aio.ClientSecretCredential(
        TENANT, CLIENT_ID, SECRET, transport=server.async_transport, timing=timing
    ) as credential:
        await credential.get_token()
    assert clock.sleeps == [2.0]
