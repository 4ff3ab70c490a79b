"""Declared data: the objects compile to the config document, and the config loader checks
the new ``subscriptions`` entries with errors that name the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from partnercenter.emulator import ConfigError
from partnercenter.emulator.api.dataset import Dataset
from partnercenter.emulator.config import build
from partnercenter.testing import (
    App,
    Customer,
    EmulatorData,
    Partner,
    Subscription,
    User,
    load_data,
)


def directory_of(config: dict[str, Any], tmp_path: Path) -> Any:
    return build(config, source="test.toml", apps_dir=tmp_path)


def test_declared_customers_get_exactly_their_subscriptions(tmp_path: Path) -> None:
    data = EmulatorData(
        customers=[
            Customer(
                "Northwind",
                subscriptions=[
                    Subscription("CFQ7TTC0LH18", 25, "annual"),
                    "DZH318Z0BQ3Q",
                    Subscription("CFQ7TTC0LFK5", 2, status="suspended"),
                ],
            ),
            Customer("Empty Co", subscriptions=[]),
        ],
        generated_customers=0,
    )
    directory, settings = directory_of(data.to_config(), tmp_path)
    assert settings.api_generated_customers == 0
    dataset = Dataset(directory, seed=1, generated_customers=settings.api_generated_customers)
    names = {c["companyProfile"]["companyName"]: c["id"] for c in dataset.customers}
    assert set(names) == {"Fabrikam", "Wingtip Toys", "Adatum", "Northwind", "Empty Co"}
    northwind = dataset.subscriptions[names["Northwind"]]
    assert [(s["offerName"], s["quantity"], s["status"]) for s in northwind] == [
        ("Microsoft 365 Business Basic", 25, "active"),
        ("Azure plan", 1, "active"),
        ("Microsoft 365 E5", 2, "suspended"),
    ]
    assert dataset.subscriptions[names["Empty Co"]] == []
    # Customers without declared subscriptions keep the seed's two.
    assert len(dataset.subscriptions[names["Fabrikam"]]) == 2


def test_replacing_the_seed_keeps_its_apps_and_resources(tmp_path: Path) -> None:
    data = EmulatorData(
        partner=Partner("Tailwind Partner", "tailwindpartner.onmicrosoft.com"),
        users=[User("ops@tailwindpartner.onmicrosoft.com", mfa=False, roles=("AdminAgent",))],
        apps=[App("my-app"), App("my-cli", public_client=True)],
        replace_seed=True,
    )
    config = data.to_config()
    assert config["users"][0]["roles"] == ["AdminAgent"]
    del config["users"][0]["roles"]  # user roles are another emulator feature's config
    directory, _ = directory_of(config, tmp_path)
    assert [t.name for t in directory.tenants] == ["Tailwind Partner"]
    assert {a.name for a in directory.apps} >= {"partner-center-app", "my-app", "my-cli"}
    assert directory.resource("https://api.partnercenter.microsoft.com") is not None
    (user,) = directory.users
    assert user.totp_secret is None


def test_secrets_stay_out_of_reprs() -> None:
    assert "hunter2" not in repr(User("a@b.com", password="hunter2"))
    assert "hunter2" not in repr(App("x", secret="hunter2"))


@pytest.mark.parametrize(
    ("tenant", "message"),
    [
        ({"subscriptions": [{"product": "NOPE"}]}, r"subscriptions\[0\]\.product: 'NOPE'"),
        ({"subscriptions": [{"product": "CFQ7TTC0LH18", "quantity": 0}]}, r"\.quantity: must"),
        ({"subscriptions": [{"product": "CFQ7TTC0LH18", "billing_cycle": "x"}]}, "billing_cycle"),
        ({"subscriptions": [{"product": "CFQ7TTC0LH18", "color": "red"}]}, "color: unknown"),
        ({"subscriptions": "CFQ7TTC0LH18"}, "must be a list"),
        ({"subscriptions": [], "kind": "partner"}, "only a customer tenant"),
    ],
)
def test_bad_subscriptions_are_named(tenant: dict[str, Any], message: str, tmp_path: Path) -> None:
    entry = {"name": "Northwind", "domains": ["northwind.onmicrosoft.com"], **tenant}
    with pytest.raises(ConfigError, match=message) as caught:
        directory_of({"tenants": [entry]}, tmp_path)
    assert str(caught.value).startswith("test.toml: tenants[0]")


def test_zero_is_allowed_only_where_it_means_none(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="token_lifetime"):
        directory_of({"settings": {"token_lifetime": 0}}, tmp_path)
    with pytest.raises(ConfigError, match="api_generated_customers"):
        directory_of({"settings": {"api_generated_customers": -1}}, tmp_path)


def test_load_data_takes_objects_dicts_and_files(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text("tenants:\n  - name: Northwind\n    domains: [northwind.onmicrosoft.com]\n")
    assert load_data(path)["tenants"][0]["name"] == "Northwind"
    assert load_data({"tenants": []}) == {"tenants": []}
    assert load_data(EmulatorData())["tenants"] == []
    with pytest.raises(TypeError, match="EmulatorData, a dict or the path"):
        load_data(42)  # type: ignore[arg-type]
