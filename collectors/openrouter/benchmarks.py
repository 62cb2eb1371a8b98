"""A catalogue model's `benchmarks` (OpenRouter's `/models`, since 2026) as score records,
attributed to whom the figures are from: Artificial Analysis' indexes
(`artificial_analysis: {intelligence_index, coding_index, agentic_index}`) and Design Arena's
ratings (`design_arena: [{arena, category, elo, win_rate, rank}]`). A figure sent as null
is no record; a key or an entry this module does not know is noted as unread."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pricewatch.collectors.base import UnreadLog
from pricewatch.records import AnyRecord, RecordError, validate_record

ANALYSIS_INDEXES = ("intelligence_index", "coding_index", "agentic_index")
ARENA_METRICS = ("elo", "win_rate")
ARENA_KEYS = ("arena", "category", *ARENA_METRICS, "rank")  # rank: a position, not a score
ATTRIBUTION = {
    "artificial_analysis": "Artificial Analysis (https://artificialanalysis.ai), as "
                           "OpenRouter's /models lists it",
    "design_arena": "Design Arena (https://www.designarena.ai), as OpenRouter's /models "
                    "lists it",
}
LICENCE = "not stated"  # OpenRouter's /models gives no licence for these figures


def _number(value: Any) -> Decimal | None:
    """A JSON number (read as int or Decimal) that is finite, else None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def _slug(text: Any) -> str | None:
    """An arena or category name as part of a benchmark name: lower case, any run of other
    characters than `[a-z0-9_-]` as one `-` (`agenticSlides-html` -> `agenticslides-html`)."""
    if not isinstance(text, str):
        return None
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-")
    return slug or None


def benchmark_scores(source: str, model: str, benchmarks: Any,
                     unread: UnreadLog) -> list[AnyRecord]:
    """The score records of one model's `benchmarks` object."""
    if benchmarks is None:
        return []
    if not isinstance(benchmarks, dict):
        unread.note("benchmarks", f"{model}: {benchmarks!r}")
        return []
    found: list[tuple[str, str, str, Decimal]] = []  # (origin, benchmark, metric, value)
    for key, value in benchmarks.items():
        if key == "artificial_analysis" and isinstance(value, dict):
            found += _analysis(model, value, unread)
        elif key == "design_arena" and isinstance(value, list):
            found += _arena(model, value, unread)
        elif key in ATTRIBUTION and value is None:
            continue
        else:
            unread.note(f"benchmarks.{key}", model)
    records, seen = [], set()
    for origin, benchmark, metric, value in found:
        if (benchmark, metric) in seen:  # two entries that read as one series: the first
            unread.note(f"benchmarks.{origin} (repeated)", f"{model}: {benchmark} {metric}")
            continue
        seen.add((benchmark, metric))
        try:
            records.append(validate_record({
                "kind": "score", "source": source, "provider": "openrouter",
                "benchmark": benchmark, "metric": metric, "value": value,
                "model_label": model, "model_ref": model, "licence": LICENCE,
                "attribution": ATTRIBUTION[origin]}, source))
        except RecordError:
            unread.note(f"benchmarks.{origin}", f"{model}: {benchmark} {metric} {value}")
    return records


def _analysis(model: str, indexes: dict[str, Any],
              unread: UnreadLog) -> list[tuple[str, str, str, Decimal]]:
    found = []
    for key, value in indexes.items():
        number = _number(value)
        if key in ANALYSIS_INDEXES and number is not None:
            found.append(("artificial_analysis", f"artificial_analysis.{key}", "index", number))
        elif key not in ANALYSIS_INDEXES or value is not None:
            unread.note(f"benchmarks.artificial_analysis.{key}", f"{model}: {value!r}")
    return found


def _arena(model: str, entries: list[Any],
           unread: UnreadLog) -> list[tuple[str, str, str, Decimal]]:
    found = []
    for entry in entries:
        arena = _slug(entry.get("arena")) if isinstance(entry, dict) else None
        category = _slug(entry.get("category")) if isinstance(entry, dict) else None
        if arena is None or category is None:
            unread.note("benchmarks.design_arena[]", f"{model}: {entry!r}")
            continue
        unread.keys(entry, ARENA_KEYS, model, "benchmarks.design_arena[].")
        for metric in ARENA_METRICS:
            number = _number(entry.get(metric))
            if number is not None:
                found.append(("design_arena", f"design_arena.{arena}.{category}", metric,
                              number))
            elif entry.get(metric) is not None:
                unread.note(f"benchmarks.design_arena[].{metric}", f"{model}: {entry!r}")
    return found

