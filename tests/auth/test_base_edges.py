"""What every credential shares (``auth/base.py``), held with a credential whose ``_fetch`` the
test scripts: argument checks, the cache hit path and its key, scope and tenant handling, the
retired-audience warning, and single flight across threads (one fetch, waiters served the
leader's token or error, a new leader after an interrupted one). Edges the mutation run
(docs/testing-strength.md) found unheld by the credential tests over HTTP."""

from __future__ import annotations

import logging
import threading
import traceback
import warnings
from collections.abc import Callable, Hashable
from typing import Any

import pytest

from partnercenter import AccessToken, Cloud, MemoryTokenCache, RetryPolicy, Timing
from partnercenter._credentials.base import CacheKey, Flight, TokenCredentialBase
from partnercenter._credentials.cache import CacheEntry
from partnercenter.errors import ConfigurationError, RetiredAudienceWarning
from partnercenter.stores.base import credential_identity

from ..fakes import FakeClock

TENANT = "contoso.onmicrosoft.com"
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
NOW = 1_000_000.0
PC = "https://api.partnercenter.microsoft.com/.default"
PC_USER = "https://api.partnercenter.microsoft.com/user_impersonation"
GRAPH = "https://graph.windows.net"
#: How long a test waits for another thread before failing (never reached when green).
PATIENCE = 10.0

Fetch = Callable[[tuple[str, ...], str, "str | None"], AccessToken]


class Scripted(TokenCredentialBase):
    """A credential whose fetch is the test's: records each call, then runs ``fetcher``."""

    def __init__(self, fetcher: Fetch | None = None, **options: Any) -> None:
        core: dict[str, Any] = {
            "kind": "scripted",
            "cloud": Cloud.GLOBAL,
            "tenant_id": TENANT,
            "client_id": CLIENT_ID,
            "endpoint_version": "v2",
            "cache": None,
            "retry": None,
        }
        core.update(options)
        super().__init__(**core)
        self.calls: list[tuple[tuple[str, ...], str, str | None]] = []
        self._fetcher = fetcher or self._numbered

    def _numbered(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        now = int(self._clock())
        return AccessToken(f"token-{len(self.calls)}", now + 3600, refresh_on=now + 1800)

    def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        self.calls.append((scopes, tenant, claims))
        return self._fetcher(scopes, tenant, claims)


class MultiTenant(Scripted):
    _multi_tenant_ok = True


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


def scripted(clock: FakeClock, fetcher: Fetch | None = None, **options: Any) -> Scripted:
    options.setdefault("timing", Timing(clock=clock, sleep=clock.sleep))
    return Scripted(fetcher, **options)


# -- construction ----------------------------------------------------------------------------


def test_a_cache_that_is_not_a_token_cache_is_refused_naming_it(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, cache={})
    assert caught.value.argument == "cache"
    assert str(caught.value) == "cache: must implement TokenCache (get, set, remove, clear)"


def test_the_given_cache_is_used_or_a_memory_cache_made(clock: FakeClock) -> None:
    cache = MemoryTokenCache()
    shared = scripted(clock, cache=cache)
    assert shared.cache is cache
    token = shared.get_token()
    assert cache.get((shared._identity, None, (PC,))) == (NOW + 1800, token)
    own = scripted(clock)
    assert isinstance(own.cache, MemoryTokenCache) and own.cache is not cache
    assert len(own.cache) == 0


def test_a_retry_policy_of_the_wrong_type_is_refused_naming_it(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, retry={"max_retries": 1})
    assert caught.value.argument == "retry"
    assert str(caught.value) == "retry: must be a RetryPolicy"
    policy = RetryPolicy(max_retries=1)
    assert scripted(clock, retry=policy)._retry is policy
    assert scripted(clock)._retry == RetryPolicy()


@pytest.mark.parametrize("argument", ["clock", "random", "sleep", "async_sleep"])
def test_callables_are_checked_naming_them(argument: str) -> None:
    options: dict[str, Any] = {"clock": lambda: NOW, argument: 5}
    with pytest.raises(ConfigurationError) as caught:
        Timing(**options)
    assert caught.value.argument == argument


def test_the_timing_is_kept_and_anything_else_refused(clock: FakeClock) -> None:
    def draw() -> float:
        return 0.25

    timing = Timing(clock=clock, sleep=clock.sleep, random=draw)
    credential = scripted(clock, timing=timing)
    assert credential._timing is timing
    assert credential._clock is clock  # bound once for the cache hit path
    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, timing=clock)
    assert caught.value.argument == "timing"
    assert str(caught.value) == "timing: must be a partnercenter.Timing"


