"""Sign in on the emulator's pages with plain form posts, as the person at the browser would."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx

from partnercenter.demo import authenticator_code, sign_in_pages
from partnercenter.emulator import Emulator


def user(emu: Emulator, *, mfa: bool) -> dict[str, Any]:
    tenant = emu.partner_tenant["id"]
    for candidate in emu.users:
        if candidate.get("tenant_id") == tenant and bool(candidate.get("totp_secret")) == mfa:
            return candidate
    raise AssertionError("the seed has no such partner user")


def complete_device_code(
    emu: Emulator, process: subprocess.Popen[str], who: dict[str, Any]
) -> list[str]:
    """Read the CLI's stderr up to the device-code message, then sign in on /devicelogin.
    Returns the stderr lines read."""
    assert process.stderr is not None
    lines: list[str] = []
    while True:
        line = process.stderr.readline()
        assert line, f"the CLI ended before showing a device code: {lines}"
        lines.append(line)
        if "enter the code" in line:
            break
    code = line.split("enter the code ")[1].split()[0]
    uri = line.split("open the page ")[1].split()[0]
    with httpx.Client(verify=emu.verify, timeout=10) as client:
        page = client.post(uri, data={"otc": code})
        final = sign_in_pages(client, page, who, authenticator_code(emu, who["upn"]))
    assert "You may now close this window" in final.text, final.text[:300]
    return lines
