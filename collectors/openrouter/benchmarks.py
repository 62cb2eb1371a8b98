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
from pricewatch.collectors.openrouter.payloads import AnalysisIndexes, ArenaRating, Benchmarks
from pricewatch.collectors.payloads import note_unread, number_or_none
from pricewatch.records import AnyRecord, RecordError, validate_record

ANALYSIS_INDEXES = tuple(AnalysisIndexes.model_fields)
ARENA_METRICS = ("elo", "win_rate")
ATTRIBUTION = {
    "artificial_analysis": "Artificial Analysis (https://artificialanalysis.ai), as "
                           "OpenRouter's /models lists it",
    "design_arena": "Design Arena (https://www.designarena.ai), as OpenRouter's /models "
                    "lists it",
}
LICENCE = "not stated"  # OpenRouter's /models gives no licence for these figures


def _slug(text: str | None) -> str | None:
    """An arena or category name as part of a benchmark name: lower case, any run of other
    characters than `[a-z0-9_-]` as one `-` (`agenticSlides-html` -> `agenticslides-html`)."""
    if text is None:
        return None
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-")
    return slug or None


def benchmark_scores(source: str, model: str, benchmarks: Any,
                     unread: UnreadLog) -> list[AnyRecord]:
    """The score records of one model's `benchmarks` object."""
    if benchmarks is None:
        return []
    marks = Benchmarks.read(benchmarks)
    if marks is None:
        unread.note("benchmarks", f"{model}: {benchmarks!r}")
        return []
    note_unread(unread, marks, model, "benchmarks.")
    found: list[tuple[str, str, str, int | Decimal]] = []  # (origin, benchmark, metric, value)
    for origin, value in benchmarks.items():  # in the order sent
        indexes = AnalysisIndexes.read(value) if origin == "artificial_analysis" else None
        if indexes is not None:
            found += _analysis(model, value, unread)
        elif origin == "design_arena" and isinstance(value, list):
            found += _arena(model, value, unread)
        elif origin in ATTRIBUTION and value is not None:  # another shape
            unread.note(f"benchmarks.{origin}", model)
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
              unread: UnreadLog) -> list[tuple[str, str, str, int | Decimal]]:
    """The indexes an `AnalysisIndexes` declares, in the order sent; any other key, or an
    index that is no number, is unread."""
    found = []
    for key, value in indexes.items():
        number = number_or_none(value) if key in ANALYSIS_INDEXES else None
        if number is not None:
            found.append(("artificial_analysis", f"artificial_analysis.{key}", "index", number))
        elif key not in ANALYSIS_INDEXES or value is not None:  # unknown, or no number
            unread.note(f"benchmarks.artificial_analysis.{key}", f"{model}: {value!r}")
    return found


def _arena(model: str, entries: list[Any],
           unread: UnreadLog) -> list[tuple[str, str, str, int | Decimal]]:
    found = []
    for entry in entries:
        rating = ArenaRating.read(entry)
        arena = _slug(rating.arena) if rating else None
        category = _slug(rating.category) if rating else None
        if rating is None or arena is None or category is None:
            unread.note("benchmarks.design_arena[]", f"{model}: {entry!r}")
            continue
        note_unread(unread, rating, model, "benchmarks.design_arena[].")
        for metric in ARENA_METRICS:
            value = getattr(rating, metric)
            number = number_or_none(value)
            if number is not None:
                found.append(("design_arena", f"design_arena.{arena}.{category}", metric,
                              number))
            elif value is not None:
                unread.note(f"benchmarks.design_arena[].{metric}", f"{model}: {entry!r}")
    return found