def test_identity_and_attributes(clock: FakeClock) -> None:
    credential = scripted(clock, cloud="china", endpoint_version="v1", account="store|key")
    assert (credential.tenant_id, credential.client_id) == (TENANT, CLIENT_ID)
    assert credential.cloud is Cloud.CHINA and credential.endpoint_version == "v1"
    assert credential._identity == credential_identity(
        "scripted", Cloud.CHINA.authority_host, TENANT, CLIENT_ID, "v1", "store|key"
    )
    assert scripted(clock)._identity == f"scripted|{Cloud.GLOBAL.authority_host}|{TENANT}|" + (
        f"{CLIENT_ID}|v2"
    )
    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, endpoint_version="v3")
    assert caught.value.argument == "endpoint_version"
    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, cloud="mars")
    assert caught.value.argument == "cloud"


def test_default_scope_is_partner_center_for_apps_and_delegated_for_users(
    clock: FakeClock,
) -> None:
    app = scripted(clock)
    app.get_token()
    assert app.calls == [((PC,), TENANT, None)]
    user = scripted(clock, delegated=True)
    user.get_token()
    assert user.calls == [((PC_USER,), TENANT, None)]
    gov = scripted(clock, cloud=Cloud.US_GOVERNMENT, delegated=False)
    gov.get_token()
    assert gov.calls[0][0] == (Cloud.US_GOVERNMENT.partner_center_scope,)


def test_repr_shows_identifiers_only(clock: FakeClock) -> None:
    assert repr(scripted(clock)) == (
        f"Scripted(tenant_id={TENANT!r}, client_id={CLIENT_ID!r}, cloud='global', "
        "endpoint_version='v2')"
    )


# -- scopes, tenants and the retired audience ------------------------------------------------


def test_scopes_are_normalized_for_the_fetch_and_kept_as_asked_in_the_key(
    clock: FakeClock,
) -> None:
    credential = scripted(clock)
    token = credential.get_token("https://api.partnercenter.microsoft.com/")
    assert credential.calls == [((PC,), TENANT, None)]
    key = (credential._identity, None, ("https://api.partnercenter.microsoft.com/",))
    assert credential.cache.get(key) == (NOW + 1800, token)
    assert credential.get_token("https://api.partnercenter.microsoft.com/") is token
    assert len(credential.calls) == 1
    with pytest.raises(ConfigurationError) as caught:
        credential.get_token(" ")
    assert caught.value.argument == "scopes"


@pytest.mark.parametrize(
    "scope",
    [
        GRAPH,
        f"{GRAPH}/",
        f"{GRAPH}/.default",
        f"{GRAPH}//.default",
        f"{GRAPH}/Directory.Read.All",
        "00000002-0000-0000-c000-000000000000/.default",
    ],
)
def test_the_retired_graph_audience_warns_with_the_fix(clock: FakeClock, scope: str) -> None:
    credential = scripted(clock)
    with pytest.warns(RetiredAudienceWarning) as record:
        credential.get_token(PC, scope)
    sent = credential.calls[0][0]
    assert len(record) == 1 and sent[0] == PC
    assert str(record[0].message) == (
        f"{sent[1]!r} asks for an Azure AD Graph token (https://graph.windows.net). Partner "
        "Center stopped accepting that audience in 2025: it answers 401 with code 900420. "
        f"Ask for {PC!r} (what get_token() asks for by default) or, on the v1 endpoint, "
        "resource='https://api.partnercenter.microsoft.com'."
    )


def test_other_audiences_do_not_warn(clock: FakeClock) -> None:
    credential = scripted(clock)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        credential.get_token(PC, "https://graph.microsoft.com/.default", "openid")
        credential.get_token("https://graph.windows.netX/.default")  # not the Graph host
    assert len(credential.calls) == 2


