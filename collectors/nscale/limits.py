"""`nscale.limits`: the rate-limits FAQ (markdown at the page URL + .md, else HTML), which
says nscale does not enforce rate limits for serverless inference (a 429 there means
insufficient credit)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from pricewatch.collectors import pages
from pricewatch.collectors.base import ParseError, PlanContext, Source
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.records import AnyRecord, validate_record

LIMITS = "nscale.limits"

_NOT_ENFORCED = re.compile("(?:doesn|don)[\u2019']t|does not|do not", re.IGNORECASE)
_ENFORCE = re.compile(r"\s+enforce\s+rate\s+limits", re.IGNORECASE)
_FIGURE = re.compile(r"(\d[\d,]*)\s+(requests|tokens)\s+per\s+(second|minute|day)",
                     re.IGNORECASE)
_METRICS = {("requests", "second"): "requests_per_second",
            ("requests", "minute"): "requests_per_minute",
            ("requests", "day"): "requests_per_day",
            ("tokens", "minute"): "tokens_per_minute", ("tokens", "day"): "tokens_per_day"}


def parse_limits(body: bytes, observed_at: datetime,
                 options: NscaleSettings | None = None) -> list[AnyRecord]:
    """The rate-limits FAQ: "not enforced" is a stored fact; published figures are figures."""
    text = re.sub(r"\s+", " ", " ".join(pages.document_lines(body, LIMITS)))
    base = {"kind": "rate_limit", "source": LIMITS, "provider": "nscale",
            "scope": "serverless inference", "condition": ""}
    records = [validate_record({**base, "metric": _METRICS[(kind.lower(), unit.lower())],
                                "value": Decimal(figure.replace(",", ""))}, LIMITS)
               for figure, kind, unit in _FIGURE.findall(text)]
    if not records and any(_ENFORCE.match(text, m.end()) for m in _NOT_ENFORCED.finditer(text)):
        records.append(validate_record({
            **base, "metric": "requests_per_minute", "value": None, "enforced": False,
            "note": "not enforced for serverless inference; 429 means insufficient credit"},
            LIMITS))
    if not records:
        raise ParseError(LIMITS, "neither rate-limit figures nor a statement that none are "
                                 "enforced")
    return records


def plan_limits(options: NscaleSettings, context: PlanContext) -> list[Request]:
    page = options.limits_page_url
    allowed = frozenset(options.allowed_hosts)
    # The docs site's 429 is throttling; only the inference API's means "no credit".
    return [Request(LIMITS, page.rstrip("/") + ".md", allowed), Request(LIMITS, page, allowed)]


SOURCE = Source(LIMITS, "nscale", "rate-limit policy, the docs FAQ (markdown or HTML)",
                parse_limits, plan_limits, schedule=24 * 3600)
