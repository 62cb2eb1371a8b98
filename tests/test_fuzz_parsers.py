"""Every parser against mutated real captures (hypothesis): cut, shuffled, fields removed,
numbers turned into strings, huge or negative numbers, odd unicode. Only the parser's typed
errors (ParseError, RecordError) may escape, and no record carries a negative or
non-finite price. 40 examples per case by default, 400 with HYPOTHESIS_PROFILE=long.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import FIXTURES, fixture_path
from helpers.captures import PAGE_1
from helpers.vertex_pages import july_2026_page
from pricewatch.collectors import get_source
from pricewatch.collectors.base import ParseError
from pricewatch.records import PriceRecord, RateLimitRecord, RecordError, ScoreRecord
from pricewatch.settings import Settings

NOW_TEXT = "2026-08-01T00:00:00+00:00"
NOW = datetime.fromisoformat(NOW_TEXT)
DATA = Path(__file__).parent / "data"


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def _first(name: str, key: str, count: int = 3) -> bytes:
    payload = json.loads(fixture_path(*name.split("/")).read_text())
    return _json({**payload, key: payload[key][:count]})


def _first_runs(name: str, count: int = 3) -> bytes:
    """The first `count` items of a YAML list of runs, as the file writes them."""
    text = fixture_path(*name.split("/")).read_text()
    return "\n- ".join(text.split("\n- ")[:count]).encode() + b"\n"


def _csv_corner(name: str, columns: int = 12, rows: int = 2) -> bytes:
    """The header and the last `rows` rows of a wide CSV, first `columns` cells of each."""
    lines = fixture_path(*name.split("/")).read_bytes().splitlines()
    return b"\n".join(b",".join(line.split(b",")[:columns])
                      for line in [lines[0], *lines[-rows:]]) + b"\n"


def seeds() -> dict[str, bytes]:
    """A small real body per parser (small keeps each example fast)."""
    bundle = json.loads(fixture_path("openrouter", "endpoints-bundle-356-models-2026-05-18.json")
                        .read_text())["data"]
    nscale = json.loads((DATA / "nscale-models-built.json").read_text())
    return {
        "openrouter.models": _first("openrouter/models-2026-05-07.json", "data"),
        "openrouter.endpoints": _json(bundle[0]["response"]),
        "openrouter.providers": _first("openrouter/providers-2026-05-07.json", "data"),
        "openrouter.limits": fixture_path("openrouter", "limits-page-2026-10-07.md")
        .read_bytes()[:6000],
        "openrouter.key": _json({"data": {"label": "sk-or-v1-abc...def", "limit": 25,
                                          "usage": 1.5, "limit_reset": "monthly",
                                          "free_model_daily_requests": {"limit": 1000}}}),
        "nscale.models": _json({**nscale, "data": nscale["data"][:4]}),
        "nscale.hf-router": _first("nscale/hf-router-models-2026-06-19.json", "data", 4),
        "nscale.limits": fixture_path("nscale", "rate-limits-undated.txt").read_bytes(),
        "vertex.pricing": july_2026_page().encode(),
        "vertex.skus": _json({"skus": PAGE_1["skus"][:4]}),
        "vertex.quotas": fixture_path("vertex", "mistral-partner-page-2026.md").read_bytes(),
        "aider.polyglot": _first_runs("quality/aider-polyglot_leaderboard-2025-01-31-"
                                      "1a6a16e0.yml"),
        "lmarena.elo": _csv_corner("quality/lmarena-history-result-2025-03-02-3e962ffe.csv"),
        "records": b'{"kind": "price", "provider": "openrouter", "model": "a/b", '
                   b'"component": "input", "unit": "per_1m_tokens", "price": "0.06"}\n',
    }


SEEDS = seeds()
ODD_TEXT = st.sampled_from(["", "\u202e\u0000", "<script>alert(1)</script>", "\ud7ff\U0001f4a5",
                            "NaN", "Infinity", "-1", "1e400", "$-5", "$1e999", "\uff11\uff12\uff13",
                            "\n\n|---|---|\n", "</td></tr></table>", "N/A", "\x7f\x1b[31m"])
ODD_VALUE = st.sampled_from([None, True, [], {}, "", "-1", "abc", "1e400", "NaN", -5, 10 ** 40,
                             "-0.5", "0." + "1" * 60, "\u202e", 1.5])


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(data: Any, path: tuple, action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else data
    head, rest = path[0], path[1:]
    if isinstance(data, dict) and head in data:
        copy = dict(data)
        if not rest and action == "delete":
            del copy[head]
        elif not rest and action == "stringify":
            copy[head] = str(copy[head])
        else:
            copy[head] = _mutate(data[head], rest, action, value)
        return copy
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        copy = list(data)
        if not rest and action == "delete":
            copy.pop(head)
        else:
            copy[head] = _mutate(data[head], rest, action, value)
        return copy
    return data


@st.composite
def mutated_json(draw: st.DrawFn, seed: bytes) -> bytes:
    data = json.loads(seed)
    paths = _paths(data)
    for _ in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["delete", "replace", "stringify"]))
        data = _mutate(data, path, action, draw(ODD_VALUE))
    return json.dumps(data).encode()


@st.composite
def mutated_text(draw: st.DrawFn, seed: bytes) -> bytes:
    body = seed
    for _ in range(draw(st.integers(1, 5))):
        action = draw(st.sampled_from(["cut", "shuffle", "insert", "number", "bytes"]))
        at = draw(st.integers(0, max(0, len(body) - 1)))
        if action == "cut":
            body = body[:at]
        elif action == "shuffle":
            lines = body.split(b"\n")
            body = b"\n".join(draw(st.permutations(lines)))
        elif action == "insert":
            body = body[:at] + draw(ODD_TEXT).encode("utf-8", "surrogatepass") + body[at:]
        elif action == "number":
            body = body.replace(b"$", draw(st.sampled_from([b"$-", b"$9" * 30, b"$1e9"])), 1)
        else:
            body = body[:at] + draw(st.binary(max_size=8)) + body[at:]
    return body


_MONTH = ("january|february|march|april|may|june|july|august|september|october|november|"
          "december")
# A model id is a name: never a footnote mark or a period word, and for ids read from page
# text (Vertex), never a date. Provider-given ids (OpenRouter, nscale) may carry a dated
# snapshot such as gpt-4o-2024-08-06: that is the provider's id, kept as given.
_NOT_IN_ANY_ID = re.compile(r"[*\u2020\u2021]|(?:^|[-\s])(?:through|starting|until|effective)"
                            r"(?:[-\s]|$)", re.IGNORECASE)
_NOT_IN_PAGE_ID = re.compile(rf"(?:{_MONTH})-?\d|\d{{4}}-\d{{2}}-\d{{2}}|-(?:19|20)\d{{2}}$",
                             re.IGNORECASE)


def assert_plain_model_ids(records: list) -> None:
    for record in records:
        model = getattr(record, "model", None)
        if model is None:
            continue
        assert not _NOT_IN_ANY_ID.search(model), f"model id {model!r}"
        if record.provider == "vertex":
            assert not _NOT_IN_PAGE_ID.search(model), f"model id {model!r}"


def _every_capture() -> list[tuple[str, Path]]:
    """Every shared capture and test page with the source that reads its format."""
    found = [(source, path) for source, paths in (
        ("openrouter.models", FIXTURES.glob("openrouter/models-*.json")),
        ("openrouter.providers", FIXTURES.glob("openrouter/providers-*.json")),
        ("nscale.hf-router", FIXTURES.glob("nscale/hf-router-*.json")),
        ("nscale.limits", FIXTURES.glob("nscale/rate-limits*.txt")),
        ("vertex.pricing", [*FIXTURES.glob("vertex/*.html"), *FIXTURES.glob("vertex/*.md"),
                            *FIXTURES.glob("vertex/*.txt"), *DATA.glob("vertex-*.html")]),
        ("vertex.quotas", [*FIXTURES.glob("vertex/quotas-*"), *FIXTURES.glob("vertex/*.md")]),
    ) for path in sorted(paths)]
    assert len(found) > 30
    return found


@pytest.mark.parametrize(("source", "path"), _every_capture(), ids=lambda v: getattr(v, "name", v))
def test_no_model_id_holds_a_date_or_a_footnote_mark(source: str, path: Path) -> None:
    chosen = get_source(source)
    try:
        output = chosen.run_parser(path.read_bytes(), datetime.fromisoformat(NOW_TEXT),
                                   chosen.options(Settings()))
    except (ParseError, RecordError):
        return  # not this parser's format: the fuzz tests cover failures
    assert_plain_model_ids(output.records)


def test_no_model_id_on_the_july_2026_page_holds_a_date() -> None:
    page = july_2026_page().encode()
    assert_plain_model_ids(get_source("vertex.pricing").run_parser(page, NOW, None).records)


def check(source: str, body: bytes) -> None:
    from datetime import datetime

    try:
        chosen = get_source(source)
        output = chosen.run_parser(body, datetime.fromisoformat(NOW_TEXT),
                                   chosen.options(Settings()))
    except (ParseError, RecordError):
        return
    assert_plain_model_ids(output.records)
    for record in output.records:
        value = record.price if isinstance(record, PriceRecord) else (
            record.value if isinstance(record, RateLimitRecord | ScoreRecord) else None)
        if value is not None:
            assert isinstance(value, Decimal) and value.is_finite() and value >= 0, record


JSON_SOURCES = [s for s, body in SEEDS.items() if body.lstrip().startswith(b"{")]
TEXT_SOURCES = list(SEEDS)


@pytest.mark.parametrize("source", JSON_SOURCES)
@given(data=st.data())
def test_mutated_json_fails_only_with_typed_errors(source: str, data: st.DataObject) -> None:
    check(source, data.draw(mutated_json(SEEDS[source])))


@pytest.mark.parametrize("source", TEXT_SOURCES)
@given(data=st.data())
def test_mutated_bytes_fail_only_with_typed_errors(source: str, data: st.DataObject) -> None:
    check(source, data.draw(mutated_text(SEEDS[source])))


def test_every_parser_has_a_seed() -> None:
    from pricewatch.collectors import PARSERS

    assert set(PARSERS) == set(SEEDS)