def test_a_tenant_override_is_checked_and_asked_with_its_own_key(clock: FakeClock) -> None:
    credential = scripted(clock)
    home = credential.get_token()
    customer = credential.get_token(tenant_id=CUSTOMER)
    assert customer is not home
    assert [call[1] for call in credential.calls] == [TENANT, CUSTOMER]
    assert credential.get_token(tenant_id=CUSTOMER) is customer
    assert credential.get_token() is home and len(credential.calls) == 2
    for bad in ("", "common", "not a tenant!"):
        with pytest.raises(ConfigurationError) as caught:
            credential.get_token(tenant_id=bad)
        assert caught.value.argument == "tenant_id"
    assert len(credential.calls) == 2


def test_multi_tenant_authorities_only_where_allowed(clock: FakeClock) -> None:
    users = MultiTenant(timing=Timing(clock=clock, sleep=clock.sleep))
    users.get_token(tenant_id="Organizations")
    assert users.calls[0][1] == "organizations"


# -- the hit path, claims, get_token_info ----------------------------------------------------


def test_served_from_the_cache_until_exactly_refresh_due(clock: FakeClock) -> None:
    credential = scripted(clock)
    first = credential.get_token()
    clock.now = NOW + 1799.5
    assert credential.get_token() is first and len(credential.calls) == 1
    clock.now = NOW + 1800
    assert credential.get_token() is not first and len(credential.calls) == 2


def test_a_claims_challenge_fetches_with_the_claims_and_caches_the_answer(
    clock: FakeClock,
) -> None:
    credential = scripted(clock)
    first = credential.get_token()
    challenged = credential.get_token(claims='{"access_token":{}}')
    assert challenged is not first
    assert credential.calls[1] == ((PC,), TENANT, '{"access_token":{}}')
    assert credential.get_token() is challenged and len(credential.calls) == 2


def test_get_token_info_reads_tenant_and_claims_from_options(clock: FakeClock) -> None:
    credential = scripted(clock)
    first = credential.get_token_info()
    assert credential.get_token_info(options={}) is first
    assert credential.get_token_info(PC, options=None) is first
    credential.get_token_info(options={"tenant_id": CUSTOMER})
    credential.get_token_info(options={"claims": "c"})
    assert credential.calls[1:] == [((PC,), CUSTOMER, None), ((PC,), TENANT, "c")]


# -- invalidate and a failed early refresh ---------------------------------------------------


def test_invalidate_drops_only_the_very_token_given(clock: FakeClock) -> None:
    credential = scripted(clock)
    token = credential.get_token()
    stranger = AccessToken("someone-else", int(NOW) + 3600)
    assert credential.invalidate(stranger) is False
    assert credential.get_token() is token
    assert credential.invalidate(token, tenant_id=CUSTOMER) is False
    assert credential.invalidate(token) is True
    assert credential.invalidate(token) is False
    assert credential.get_token() is not token


