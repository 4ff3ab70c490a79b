"""Emulator helpers of the Redis tests: the module emulator, the one-time consent into a store,
and a record of every refresh-token redemption the emulator sees."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from partnercenter import secure_app_consent
from partnercenter.emulator import Emulator

from ..emulator_support import cloud
from ..signin.signin_pages import User, authenticator, device_login

ADMIN = "admin@contosopartner.onmicrosoft.com"


def emulator_now(emu: Emulator) -> float:
    return float(emu.state.clock.now())


class RedemptionLog(dict[str, Any]):
    """The emulator's refresh-token table, recording for each redemption whether the token
    redeemed was the newest of its family at that moment."""

    def __init__(self, base: dict[str, Any]) -> None:
        super().__init__(base)
        # Insertion order is issue order: the last token of each family is its newest.
        self.newest: dict[str, str] = {grant.family: token for token, grant in base.items()}
        self.redeemed: list[bool] = []
        self.lock = threading.Lock()

    def __setitem__(self, token: str, grant: Any) -> None:
        with self.lock:
            super().__setitem__(token, grant)
            self.newest[grant.family] = token

    def get(self, token: str, default: Any = None) -> Any:  # type: ignore[override]
        with self.lock:
            grant = super().get(token, default)
            if grant is not None:
                self.redeemed.append(self.newest.get(grant.family) == token)
            return grant


def consent(emu: Emulator, store: Any) -> None:
    """The one-time consent sign-in (device code, the user answering with form posts)."""
    person = User.of(next(u for u in emu.users if u["upn"] == ADMIN))

    def complete(code: Any) -> None:
        def sign_in() -> None:
            with httpx.Client(verify=emu.verify, timeout=10) as web:
                device_login(
                    web, code.verification_uri, code.user_code, person, authenticator(emu, person)
                )

        threading.Thread(target=sign_in, daemon=True).start()

    secure_app_consent(
        emu.partner_tenant["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        store_key="fleet",
        method="device_code",
        prompt_callback=complete,
        cloud=cloud(emu),
        verify=emu.ca_cert,
    )
