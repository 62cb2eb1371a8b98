from decimal import Decimal

import pytest

from helpers import jsonl, price_line
from pricewatch.errors import InputError
from pricewatch.records import (
    PriceRecord,
    RecordError,
    decimal_text,
    parse_jsonl,
    parse_timestamp,
    to_jsonl,
)


def test_decimal_text_never_uses_exponents() -> None:
    assert decimal_text(Decimal("0.00000006") * 1_000_000) == "0.06"
    assert decimal_text(Decimal("6E-8")) == "0.00000006"
    assert decimal_text(Decimal("1E+1")) == "10"
    assert decimal_text(Decimal("0E-18")) == "0"
    assert decimal_text(Decimal("2.500")) == "2.5"


def test_round_trip_keeps_exact_decimals() -> None:
    body = jsonl(price_line("a/b", "0.08333333333333334"), price_line("a/c", None, dynamic=True))
    records = parse_jsonl(body)
    assert records[0].price == Decimal("0.08333333333333334")
    assert records[1].dynamic and records[1].price is None
    assert parse_jsonl("\n".join(to_jsonl(records)).encode()) == records


def test_json_number_prices_are_read_without_float_noise() -> None:
    body = b'{"kind":"price","provider":"nscale","model":"m","component":"input",' \
           b'"unit":"per_1m_tokens","price":0.030000000000000002}'
    assert parse_jsonl(body)[0].price == Decimal("0.030000000000000002")


@pytest.mark.parametrize(("line", "field", "reason"), [
    (price_line("m", "-0.5"), "price", "must not be negative"),
    (price_line("m", "cheap"), "price", "decimal"),
    (price_line("m", "NaN"), "price", "finite"),
    (price_line("m", "1", unit="per_token"), "unit", "per_1m_tokens"),
    (price_line("m", "1", observed_at="2026-01-01T00:00:00"), "observed_at", "timezone"),
    (price_line("m", "1", provider="Acme Cloud!"), "provider", "pattern"),
    (price_line("m", "0.0000000000000000001"), "price", "18 decimal places"),
    (price_line("m", None), "", "price is required"),
    ('{"kind": "price", "provider": "openrouter"', None, "not a JSON object"),
    ('{"kind": "bogus"}', "kind", "kind must be one of"),
])
def test_bad_lines_name_line_and_field(line: str, field: str | None, reason: str) -> None:
    body = jsonl(price_line("ok", "1"), line)
    with pytest.raises(RecordError) as caught:
        parse_jsonl(body, source="prices.jsonl")
    error = caught.value
    assert error.line == 2
    assert error.source == "prices.jsonl"
    if field:
        assert error.field == field
    assert reason in str(error)
    assert str(error).startswith("prices.jsonl, line 2")


def test_empty_file_is_an_error_not_an_empty_success() -> None:
    with pytest.raises(RecordError, match="no records"):
        parse_jsonl(b"\n\n")


def test_dynamic_price_cannot_carry_a_figure() -> None:
    with pytest.raises(RecordError, match="dynamic"):
        parse_jsonl(jsonl(price_line("m", "1", dynamic=True)))


def test_timestamps_must_be_aware_and_become_utc() -> None:
    assert parse_timestamp("2026-01-29").isoformat() == "2026-01-29T00:00:00+00:00"
    assert parse_timestamp("2026-01-29T02:00:00+02:00").hour == 0
    with pytest.raises(InputError, match="no timezone"):
        parse_timestamp("2026-01-29T02:00:00")


def test_offer_lists_are_sorted_and_unique() -> None:
    line = '{"kind":"offer","provider":"openrouter","model":"m",' \
           '"input_modalities":["text","image","text"],"context_length":null}'
    offer = parse_jsonl(line.encode())[0]
    assert offer.input_modalities == ["image", "text"]
    assert offer.context_length is None
    assert not isinstance(offer, PriceRecord)
