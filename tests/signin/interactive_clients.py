"""Third-party interactive clients, run as their own docs say, in a process of their own (so
that ``webbrowser`` reads the test's ``$BROWSER``): azure-identity's
``InteractiveBrowserCredential`` and MSAL Python's ``acquire_token_interactive``.

Usage: ``python interactive_clients.py azure|msal EMULATOR_JSON``; prints the access token's
claims as JSON, or exits 1 with the error.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

PC_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
#: Seconds the client waits for the browser (the test fails sooner than a hang).
TIMEOUT = 40


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return decoded


def run(kind: str, info: dict[str, Any]) -> str:
    tenant = info["partner_tenant"]["id"]
    app = next(a for a in info["apps"] if a["name"] == "partner-center-cli")
    if kind == "azure":
        from azure.identity import InteractiveBrowserCredential

        credential = InteractiveBrowserCredential(
            tenant_id=tenant,
            client_id=app["client_id"],
            authority=info["base_url"],
            disable_instance_discovery=True,
            connection_verify=info["ca_cert"],
            timeout=TIMEOUT,
        )
        return str(credential.get_token(PC_SCOPE).token)
    import msal

    client = msal.PublicClientApplication(
        app["client_id"],
        authority=f"{info['base_url']}/{tenant}",
        verify=info["ca_cert"],
        instance_discovery=False,
    )
    result = client.acquire_token_interactive([PC_SCOPE], timeout=TIMEOUT, prompt="select_account")
    if "access_token" not in result:
        raise RuntimeError(f"{result.get('error')}: {result.get('error_description')}")
    return str(result["access_token"])


def main(argv: list[str]) -> int:
    info = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    try:
        token = run(argv[1], info)
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(claims(token)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
