"""``partnercenter call``, ``customers list|show`` and ``invoices list``: the API from a shell.

Every request goes through :class:`~partnercenter.PartnerClient`: the Partner Center headers,
retries (429 with ``Retry-After``, 5xx, dropped connections), one token refresh on a 401, and
the errors with their code and hint. ``--all-pages`` follows both paging styles (offset links
and continuation tokens) and reports progress on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .errors import EXIT_USAGE, CliError
from .main import common_options
from .output import emit
from .settings import resolve

__all__ = ["call", "customers", "invoices"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def _body(value: str | None) -> Any:
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        name = value[1:]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(
                f"--body: cannot read {name}: {exc.strerror or exc}", exit_code=EXIT_USAGE
            ) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        # The position only: the body may hold secrets (a user's new password).
        raise CliError(
            f"--body is not valid JSON (line {exc.lineno}, column {exc.colno})"  # type: ignore[attr-defined]
            if hasattr(exc, "lineno")
            else "--body is not valid JSON",
            exit_code=EXIT_USAGE,
        ) from None


def _params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError("--param takes NAME=VALUE", exit_code=EXIT_USAGE)
        params[name] = value
    return params


class _Progress:
    """Pages fetched, on stderr: a live line on a terminal, a line per page otherwise."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.pages = self.items = 0

    def page(self, count: int) -> None:
        self.pages += 1
        self.items += count
        text = f"page {self.pages}: {self.items} items"
        if self.live:
            click.echo(f"\r{text}", err=True, nl=False)
        else:
            click.echo(text, err=True)

    def done(self) -> None:
        if self.live and self.pages:
            click.echo("", err=True)


def _collect(pager: Any, limit: int | None) -> list[Any]:
    progress = _Progress()
    items: list[Any] = []
    try:
        for page in pager.pages():
            items.extend(page.items)
            progress.page(len(page.items))
            if limit is not None and len(items) >= limit:
                break
    finally:
        progress.done()
    return items[:limit] if limit is not None else items


@click.command()
@click.argument("method", type=click.Choice(_METHODS, case_sensitive=False), metavar="METHOD")
@click.argument("path")
@click.option("--body", help="JSON body, or @FILE (@- reads stdin).")
@click.option("--param", "params", multiple=True, help="Query parameter NAME=VALUE (repeatable).")
@click.option("--all-pages", is_flag=True, help="Follow every page; print all the items.")
@click.option("--max-items", type=click.IntRange(min=1), help="With --all-pages: stop after N.")
@common_options
def call(
    method: str,
    path: str,
    body: str | None,
    params: tuple[str, ...],
    all_pages: bool,
    max_items: int | None,
) -> None:
    """Any Partner Center request, e.g. `call GET /v1/customers --all-pages`.

    PATH is under the API root (/v1 optional). Auth, headers and retries are the library's.
    """
    from .session import partner_client

    payload = _body(body)
    query = _params(params)
    with partner_client(resolve()) as client:
        if all_pages:
            if method.upper() != "GET":
                raise CliError("--all-pages is for GET requests", exit_code=EXIT_USAGE)
            pager = client.paginate("GET", path, params=query or None)
            emit(_collect(pager, max_items))
            return
        response = client.request(method.upper(), path, params=query or None, json=payload)
        emit(response.body)


@click.group()
def customers() -> None:
    """The partner's customers (Get-PartnerCustomer)."""


def _list_command(group: click.Group, noun: str, operation: str) -> None:
    """``<group> list``: every item of the paged ``operation`` (a method of the client),
    all pages, with progress on stderr; ``--max-items`` stops early."""

    @group.command("list", help=f"Every {noun} (all pages; progress on stderr).")
    @click.option("--size", type=click.IntRange(1, 500), help="Page size.")
    @click.option("--max-items", type=click.IntRange(min=1), help=f"Stop after N {noun}s.")
    @common_options
    def list_all(size: int | None, max_items: int | None) -> None:
        from .session import partner_client

        with partner_client(resolve()) as client:
            emit(_collect(getattr(client, operation)(size=size), max_items))


_list_command(customers, "customer", "list_customers")


@customers.command()
@click.argument("customer_id", metavar="ID")
@common_options
def show(customer_id: str) -> None:
    """One customer by id."""
    from .session import partner_client

    with partner_client(resolve()) as client:
        emit(client.get_customer(customer_id))


@click.group()
def invoices() -> None:
    """The partner's invoices (Get-PartnerInvoice)."""


_list_command(invoices, "invoice", "list_invoices")
