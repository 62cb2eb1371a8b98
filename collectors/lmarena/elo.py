"""`lmarena.elo`: LMArena's (Chatbot Arena's) overall text Elo per model per leaderboard
date, as the CSV of nakasyou/lmarena-history holds it (`output/result.csv`, MIT; the data
is LMArena's published `elo_results_YYYYMMDD.pkl`): a header row of model ids after an
empty index cell, then one row per date (`YYYYMMDD`) with each model's Elo, `0.0` for a
model not on that date's board.

One score record per model and date it was rated (benchmark `lmarena.text`, metric `elo`,
run_label the date), the Elo exact from its text. A 0, an empty cell or a cell past the
header is no rating; a row whose date is unreadable or repeated, or a model's second
column, is left out, named; a cell that is no number is counted and named in the
warnings. Off by default (`[lmarena] enabled`).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.lmarena.settings import LmarenaSettings
from pricewatch.collectors.pages import decode
from pricewatch.records import AnyRecord, RecordError, validate_record

ELO = "lmarena.elo"
BENCHMARK = "lmarena.text"
LICENCE = ("MIT (nakasyou/lmarena-history); the Elo figures are LMArena's, without a "
           "licence of their own")
ATTRIBUTION = ("LMArena (Chatbot Arena) overall text Elo, https://lmarena.ai, as "
               "nakasyou/lmarena-history collects it")


def _date(text: str) -> date:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"{text!r} is not a YYYYMMDD date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def parse_elo(body: bytes, observed_at: datetime,
              options: LmarenaSettings | None = None) -> ParseOutput:
    """Every rating of the history as a score record."""
    rows = list(csv.reader(io.StringIO(decode(body, ELO))))
    if len(rows) < 2 or len(rows[0]) < 2:
        raise ParseError(ELO, "expected a header of model ids and a row per date")
    models = [cell.strip() for cell in rows[0][1:]]
    records: list[AnyRecord] = []
    unread = UnreadLog("")
    left_out: list[str] = []
    bad_cells: list[str] = []
    for index, model in enumerate(models):  # one column per model: a repeat is left out
        if model and model in models[:index]:
            left_out.append(f"column {index + 2}: {model!r} a second time")
            models[index] = ""
    days: set[date] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        try:
            day = _date(row[0])
        except ValueError as error:
            left_out.append(f"line {number}: {error}")
            continue
        if day in days:
            left_out.append(f"line {number}: {day} a second time")
            continue
        days.add(day)
        if len(row) > len(models) + 1:
            unread.note("cells past the header", f"line {number}",
                        len(row) - len(models) - 1)
        for model, cell in zip(models, row[1:], strict=False):
            if not model or not cell.strip():
                continue
            try:
                elo = Decimal(cell.strip())
            except InvalidOperation:
                bad_cells.append(f"line {number} {model}: {cell.strip()!r}")
                continue
            if not elo.is_finite() or elo < 0:
                bad_cells.append(f"line {number} {model}: {cell.strip()!r}")
                continue
            if elo == 0:  # not on that date's board
                continue
            try:
                records.append(validate_record({
                    "kind": "score", "source": ELO, "provider": "lmarena",
                    "benchmark": BENCHMARK, "metric": "elo", "value": elo,
                    "model_label": model, "run_label": day.strftime("%Y%m%d"),
                    "run_date": day, "licence": LICENCE, "attribution": ATTRIBUTION}, ELO))
            except RecordError as error:
                bad_cells.append(f"line {number} {model}: {error.reason}")
    if not records:
        raise ParseError(ELO, "no rating could be read"
                         + (f"; first: {(left_out + bad_cells)[0]}" if left_out or bad_cells
                            else ""))
    warnings = []
    if left_out:
        warnings.append(f"{ELO}: {len(left_out)} rows or columns left out: "
                        f"{'; '.join(left_out[:20])}")
    if bad_cells:
        warnings.append(f"{ELO}: {len(bad_cells)} cells are no Elo, left out: "
                        f"{'; '.join(bad_cells[:20])}")
    # a row or a cell left out leaves the run partial: nothing of before is closed by it
    scope = frozenset({("lmarena", ELO)}) if left_out or bad_cells else None
    return ParseOutput(records, warnings, None, unread.items(),
                       len(left_out) + len(bad_cells), scope)


def plan_elo(options: LmarenaSettings, context: PlanContext) -> list[Request]:
    return [Request(ELO, options.history_url, frozenset(options.allowed_hosts))]


SOURCE = Source(ELO, "lmarena", "LMArena's overall text Elo history (scores), the CSV of "
                "nakasyou/lmarena-history; off by default", parse_elo, plan_elo,
                schedule=24 * 3600)
