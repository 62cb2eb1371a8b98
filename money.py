"""Money maths on prices per 1M tokens, exact in Decimal: the monthly cost of a workload at
an offer. `budget` and `compare` use it; the views' blended price is the same formula in SQL
(queries/cheapest_as_of.sql)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

ONE_MILLION = Decimal(1_000_000)  # tokens in the unit of a per_1m_tokens price


def effective_input_price(input_price: Decimal, cache_read_price: Decimal | None,
                          cache_share: Decimal) -> Decimal:
    """The input price when `cache_share` of input tokens are read from cache (at the
    cache-read price where one is published, else at the input price)."""
    return (1 - cache_share) * input_price + cache_share * (
        cache_read_price if cache_read_price is not None else input_price)


def monthly_cost(input_price: Decimal | None, output_price: Decimal | None,
                 cache_read_price: Decimal | None, tokens_in: Decimal, tokens_out: Decimal,
                 cache_share: Decimal = Decimal(0)) -> Decimal | None:
    """Exact cost of `tokens_in` + `tokens_out` at one offer's prices (USD per 1M tokens);
    None when the offer lacks a price the workload needs. Not rounded."""
    if input_price is None or (output_price is None and tokens_out):
        return None
    cost = tokens_in / ONE_MILLION * effective_input_price(input_price, cache_read_price,
                                                           cache_share)
    if tokens_out:
        assert output_price is not None
        cost += tokens_out / ONE_MILLION * output_price
    return cost


ROUNDING_RULE = "USD, rounded half-even to the cent (exact below a cent)"


def cents(cost: Decimal) -> Decimal:
    """A cost for display (ROUNDING_RULE): to the cent from one cent up, exact below a cent.
    Only tables round; `--json` carries the exact figure."""
    if cost >= Decimal("0.01") or cost == 0:
        return cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return cost
