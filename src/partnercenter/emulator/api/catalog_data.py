"""The emulator's product catalog: products and SKUs (new commerce), legacy offers, and
agreement templates, with the resource shapes Partner Center gives them.

Static tables, so a catalog item id seen once (``CFQ7TTC0LH18:0001:...``) works every run.
Product ids follow Partner Center's 12-character style; prices are list prices in USD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..directory import derived_id
from .paging import link

Json = dict[str, Any]

#: Countries the catalog answers for, with their currency (code, symbol).
COUNTRIES: dict[str, tuple[str, str]] = {
    "US": ("USD", "$"),
    "CA": ("CAD", "$"),
    "GB": ("GBP", "£"),
    "DE": ("EUR", "€"),
    "FR": ("EUR", "€"),
    "NL": ("EUR", "€"),
    "AU": ("AUD", "$"),
    "JP": ("JPY", "¥"),
    "IN": ("INR", "₹"),
}

PRODUCT_TYPES = ("Azure", "OnlineServices", "Software")


@dataclass(frozen=True, slots=True)
class Product:
    """A new-commerce product (SKUs ``0001`` and, for licenses, the trial ``0002``)."""

    id: str
    title: str
    product_type: str
    #: Monthly list price per license (USD); 0 for consumption (Azure plan).
    price: float
    max_quantity: int = 300
    unit: str = "Licenses"


PRODUCTS: tuple[Product, ...] = (
    Product("DZH318Z0BQ3Q", "Azure plan", "Azure", 0.0, 1, "Usage-based"),
    Product("CFQ7TTC0LH18", "Microsoft 365 Business Basic", "OnlineServices", 6.0),
    Product("CFQ7TTC0LDPB", "Microsoft 365 Business Standard", "OnlineServices", 12.5),
    Product("CFQ7TTC0LCHC", "Microsoft 365 Business Premium", "OnlineServices", 22.0),
    Product("CFQ7TTC0LFLS", "Microsoft 365 E3", "OnlineServices", 36.0, 10000),
    Product("CFQ7TTC0LFK5", "Microsoft 365 E5", "OnlineServices", 57.0, 10000),
    Product("CFQ7TTC0LF8Q", "Office 365 E1", "OnlineServices", 10.0, 10000),
    Product("CFQ7TTC0LDR5", "Office 365 E3", "OnlineServices", 23.0, 10000),
    Product("CFQ7TTC0LHSF", "Microsoft Teams Essentials", "OnlineServices", 4.0),
    Product("CFQ7TTC0LH0R", "Exchange Online (Plan 1)", "OnlineServices", 4.0, 10000),
    Product("CFQ7TTC0LGZT", "Microsoft Defender for Business", "OnlineServices", 3.0),
    Product("CFQ7TTC0HD33", "Visio Plan 2", "OnlineServices", 15.0),
    Product("CFQ7TTC0HDB0", "Project Plan 3", "OnlineServices", 30.0),
    Product("CFQ7TTC0LFJ3", "Dynamics 365 Sales Professional", "OnlineServices", 65.0),
    Product("CFQ7TTC0LHWM", "Microsoft Entra ID P1", "OnlineServices", 6.0, 10000),
    Product("DG7GMGF0DVSV", "Windows Server 2022 Standard - 16 Core", "Software", 1069.0, 100),
    Product("DG7GMGF0FKZV", "SQL Server 2022 Standard - 2 Core", "Software", 3945.0, 100),
)
PRODUCTS_BY_ID: dict[str, Product] = {p.id.lower(): p for p in PRODUCTS}

#: Every product has SKU 0001; the license products also a trial SKU 0002.
TRIAL_SKU = "0002"


def sku_ids(product: Product) -> tuple[str, ...]:
    """The SKU ids a product offers."""
    return ("0001", TRIAL_SKU) if product.product_type == "OnlineServices" else ("0001",)


def availability_id(product: Product, sku: str) -> str:
    """Partner Center's availability ids are 12 characters; derived so they are stable."""
    return derived_id("availability", product.id, sku).replace("-", "")[:12].upper()


def catalog_item_id(product: Product, sku: str) -> str:
    """``product:sku:availability``, the id carts order by."""
    return f"{product.id}:{sku}:{availability_id(product, sku)}"


def billing_cycles(product: Product, sku: str) -> list[str]:
    """Billing cycles a SKU supports (Partner Center's lower-case names)."""
    if product.product_type == "Azure":
        return ["monthly"]
    if product.product_type == "Software":
        return ["one_time"]
    return ["none"] if sku == TRIAL_SKU else ["monthly", "annual"]


def product_body(product: Product, country: str) -> Json:
    """A ``Product`` resource as Partner Center serves it."""
    return {
        "id": product.id,
        "title": product.title,
        "description": f"{product.title} for organizations.",
        "productType": {"id": product.product_type, "displayName": product.product_type},
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft Corporation",
        "links": {
            "skus": link(f"/products/{product.id}/skus?country={country}"),
            "self": link(f"/products/{product.id}?country={country}"),
        },
        "attributes": {"objectType": "Product"},
    }


