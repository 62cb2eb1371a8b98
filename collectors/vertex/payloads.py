"""The objects of the Cloud Billing Catalog API's SKU list (`GET /v1/services/{id}/skus`)
as the SKU parser reads them (collectors/payloads.py), from the API's reference: a page
`{skus, nextPageToken}`, each Sku with `pricingInfo[]`, each PricingInfo with a
`pricingExpression` whose `tieredRates[]` carry a Money `unitPrice`. Any key not declared
here is recorded as unread with the run."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pricewatch.collectors.payloads import NESTED, List, PassedOver, Payload, Text


class Money(Payload):
    """`{currencyCode, units, nanos}`: units (a decimal string) plus nanos (10^-9)."""

    currencyCode: Any = None  # text; absent: USD, the catalog's currency  # the API's names
    units: Any = "0"
    nanos: Any = 0


class TierRate(Payload):
    """One tier: from `startUsageAmount` (in usage units) on, `unitPrice` per usage unit."""

    startUsageAmount: Any = 0
    unitPrice: Annotated[Money | None, NESTED] = None


class PricingExpression(Payload):
    """A unit sent as something other than text is a unit pricewatch does not name."""

    usageUnit: Any = None
    usageUnitDescription: Any = None
    baseUnit: Any = None
    baseUnitConversionFactor: Any = 1
    tieredRates: Any = None  # a non-empty list, or the SKU is refused
    baseUnitDescription: PassedOver = None
    displayQuantity: PassedOver = None


class PricingInfo(Payload):
    pricingExpression: Annotated[PricingExpression | None, NESTED] = None
    effectiveTime: Text = None  # a later one is a published future price
    summary: PassedOver = None
    aggregationInfo: PassedOver = None
    currencyConversionRate: PassedOver = None


class Sku(Payload):
    """One SKU: its description names model, component and modifiers (skus.describe);
    the last `pricingInfo` is the current price."""

    description: Text = None
    pricingInfo: List = None  # an empty or missing list prices nothing
    # identity, classification and regions: no price fact of a model
    name: PassedOver = None
    skuId: PassedOver = None
    category: PassedOver = None
    serviceRegions: PassedOver = None
    serviceProviderName: PassedOver = None
    geoTaxonomy: PassedOver = None


class SkuPage(Payload):
    skus: Any = Field(default_factory=list)  # a list; absent: none on this page
    nextPageToken: Text = None
