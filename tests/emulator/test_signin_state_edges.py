"""The sign-in state's stores, called directly: what each entry holds, the exact edges of every
lifetime (an entry at exactly its limit is still valid), the caps and what pruning drops with
an entry (a device code's user code, a refresh token's place in its family), a device code
approved once, revocation, consents and single-use TOTP steps. The wire tests hold the same
rules through a running emulator; these reach each branch in milliseconds (edges the
mutation run, docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import string
from typing import Any

import pytest

from partnercenter.emulator.directory import Application, User
from partnercenter.emulator.identity import signin_state
from partnercenter.emulator.identity.lockout import SmartLockout
from partnercenter.emulator.identity.signin_state import (
    AuthorizeRequest,
    SignInFlow,
    SignInState,
    _prune,
)

APP = Application("cli", "0b1a6c66-8a58-4ab4-9f1c-2cfe2f9c2f35", "home", public_client=True)
NOW = 1_000_000.0


def person(name: str = "admin") -> User:
    return User(f"{name}@contoso.example", "home", f"oid-{name}", name.title(), "pw")


def request(**changes: Any) -> AuthorizeRequest:
    values: dict[str, Any] = {
        "version": 2,
        "segment": "common",
        "tenant": None,
        "app": APP,
        "redirect_uri": "http://localhost/cb",
        "response_mode": "query",
        "state": "s",
        "nonce": None,
        "resource": None,
        "permissions": [],
        "oidc_scopes": [],
        "code_challenge": None,
        "code_challenge_method": None,
        "prompt": None,
        "login_hint": None,
    }
    values.update(changes)
    return AuthorizeRequest(**values)


def signed_in(state: SignInState, now: float = NOW) -> SignInFlow:
    flow = state.new_flow(request(), now)
    flow.user, flow.amr = person(), ["pwd", "mfa"]
    return flow


# -- documented limits ----------------------------------------------------------------------


def test_the_limits() -> None:
    assert SignInState.FLOW_LIFETIME == 1800.0
    assert (SignInState.MAX_FLOWS, SignInState.MAX_DEVICE_CODES) == (10_000, 10_000)
    assert (SignInState.MAX_CODES, SignInState.MAX_REFRESH_TOKENS) == (10_000, 50_000)
    assert SignInState.REFRESH_TOKENS_PER_FAMILY == 256


def test_a_new_state_is_empty_and_uses_the_lockout_given() -> None:
    lockout = SmartLockout()
    assert SignInState(lockout).lockout is lockout
    fresh = SignInState()
    assert isinstance(fresh.lockout, SmartLockout)
    assert fresh.sizes() == {
        "flows": 0,
        "codes": 0,
        "device_codes": 0,
        "user_codes": 0,
        "refresh_tokens": 0,
        "refresh_families": 0,
        "consents": 0,
    }
    assert fresh.totp_steps == {}


# -- browser flows ----------------------------------------------------------------------------


def test_a_flow_is_kept_for_exactly_its_lifetime() -> None:
    state = SignInState()
    req = request()
    flow = state.new_flow(req, NOW, device_code="dc")
    assert (flow.request, flow.created, flow.stage, flow.device_code) == (req, NOW, "signin", "dc")
    assert flow.user is None and flow.amr == []
    assert len(flow.id) == 32  # 24 random bytes, base64url
    assert state.flow(flow.id, NOW + 1800) is flow
    assert state.flow(flow.id, NOW + 1800.5) is None
    assert state.flow("unknown", NOW) is None
    assert state.new_flow(req, NOW).device_code is None


def test_ending_a_flow_forgets_it() -> None:
    state = SignInState()
    flow = state.new_flow(request(), NOW)
    state.end_flow(flow.id)
    state.end_flow(flow.id)  # twice: no error
    assert state.flow(flow.id, NOW) is None and state.sizes()["flows"] == 0


def test_expired_flows_are_dropped_on_the_next_insertion_and_a_live_one_stops_the_scan() -> None:
    state = SignInState()
    first = state.new_flow(request(), NOW)
    second = state.new_flow(request(), NOW + 10)
    state.new_flow(request(), NOW + 1800)  # first is exactly at its limit: kept
    assert first.id in state.flows
    state.new_flow(request(), NOW + 1800.5)
    assert first.id not in state.flows and second.id in state.flows
    assert state.sizes()["flows"] == 3


def test_flows_past_the_cap_drop_the_oldest() -> None:
    class Small(SignInState):
        MAX_FLOWS = 3

    state = Small()
    flows = [state.new_flow(request(), NOW + i) for i in range(4)]
    assert list(state.flows) == [f.id for f in flows[1:]]


# -- authorization codes ----------------------------------------------------------------------


def test_a_code_carries_the_sign_in_and_a_copy_of_its_amr() -> None:
    state = SignInState()
    flow = signed_in(state)
    code = state.new_code(flow, expires=NOW + 600)
    assert code.code.startswith("1.A") and len(code.code) == 3 + 128
    assert (code.request, code.user, code.amr, code.expires) == (
        flow.request,
        flow.user,
        ["pwd", "mfa"],
        NOW + 600,
    )
    assert code.redeemed is False
    flow.amr.append("later")
    assert code.amr == ["pwd", "mfa"]
    assert state.codes[code.code] is code


def test_a_code_needs_a_signed_in_user() -> None:
    state = SignInState()
    with pytest.raises(AssertionError):
        state.new_code(state.new_flow(request(), NOW), expires=NOW + 600)


def test_expired_codes_are_pruned_against_now_or_the_flows_start() -> None:
    state = SignInState()
    old = state.new_code(signed_in(state), expires=NOW + 100)
    # Without now, the flow's creation time is the clock: NOW + 100 is not past yet.
    state.new_code(signed_in(state, NOW + 100), expires=NOW + 700)
    assert old.code in state.codes
    state.new_code(signed_in(state, NOW), expires=NOW + 800, now=NOW + 100.5)
    assert old.code not in state.codes and state.sizes()["codes"] == 2


def test_codes_past_the_cap_drop_the_oldest() -> None:
    class Small(SignInState):
        MAX_CODES = 2

    state = Small()
    codes = [state.new_code(signed_in(state), expires=NOW + 600) for _ in range(3)]
    assert list(state.codes) == [c.code for c in codes[1:]]


# -- device codes -----------------------------------------------------------------------------


def test_a_device_code_and_its_user_code() -> None:
    state = SignInState()
    req = request()
    device = state.new_device_code(req, NOW, NOW + 900, 5)
    assert device.device_code.startswith("DAQABAAEAAA") and len(device.device_code) == 11 + 128
    assert len(device.user_code) == 9
    assert set(device.user_code) <= set(string.ascii_uppercase + string.digits)
    assert (device.request, device.expires, device.interval, device.status) == (
        req,
        NOW + 900,
        5,
        "pending",
    )
    assert state.user_codes == {device.user_code: device.device_code}
    assert state.device_codes == {device.device_code: device}
    spelled = device.user_code[:4].lower() + "-" + device.user_code[4:].lower()
    assert state.device_by_user_code(f"  {spelled} ") is device
    assert state.device_by_user_code("NOPE") is None


def test_user_codes_use_upper_case_letters_and_digits() -> None:
    state = SignInState()
    seen = "".join(state.new_device_code(request(), NOW, NOW + 900, 5).user_code for _ in range(60))
    assert any(c.isdigit() for c in seen) and any(c.isalpha() for c in seen)
    assert seen == seen.upper()


def test_a_user_code_already_in_use_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    state = SignInState()
    draws = iter("AAAAAAAAA" + "AAAAAAAAA" + "BBBBBBBBB")

    class Scripted:
        @staticmethod
        def choice(alphabet: str) -> str:
            return next(draws)

        token_urlsafe = staticmethod(signin_state.secrets.token_urlsafe)

    monkeypatch.setattr(signin_state, "secrets", Scripted)
    first = state.new_device_code(request(), NOW, NOW + 900, 5)
    second = state.new_device_code(request(), NOW, NOW + 900, 5)
    assert (first.user_code, second.user_code) == ("AAAAAAAAA", "BBBBBBBBB")
    assert state.device_by_user_code("AAAAAAAAA") is first


def test_expired_device_codes_are_dropped_with_their_user_codes() -> None:
    state = SignInState()
    old = state.new_device_code(request(), NOW, NOW + 100, 5)
    state.new_device_code(request(), NOW + 100, NOW + 1000, 5)  # exactly expired: kept
    assert old.device_code in state.device_codes
    state.new_device_code(request(), NOW + 100.5, NOW + 1000, 5)
    assert old.device_code not in state.device_codes
    assert old.user_code not in state.user_codes
    assert state.sizes()["device_codes"] == state.sizes()["user_codes"] == 2


def test_device_codes_past_the_cap_drop_the_oldest() -> None:
    class Small(SignInState):
        MAX_DEVICE_CODES = 2

    state = Small()
    devices = [state.new_device_code(request(), NOW, NOW + 900, 5) for _ in range(3)]
    assert list(state.device_codes) == [d.device_code for d in devices[1:]]
    assert set(state.user_codes) == {d.user_code for d in devices[1:]}


def test_a_device_code_is_approved_once_until_it_expires() -> None:
    state = SignInState()
    device = state.new_device_code(request(), NOW, NOW + 900, 5)
    amr = ["pwd"]
    assert state.approve_device(device, person(), amr, now=NOW + 900)  # at expiry: still valid
    amr.append("later")
    assert (device.status, device.user, device.amr) == ("approved", person(), ["pwd"])
    assert not state.approve_device(device, person("other"), ["pwd"], now=NOW)
    assert device.user == person()
    late = state.new_device_code(request(), NOW, NOW + 900, 5)
    assert not state.approve_device(late, person(), ["pwd"], now=NOW + 900.5)
    assert late.status == "pending" and late.user is None


def test_only_a_pending_device_code_can_be_declined() -> None:
    state = SignInState()
    device = state.new_device_code(request(), NOW, NOW + 900, 5)
    state.decline_device(device)
    assert device.status == "declined"
    assert not state.approve_device(device, person(), ["pwd"], now=NOW)
    approved = state.new_device_code(request(), NOW, NOW + 900, 5)
    state.approve_device(approved, person(), ["pwd"], now=NOW)
    state.decline_device(approved)
    assert approved.status == "approved"


# -- refresh tokens ---------------------------------------------------------------------------


def test_a_refresh_token_records_its_grant() -> None:
    state = SignInState()
    amr = ["pwd", "mfa"]
    grant = state.new_refresh_token(person(), "client", amr, NOW, resource="https://api")
    amr.append("later")
    assert grant.token.startswith("1.AR") and len(grant.token) == 4 + 214
    assert (grant.user, grant.client_id, grant.amr, grant.issued, grant.resource) == (
        person(),
        "client",
        ["pwd", "mfa"],
        NOW,
        "https://api",
    )
    assert len(grant.family) == 16 and grant.revoked is False
    assert state.refresh_tokens == {grant.token: grant}
    assert list(state.families[grant.family]) == [grant.token]
    rotated = state.new_refresh_token(person(), "client", ["pwd"], NOW + 1, grant.family)
    assert rotated.family == grant.family and rotated.resource is None
    assert list(state.families[grant.family]) == [grant.token, rotated.token]
    other = state.new_refresh_token(person(), "client", ["pwd"], NOW + 2)
    assert other.family != grant.family and state.sizes()["refresh_families"] == 2


def test_a_family_keeps_its_newest_tokens_only() -> None:
    class Small(SignInState):
        REFRESH_TOKENS_PER_FAMILY = 3

    state = Small()
    first = state.new_refresh_token(person(), "c", ["pwd"], NOW)
    grants = [first]
    for i in range(3):
        grants.append(state.new_refresh_token(person(), "c", ["pwd"], NOW + i, first.family))
    assert list(state.families[first.family]) == [g.token for g in grants[1:]]
    assert first.token not in state.refresh_tokens
    assert all(g.token in state.refresh_tokens for g in grants[1:])


def test_tokens_older_than_max_age_are_pruned_with_their_family() -> None:
    state = SignInState()
    old = state.new_refresh_token(person(), "c", ["pwd"], NOW)
    kept = state.new_refresh_token(person(), "c", ["pwd"], NOW + 50)
    # Exactly max_age old is still valid; older is dropped, and its family with its last token.
    state.new_refresh_token(person(), "c", ["pwd"], NOW + 100, max_age=100)
    assert old.token in state.refresh_tokens
    state.new_refresh_token(person(), "c", ["pwd"], NOW + 100.5, max_age=100)
    assert old.token not in state.refresh_tokens and old.family not in state.families
    assert kept.token in state.refresh_tokens and kept.family in state.families
    # Without max_age nothing expires.
    state.new_refresh_token(person(), "c", ["pwd"], NOW + 10**9)
    assert kept.token in state.refresh_tokens


def test_pruning_a_token_leaves_the_rest_of_its_family() -> None:
    class Small(SignInState):
        MAX_REFRESH_TOKENS = 2

    state = Small()
    first = state.new_refresh_token(person(), "c", ["pwd"], NOW)
    second = state.new_refresh_token(person(), "c", ["pwd"], NOW + 1, first.family)
    third = state.new_refresh_token(person(), "c", ["pwd"], NOW + 2)
    assert list(state.refresh_tokens) == [second.token, third.token]
    assert list(state.families[first.family]) == [second.token]
    assert list(state.families[third.family]) == [third.token]


def test_forgetting_a_token_of_an_unknown_family_or_one_already_gone_is_harmless() -> None:
    state = SignInState()
    grant = state.new_refresh_token(person(), "c", ["pwd"], NOW)
    state.families[grant.family].clear()
    state.families[grant.family].append("another")
    state._forget_in_family(grant)  # not in the deque: no error, the family stays
    assert list(state.families[grant.family]) == ["another"]
    del state.families[grant.family]
    state._forget_in_family(grant)  # no family at all


def test_revoking_a_user_revokes_only_their_live_tokens() -> None:
    state = SignInState()
    mine = [state.new_refresh_token(person(), "c", ["pwd"], NOW + i) for i in range(3)]
    theirs = state.new_refresh_token(person("other"), "c", ["pwd"], NOW)
    mine[0].revoked = True
    assert state.revoke_user("oid-admin") == 2
    assert all(g.revoked for g in mine) and not theirs.revoked
    assert state.revoke_user("oid-admin") == 0
    assert state.revoke_user("oid-nobody") == 0


# -- consents and TOTP ------------------------------------------------------------------------


def test_consents_accumulate_and_are_returned_as_copies() -> None:
    state = SignInState()
    admin = person()
    assert state.consented(admin, "c") == set()
    state.grant_consent(admin, "c", {"api/read"})
    state.grant_consent(admin, "c", {"api/write"})
    granted = state.consented(admin, "c")
    assert granted == {"api/read", "api/write"}
    granted.add("mutated")
    assert state.consented(admin, "c") == {"api/read", "api/write"}
    assert state.consented(admin, "other-client") == set()
    assert state.consented(person("other"), "c") == set()
    assert state.sizes()["consents"] == 1


def test_a_totp_step_is_accepted_once_and_never_an_earlier_one() -> None:
    state = SignInState()
    admin, other = person(), person("other")
    now = 100 * 30.0  # the start of step 100
    assert state.use_totp_step(admin, 100, now)
    assert not state.use_totp_step(admin, 100, now)
    assert not state.use_totp_step(admin, 99, now)
    assert state.use_totp_step(other, 100, now)  # per user
    assert state.use_totp_step(admin, 101, now)
    assert state.totp_steps == {"oid-admin": 101, "oid-other": 100}
    # The clock moved back behind the steps used: they are forgotten, not a lock-out.
    assert state.use_totp_step(admin, 50, 50 * 30.0)
    assert state.totp_steps["oid-admin"] == 50


# -- the pruning helper -----------------------------------------------------------------------


def test_prune_drops_expired_then_full_and_stops_at_the_first_live_entry() -> None:
    from collections import OrderedDict

    store: OrderedDict[str, int] = OrderedDict((k, v) for k, v in [("a", 1), ("b", 9), ("c", 2)])
    # "c" is expired too, but behind a live entry: the scan stops at "b".
    assert _prune(store, 10, lambda v: v < 5) == [1]
    assert list(store) == ["b", "c"]
    assert _prune(store, 2, None) == [9]  # full: the oldest goes, however live
    assert _prune(store, 2, None) == []
    assert list(store) == ["c"]
    assert _prune(OrderedDict(), 1, None) == []