def sku_body(product: Product, sku: str, country: str) -> Json:
    """A ``Sku`` resource as Partner Center serves it."""
    trial = sku == TRIAL_SKU
    return {
        "id": sku,
        "productId": product.id,
        "title": f"{product.title}{' Trial' if trial else ''}",
        "description": f"{product.title}{' (one-month trial)' if trial else ''}",
        "minimumQuantity": 1,
        "maximumQuantity": 25 if trial else product.max_quantity,
        "isTrial": trial,
        "supportedBillingCycles": billing_cycles(product, sku),
        "purchasePrerequisites": [],
        "inventoryVariables": [],
        "provisioningVariables": [],
        "actions": [],
        "dynamicAttributes": {
            "isMicrosoftProduct": True,
            "unitType": product.unit,
            "catalogItemId": catalog_item_id(product, sku),
        },
        "links": {
            "availabilities": link(
                f"/products/{product.id}/skus/{sku}/availabilities?country={country}"
            ),
            "self": link(f"/products/{product.id}/skus/{sku}?country={country}"),
        },
        "attributes": {"objectType": "Sku"},
    }


@dataclass(frozen=True, slots=True)
class Offer:
    """A legacy license-based offer (ordered with ``POST .../orders``)."""

    id: str
    name: str
    category: str
    price: float
    unit: str = "Licenses"
    add_on: bool = False


_OFFER_NAMES: tuple[tuple[str, str, float], ...] = (
    ("Office 365 Business Essentials", "Business", 5.0),
    ("Office 365 Business Premium", "Business", 12.5),
    ("Office 365 Enterprise E1", "Enterprise", 8.0),
    ("Office 365 Enterprise E3", "Enterprise", 20.0),
    ("Office 365 Enterprise E5", "Enterprise", 35.0),
    ("Exchange Online (Plan 1)", "Business", 4.0),
    ("Exchange Online (Plan 2)", "Enterprise", 8.0),
    ("Exchange Online Archiving", "Enterprise", 3.0),
    ("SharePoint Online (Plan 1)", "Business", 5.0),
    ("Project Online Essentials", "Business", 7.0),
    ("Visio Online Plan 1", "Business", 5.0),
    ("Power BI Pro", "Enterprise", 10.0),
    ("Enterprise Mobility + Security E3", "Enterprise", 8.75),
    ("Microsoft Intune", "Enterprise", 6.0),
    ("Azure Active Directory Premium P1", "Enterprise", 6.0),
    ("Microsoft Stream", "Enterprise", 3.0),
    ("Skype for Business Online (Plan 2)", "Business", 5.5),
    ("Office 365 Advanced Threat Protection (Plan 1)", "Enterprise", 2.0),
    ("Windows 10 Enterprise E3", "Enterprise", 7.0),
    ("Dynamics 365 for Customer Service", "Enterprise", 50.0),
)

OFFERS: tuple[Offer, ...] = tuple(
    Offer(
        derived_id("offer", name).upper(),
        name,
        category,
        price,
        add_on=name.startswith(("Exchange Online Archiving", "Office 365 Advanced")),
    )
    for name, category, price in _OFFER_NAMES
)
OFFERS_BY_ID: dict[str, Offer] = {o.id.lower(): o for o in OFFERS}


def offer_body(offer: Offer, rank: int, country: str) -> Json:
    """A legacy ``Offer`` resource as Partner Center serves it."""
    return {
        "id": offer.id,
        "name": offer.name,
        "description": f"{offer.name}.",
        "minimumQuantity": 1,
        "maximumQuantity": 10000 if offer.category == "Enterprise" else 300,
        "rank": rank,
        "uri": f"/offers/{offer.id}",
        "locale": "en-US",
        "country": country,
        "category": {
            "id": offer.category,
            "name": offer.category,
            "rank": 10 if offer.category == "Business" else 20,
            "locale": "en-US",
            "country": country,
            "attributes": {"objectType": "OfferCategory"},
        },
        "prerequisiteOffers": [],
        "isAddOn": offer.add_on,
        "hasAddOns": False,
        "isAvailableForPurchase": True,
        "billing": "license",
        "supportedBillingCycles": ["annual", "monthly"],
        "isAutoRenewable": True,
        "product": {"id": offer.id.split("-")[0], "name": offer.name, "unit": offer.unit},
        "unitType": offer.unit,
        "links": {
            "learnMore": link("https://learn.microsoft.com/partner-center/"),
            "self": link(f"/offers/{offer.id}?country={country}"),
        },
        "attributes": {"objectType": "Offer"},
    }


@dataclass(frozen=True, slots=True)
class AgreementTemplate:
    """An agreement type customers accept (template id, type, link)."""

    template_id: str
    agreement_type: str
    link: str
    version_rank: int


AGREEMENT_TEMPLATES: tuple[AgreementTemplate, ...] = (
    AgreementTemplate(
        derived_id("agreement-template", "MicrosoftCloudAgreement"),
        "MicrosoftCloudAgreement",
        "https://aka.ms/microsoftcloudagreement",
        0,
    ),
    AgreementTemplate(
        derived_id("agreement-template", "MicrosoftCustomerAgreement"),
        "MicrosoftCustomerAgreement",
        "https://aka.ms/customeragreement",
        0,
    ),
)
AGREEMENT_TYPES = tuple(t.agreement_type for t in AGREEMENT_TEMPLATES)
TEMPLATES_BY_ID: dict[str, AgreementTemplate] = {
    t.template_id.lower(): t for t in AGREEMENT_TEMPLATES
}


def template_body(template: AgreementTemplate) -> Json:
    """An ``AgreementMetaData`` resource."""
    return {
        "templateId": template.template_id,
        "agreementType": template.agreement_type,
        "agreementLink": template.link,
        "versionRank": template.version_rank,
        "attributes": {"objectType": "AgreementMetaData"},
    }
