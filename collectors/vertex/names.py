"""What Vertex AI's pages, model pages and SKUs share: model names and dates as Google
writes them.

Google names one model several ways: "Gemini 2.5 Pro" on the pricing page,
`llama-3.1-405b-instruct-maas` on a model page, "Gemini 2.5 Pro Text Input - Predictions"
in a SKU. `model_slug` turns each into the same Vertex model id, so the three sources
describe one offer; the views' canonical_model_rules then match it to other providers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

PROVIDER = "vertex"

_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_SLUG = re.compile(r"[^a-z0-9.]+")
_MAAS = re.compile(r"(?:-instruct)?-maas$")
# "Claude Opus 4.6 on Google Cloud" (2026 quota tables) names the model, not a variant.
_ON_PLATFORM = re.compile(r"-on-(?:google-cloud|vertex-ai|(?:gemini-enterprise-)?agent-platform)$")
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|"
           "november|december")
DATE = re.compile(rf"\b(?:({_MONTHS})\s+(\d{{1,2}}),?\s+(\d{{4}})|(\d{{4}})-(\d{{2}})-(\d{{2}}))",
                  re.IGNORECASE)


def model_slug(name: str) -> str:
    """`Gemini 2.5 Pro` -> `gemini-2.5-pro`; `llama-3.1-405b-instruct-maas` ->
    `llama-3.1-405b`. Parenthesised versions and regions ("(25.03)", "(Global)") and
    footnote marks are not part of a name, nor is a trailing "on Google Cloud" (the 2026
    quota tables' `claude-opus-4.6-on-google-cloud` is the pricing page's
    `claude-opus-4.6`)."""
    text = _PARENTHESES.sub(" ", name.lower()).replace("*", " ")
    text = _NOT_SLUG.sub("-", text).strip("-.")
    return _MAAS.sub("", _ON_PLATFORM.sub("", text))


def display_name(text: str) -> str:
    """A model cell's text as a name: one line, no footnote marks, no parenthesised dates."""
    text = re.sub(r"\s+", " ", text.replace("*", " ").replace("\u2020", " ")).strip()
    return re.sub(r"\s*\((?:[^)]*\d{4}[^)]*)\)", "", text).strip()


def parse_date(match: re.Match[str]) -> date | None:
    """A DATE match as a date; None when the text is not a real day."""
    try:
        if match.group(1):
            return datetime.strptime(f"{match.group(1)} {match.group(2)} {match.group(3)}",
                                     "%B %d %Y").date()
        return date(int(match.group(4)), int(match.group(5)), int(match.group(6)))
    except ValueError:
        return None


def first_date(text: str) -> date | None:
    match = DATE.search(text)
    return parse_date(match) if match else None


def tokens(figure: str, suffix: str = "") -> int:
    """`200K` -> 200000, `1M` -> 1000000, `128,000` -> 128000."""
    scale = {"k": 1000, "m": 1_000_000}.get(suffix.lower(), 1)
    return int(Decimal(figure.replace(",", "")) * scale)