def test_invalidate_forgets_a_failed_refresh(clock: FakeClock) -> None:
    results: list[AccessToken | Exception] = [
        AccessToken("first", int(NOW) + 3600, refresh_on=int(NOW) + 1800),
        RuntimeError("endpoint down"),
        AccessToken("second", int(NOW) + 3600),
    ]

    def fetch(scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    credential = scripted(clock, fetch)
    first = credential.get_token()
    clock.now = NOW + 1800
    assert credential.get_token() is first  # the failed refresh is remembered...
    key: CacheKey = (credential._identity, None, (PC,))
    assert credential._failed_refresh == {key: NOW + 1800}
    assert credential.invalidate(first) is True
    assert credential._failed_refresh == {}  # ...and forgotten with the token
    assert credential.get_token().token == "second"


def test_a_failed_early_refresh_is_logged_and_not_retried_for_30_s(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    failing = [False]

    def fetch(scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        if failing[0]:
            raise TimeoutError("slow")
        now = int(clock())
        return AccessToken(f"t{now}", now + 3600, refresh_on=now + 1800)

    credential = scripted(clock, fetch)
    first = credential.get_token()
    failing[0] = True
    clock.now = NOW + 1800
    with caplog.at_level(logging.WARNING, "partnercenter.auth"):
        assert credential.get_token() is first
    assert [r.getMessage() for r in caplog.records] == [
        "proactive token refresh failed (TimeoutError); serving the cached token, which "
        "expires in 1800 s"
    ]
    assert credential._flights == {}
    clock.now = NOW + 1829
    assert credential.get_token() is first and len(credential.calls) == 2
    failing[0] = False
    clock.now = NOW + 1830
    fresh = credential.get_token()
    assert fresh.token == f"t{int(NOW) + 1830}" and len(credential.calls) == 3
    # A success forgets the failure: the next early refresh is tried as soon as it is due.
    assert credential._failed_refresh == {}


def test_a_failed_required_fetch_raises_and_leaves_no_flight(clock: FakeClock) -> None:
    def fetch(scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        raise LookupError("no token")

    credential = scripted(clock, fetch)
    with pytest.raises(LookupError, match="no token"):
        credential.get_token()
    assert credential._flights == {} and credential._failed_refresh == {}
    with pytest.raises(LookupError):
        credential.get_token()
    assert len(credential.calls) == 2


def test_an_interrupted_fetch_leaves_no_flight(clock: FakeClock) -> None:
    def fetch(scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        raise KeyboardInterrupt

    credential = scripted(clock, fetch)
    with pytest.raises(KeyboardInterrupt):
        credential.get_token()
    assert credential._flights == {}


# -- single flight across threads ------------------------------------------------------------


class Gate:
    """A fetch that blocks until released, so other threads arrive while it is in flight."""

    def __init__(self, clock: FakeClock, outcome: Callable[[int], AccessToken]) -> None:
        self.clock = clock
        self.outcome = outcome
        self.entered = threading.Event()
        self.release = threading.Event()
        self.count = 0

    def __call__(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        self.count += 1
        self.entered.set()
        assert self.release.wait(PATIENCE)
        return self.outcome(self.count)


def _waiting(credential: Scripted, n: int) -> None:
    """Until ``n`` threads wait on the in-flight fetch (they block in ``Event.wait``)."""
    (flight,) = credential._flights.values()
    for _ in range(int(PATIENCE / 0.005)):
        # Event.wait holds the event's condition; its waiters are the blocked threads.
        if len(flight.done._cond._waiters) >= n:  # type: ignore[attr-defined]
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"fewer than {n} threads waited for the flight")


#: Per caught exception (by id), the function names of its traceback when it was caught: the
#: exception object is shared by the leader and its waiters, and each raise extends it.
CAUGHT_IN: dict[int, list[list[str]]] = {}


def _run(target: Callable[[], Any], n: int) -> tuple[list[threading.Thread], list[Any]]:
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(target())
        except BaseException as exc:
            names = [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
            CAUGHT_IN.setdefault(id(exc), []).append(names)
            results.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(n)]
    for thread in threads:
        thread.start()
    return threads, results


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()


def test_waiters_get_the_leaders_token_from_one_fetch(clock: FakeClock) -> None:
    gate = Gate(clock, lambda n: AccessToken(f"shared-{n}", int(NOW) + 3600))
    credential = scripted(clock, gate)
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    waiters, waited = _run(credential.get_token, 3)
    _waiting(credential, 3)
    gate.release.set()
    _join(leader + waiters)
    assert gate.count == 1
    assert [t.token for t in led + waited] == ["shared-1"] * 4
    assert len({id(t) for t in led + waited}) == 1
    assert credential._flights == {}


def test_waiters_get_the_leaders_error_with_the_leaders_traceback(clock: FakeClock) -> None:
    def fail(n: int) -> AccessToken:
        raise PermissionError(f"refused {n}")

    gate = Gate(clock, fail)
    credential = scripted(clock, gate)
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    waiters, waited = _run(credential.get_token, 2)
    _waiting(credential, 2)
    gate.release.set()
    _join(leader + waiters)
    assert gate.count == 1
    (error,) = {id(e): e for e in led + waited}.values()
    assert isinstance(error, PermissionError) and str(error) == "refused 1"
    assert credential._flights == {}
    # Each waiter's traceback is the leader's (down to the fetch that failed), once.
    tracebacks = CAUGHT_IN.pop(id(error))
    assert len(tracebacks) == 3
    for names in tracebacks:
        assert names[-1] == "fail" and names.count("fail") == 1


def test_waiters_elect_a_new_leader_after_an_interrupted_one(clock: FakeClock) -> None:
    def outcome(n: int) -> AccessToken:
        if n == 1:
            raise KeyboardInterrupt
        return AccessToken(f"after-{n}", int(NOW) + 3600)

    gate = Gate(clock, outcome)
    credential = scripted(clock, gate)
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    waiters, waited = _run(credential.get_token, 2)
    _waiting(credential, 2)
    gate.release.set()
    _join(leader + waiters)
    assert isinstance(led[0], KeyboardInterrupt)
    assert gate.count == 2
    assert [t.token for t in waited] == ["after-2", "after-2"]
    assert credential._flights == {}


def test_during_an_early_refresh_other_threads_get_the_cached_token_at_once(
    clock: FakeClock,
) -> None:
    gate = Gate(clock, lambda n: AccessToken(f"new-{n}", int(NOW) + 3600 * n))
    credential = scripted(clock, gate)
    gate.release.set()
    old = credential.get_token()
    gate.release.clear()
    gate.entered.clear()
    clock.now = NOW + 3600 - 300  # refresh recommended, the token still good
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    # Not waiting for the flight: served the cached token while the refresh is in flight.
    assert credential.get_token() is old
    gate.release.set()
    _join(leader)
    assert led[0].token == "new-2" and credential.get_token() is led[0]


def test_when_required_other_threads_wait_rather_than_get_the_old_token(
    clock: FakeClock,
) -> None:
    gate = Gate(clock, lambda n: AccessToken(f"new-{n}", int(NOW) + 3600 * n))
    credential = scripted(clock, gate)
    gate.release.set()
    old = credential.get_token()
    gate.release.clear()
    gate.entered.clear()
    clock.now = NOW + 3600 - 30  # within the expiry margin: a refresh is required
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    waiters, waited = _run(credential.get_token, 1)
    _waiting(credential, 1)
    gate.release.set()
    _join(leader + waiters)
    assert led[0] is waited[0] and led[0] is not old and led[0].token == "new-2"


def test_flight_finish_sets_one_outcome_and_the_traceback() -> None:
    token = AccessToken("t", 1)
    flight = Flight(threading.Event())
    assert not flight.done.is_set()
    flight.finish(token=token)
    assert (flight.token, flight.error, flight.traceback) == (token, None, None)
    assert flight.done.is_set()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        error = exc
    failed = Flight(threading.Event())
    failed.finish(error=error)
    assert (failed.token, failed.error) == (None, error)
    assert failed.traceback is error.__traceback__ and failed.traceback is not None
    interrupted = Flight(threading.Event())
    interrupted.finish()
    assert (interrupted.token, interrupted.error, interrupted.traceback) == (None, None, None)
    assert interrupted.done.is_set()


# -- a cache shared by processes runs the fetch ----------------------------------------------


class SharedCache(MemoryTokenCache):
    """A cache with ``fetch_shared`` (as a Redis cache has): records what it was handed."""

    __slots__ = ("handed", "sets")

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[tuple[Hashable, float, AccessToken | None]] = []
        self.sets = 0

    def set(self, key: Hashable, entry: CacheEntry, /) -> None:
        self.sets += 1
        super().set(key, entry)

    def fetch_shared(
        self,
        key: Hashable,
        fetch: Callable[[], AccessToken],
        now: float,
        stale: AccessToken | None,
    ) -> CacheEntry:
        self.handed.append((key, now, stale))
        token = fetch()
        entry = (float(token.refresh_on or token.expires_on), token)
        self.set(key, entry)
        return entry


def test_a_shared_cache_runs_the_fetch_and_stores_the_token_itself(clock: FakeClock) -> None:
    cache = SharedCache()
    credential = scripted(clock, cache=cache)
    first = credential.get_token()
    key: CacheKey = (credential._identity, None, (PC,))
    assert cache.handed == [(key, NOW, None)] and cache.sets == 1
    assert credential.get_token() is first
    clock.now = NOW + 1800  # recommended: the cached token is handed over as the stale one
    second = credential.get_token()
    assert cache.handed[1] == (key, NOW + 1800, first) and cache.sets == 2
    assert second is not first and credential.get_token() is second
    clock.now = NOW + 1800 + 3600  # expired: nothing stale to hand over
    credential.get_token()
    assert cache.handed[2] == (key, NOW + 5400, None)


def test_a_blocking_credential_refuses_an_async_shared_cache(clock: FakeClock) -> None:
    class AsyncShared(MemoryTokenCache):
        async def fetch_shared(self, *args: object) -> None:
            return None

    with pytest.raises(ConfigurationError) as caught:
        scripted(clock, cache=AsyncShared())
    assert caught.value.argument == "cache"


def test_a_cache_hit_is_one_lookup_and_one_clock_read(clock: FakeClock) -> None:
    # The hit path's promise (auth/base.py): build the key, one dict lookup, one clock read,
    # one comparison; no lock, no scope normalization.
    reads: list[float] = []

    def counting() -> float:
        reads.append(clock.now)
        return clock.now

    class CountingCache(MemoryTokenCache):
        __slots__ = ("lookups",)

        def __init__(self) -> None:
            super().__init__()
            self.lookups = 0
            plain = self.get

            def get(key: Hashable) -> CacheEntry | None:
                self.lookups += 1
                return plain(key)

            self.get = get  # type: ignore[method-assign]

    cache = CountingCache()
    credential = Scripted(timing=Timing(clock=counting), cache=cache)
    token = credential.get_token("https://graph.microsoft.com/.default")
    reads.clear()
    cache.lookups = 0
    assert credential.get_token("https://graph.microsoft.com/.default") is token
    assert (len(reads), cache.lookups) == (1, 1)


def test_the_hit_path_trusts_the_entrys_due_time(clock: FakeClock) -> None:
    # A cache entry is (refresh_due, token): a shared cache may store its own due time, and
    # the hit path serves the token until then.
    cache = MemoryTokenCache()
    credential = scripted(clock, cache=cache)
    token = AccessToken("stored", int(NOW) + 3600)  # refresh_due would be NOW + 3300
    cache.set((credential._identity, None, (PC,)), (NOW + 3500, token))
    clock.now = NOW + 3400
    assert credential.get_token() is token and credential.calls == []


def test_get_token_info_passes_the_scopes(clock: FakeClock) -> None:
    credential = scripted(clock)
    credential.get_token_info("https://graph.microsoft.com/.default")
    assert credential.calls == [(("https://graph.microsoft.com/.default",), TENANT, None)]


def test_waiters_get_a_short_lived_token_without_a_second_fetch(clock: FakeClock) -> None:
    # A token already due for refresh when it arrives (200 s left: inside the five-minute
    # margin) is still the flight's answer to everyone waiting for it.
    gate = Gate(clock, lambda n: AccessToken(f"short-{n}", int(NOW) + 200))
    credential = scripted(clock, gate)
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    waiters, waited = _run(credential.get_token, 2)
    _waiting(credential, 2)
    gate.release.set()
    _join(leader + waiters)
    assert gate.count == 1
    assert [t.token for t in led + waited] == ["short-1"] * 3


def test_a_waiter_gets_the_cached_token_when_the_early_refresh_it_waited_for_fails(
    clock: FakeClock,
) -> None:
    def outcome(n: int) -> AccessToken:
        if n == 1:
            return AccessToken("old", int(NOW) + 3600)
        raise TimeoutError("slow")

    gate = Gate(clock, outcome)
    credential = scripted(clock, gate)
    gate.release.set()
    old = credential.get_token()
    gate.release.clear()
    gate.entered.clear()
    clock.now = NOW + 3600 - 300  # recommended: the leader tries an early refresh
    leader, led = _run(credential.get_token, 1)
    assert gate.entered.wait(PATIENCE)
    clock.now = NOW + 3600 - 30  # by now required: a new caller waits for the flight
    waiters, waited = _run(credential.get_token, 1)
    _waiting(credential, 1)
    gate.release.set()
    _join(leader + waiters)
    assert led == [old] and waited == [old] and gate.count == 2


def test_a_shared_cache_fetch_asks_for_the_scopes_and_tenant(clock: FakeClock) -> None:
    credential = scripted(clock, cache=SharedCache())
    credential.get_token("https://graph.microsoft.com/.default", tenant_id=CUSTOMER)
    assert credential.calls == [(("https://graph.microsoft.com/.default",), CUSTOMER, None)]
