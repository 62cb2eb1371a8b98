"""One text form per figure and time (issue 30, item 2): Python's pricewatch.text and the
SQL macros of queries/text.sql write the same strings, and ages read the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricewatch import text
from pricewatch.queries import _files

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'America/Los_Angeles'")  # the macros convert to UTC
    connection.execute(_files()["text"])
    yield connection
    connection.close()


def test_ages_say_past_and_future_the_same_way() -> None:
    assert text.ago(NOW - timedelta(hours=3), NOW) == "3 h ago"
    assert text.ago(NOW + timedelta(hours=3), NOW) == "in 3 h"
    assert text.ago(NOW - timedelta(seconds=59), NOW) == "59 s ago"
    assert text.ago(NOW - timedelta(minutes=90), NOW) == "2 h ago"  # rounded, as a table reads
    assert text.ago(NOW - timedelta(days=213), NOW) == "213 d ago"


def test_schedules_and_stamps() -> None:
    assert [text.every(s) for s in (3600, 21600, 86400, 90, "3600", "0 6 * * *", None)] == \
        ["1 h", "6 h", "1 d", "90 s", "1 h", "0 6 * * *", None]
    assert text.stamp(datetime(2026, 1, 29, tzinfo=UTC)) == "2026-01-29"
    assert text.stamp(datetime(2026, 1, 29, 6, 30, tzinfo=UTC)) == "2026-01-29 06:30"
    # an interval's edge reads to the minute (issue 31, item 1); other times to the second
    assert text.stamp(datetime(2026, 1, 29, 6, 30, 41, tzinfo=UTC)) == "2026-01-29 06:30"
    assert text.stamp(datetime(2026, 1, 29, 6, 30, 41, tzinfo=UTC), seconds=True) == \
        "2026-01-29 06:30:41"
    assert text.stamp(datetime(2026, 1, 29, 1, 0, tzinfo=UTC).astimezone(
        datetime.now().astimezone().tzinfo)) == "2026-01-29 01:00"


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                    timezones=st.just(UTC)))
def test_iso_utc_is_the_same_in_python_and_sql(value: datetime) -> None:
    connection = duckdb.connect()
    connection.execute(_files()["text"])
    expected = text.iso_utc(value)
    connection.execute("CREATE TABLE t AS SELECT ?::TIMESTAMPTZ AS ts", [value])
    # from a column, as views and COPY use it (a constant would be folded first)
    assert connection.execute("SELECT iso_utc(ts) FROM t").fetchone()[0] == expected
    assert datetime.fromisoformat(expected.replace("Z", "+00:00")) == value
    connection.close()


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=12,
                   allow_nan=False, allow_infinity=False))
def test_decimal_text_is_the_same_in_python_and_sql(value: Decimal) -> None:
    connection = duckdb.connect()
    connection.execute(_files()["text"])
    connection.execute("CREATE TABLE t AS SELECT ?::DECIMAL(38, 18) AS x", [str(value)])
    shown = connection.execute("SELECT decimal_text(x) FROM t").fetchone()[0]
    assert shown == text.decimal_text(value)
    assert Decimal(shown) == value
    connection.close()


def test_sql_macros_keep_none_and_say_none_in_messages(con) -> None:
    assert con.execute("SELECT decimal_text(NULL::DECIMAL(38, 18)), price_text(NULL), "
                       "price_text(0.060::DECIMAL(38, 18)), "
                       "iso_utc(TIMESTAMPTZ '2026-01-29 06:30:00+00')").fetchone() == \
        (None, "none", "0.06", "2026-01-29T06:30:00Z")
