"""Every Python example of README.md and docs/*.md runs, against the emulator.

An example runs as written. The names the docs use as placeholders for a real tenant are
bound to the emulator's seed (:data:`PLACEHOLDERS`), and the library's global cloud is the
emulator for the duration (``Cloud.GLOBAL`` points at it and ``SSL_CERT_FILE`` at its CA), so
``pc.ClientSecretCredential(tenant_id, client_id, client_secret)`` really gets a token. An
emulator an example starts keeps serving until the file's last example has run, so a
``continue`` example may use the ``emu`` of the one before. Markers: see ``examples.py`` and
docs/architecture.md ("Examples in the docs are tested").
"""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

import partnercenter as pc
from partnercenter.emulator import Emulator
from partnercenter.stores import generate_store_key

from ..emulator.signin_driver import Page, pkce, redirect_params, sign_in
from .examples import ROOT, Example, doc_files, examples

#: What the placeholders of the docs stand for (documented in docs/architecture.md): the
#: seed's partner tenant, its confidential app, a customer tenant, and a refresh token from
#: an MFA sign-in of admin@contosopartner.onmicrosoft.com to that app (the one-time consent).
PLACEHOLDERS = (
    "pc",
    "tenant_id",
    "client_id",
    "client_secret",
    "customer_tenant_id",
    "refresh_token",
)


def consent_refresh_token(emu: Emulator) -> str:
    """The one-time consent, done with form posts: sign-in, TOTP, consent, code redemption."""
    app = emu.app("partner-center-app")
    user = next(u for u in emu.users if u["upn"] == "admin@contosopartner.onmicrosoft.com")
    tenant = emu.partner_tenant["id"]
    verifier, challenge = pkce()
    with httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=10) as web:
        params = {
            "client_id": app["client_id"],
            "response_type": "code",
            "redirect_uri": "http://localhost",
            "scope": "https://api.partnercenter.microsoft.com/user_impersonation offline_access",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        page = Page(web.get(f"/{tenant}/oauth2/v2.0/authorize", params=params))
        code = redirect_params(sign_in(web, page, user, emu=emu).response)["code"]
        answer = web.post(
            f"/{tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "authorization_code",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "code": code,
                "redirect_uri": "http://localhost",
                "code_verifier": verifier,
            },
        )
    answer.raise_for_status()
    return str(answer.json()["refresh_token"])


def placeholders(emu: Emulator) -> dict[str, Any]:
    app = emu.app("partner-center-app")
    return {
        "pc": pc,
        "tenant_id": emu.partner_tenant["id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "customer_tenant_id": emu.customer_tenants[0]["id"],
        "refresh_token": consent_refresh_token(emu),
    }


def run(example: Example, namespace: dict[str, Any]) -> None:
    code = compile(
        example.code, example.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    result = eval(code, namespace)  # noqa: S307 - the project's own documentation
    if inspect.iscoroutine(result):
        asyncio.run(_await(result))


async def _await(coroutine: Any) -> None:
    await coroutine


def close_leftovers(namespace: dict[str, Any]) -> None:
    """Close the credentials and clients an example left open (examples stay short; the
    test must not leak their connections)."""
    for value in list(namespace.values()):
        if not type(value).__module__.startswith("partnercenter."):
            continue
        close = getattr(value, "close", None)
        if callable(close):
            result = close()
            if inspect.iscoroutine(result):
                asyncio.run(_await(result))


def test_every_doc_is_scanned() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in doc_files()}
    assert {"README.md", "docs/porting.md", "docs/client.md"} <= names


@pytest.mark.parametrize(
    "path",
    [path for path in doc_files() if examples(path)],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_examples_run(
    path: Path,
    emu: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    found = examples(path)
    cloud = pc.Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url)
    monkeypatch.setattr(pc.Cloud, "GLOBAL", cloud)
    assert emu.ca_cert is not None
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_cert)
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", generate_store_key())
    monkeypatch.chdir(tmp_path)
    started: list[Emulator] = []
    real_stop = Emulator.stop
    monkeypatch.setattr(Emulator, "stop", lambda self: started.append(self))
    namespace: dict[str, Any] | None = None
    namespaces: list[dict[str, Any]] = []
    ran = 0
    try:
        for example in found:
            if example.marker == "skip":
                assert example.argument, f"{example.id}: a skipped example must say why"
                continue
            if example.marker == "continue":
                assert namespace is not None, f"{example.id}: nothing to continue"
            else:
                namespace = {"__name__": "__docs__", **placeholders(emu)}
                namespaces.append(namespace)
            if example.marker == "raises":
                with pytest.raises(Exception) as raised:
                    run(example, namespace)
                names = [cls.__name__ for cls in type(raised.value).__mro__]
                assert example.argument in names, f"{example.id}: raised {raised.value!r}"
            else:
                try:
                    run(example, namespace)
                except Exception as error:
                    pytest.fail(f"{example.id}: {type(error).__name__}: {error}")
            ran += 1
    finally:
        for leftover in namespaces:
            close_leftovers(leftover)
            leftover.clear()
        # What is left (MSAL's requests session...) is collected now, closing its sockets
        # before the emulators stop: a server stopped under open keep-alive connections
        # reports them as unclosed.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        for emu in started:
            real_stop(emu)
    assert ran, "every example of this file is skipped"
