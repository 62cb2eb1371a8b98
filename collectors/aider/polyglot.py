"""`aider.polyglot`: Aider's polyglot coding leaderboard, `polyglot_leaderboard.yml` in the
Aider repository (Apache-2.0). The file is a YAML list, one item per benchmark run: the model
as published (`model`, free text such as `o3 (high) + gpt-4.1`), the run's id (`dirname`),
how it was run (`edit_format`, `reasoning_effort`, `thinking_tokens`, `editor_model`,
`editor_edit_format`, the `command` line), its date, and its figures.

One score record per run and metric (`pass_rate_2`, `pass_rate_1`,
`percent_cases_well_formed`, in percent: a figure outside 0-100 is unreadable) with the
run's `seconds_per_case` and `total_cost` (USD). A metric a run does not publish is no
record; a run without a model or with an unreadable figure is left out and named; keys not
read are recorded as unread.
Numbers are read from the YAML text as Decimal, never through a binary float.
"""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from pricewatch.collectors.aider.payloads import Run
from pricewatch.collectors.aider.settings import AiderSettings
from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.pages import decode
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import left_out_message, left_out_summary
from pricewatch.records import AnyRecord, RecordError, validate_record

POLYGLOT = "aider.polyglot"
BENCHMARK = "aider.polyglot"
METRICS = ("pass_rate_2", "pass_rate_1", "percent_cases_well_formed")
LICENCE = "Apache-2.0"
ATTRIBUTION = ("Aider polyglot benchmark leaderboard (https://aider.chat/docs/leaderboards/), "
               "Paul Gauthier and Aider contributors")
# What a run's variant is made of, in this order: the fields, then the command's flags
# where the field is absent (early runs name the reasoning effort only in the command).
VARIANT_FIELDS = ("edit_format", "reasoning_effort", "thinking_tokens", "editor_model",
                  "editor_edit_format")
COMMAND_FLAGS = {"--reasoning-effort": "reasoning_effort", "--thinking-tokens": "thinking_tokens"}
class _DecimalLoader(yaml.SafeLoader):
    """YAML with every float as Decimal from its own text (`35.6` stays 35.6)."""


def _decimal_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan: refused later as not finite
        return Decimal("NaN")


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal_float)


def load_runs(body: bytes) -> list[Any]:
    """The YAML list of runs; anything else is a ParseError naming what was found."""
    text = decode(body, POLYGLOT)
    try:
        runs = yaml.load(text, Loader=_DecimalLoader)  # a SafeLoader: no object tags
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParseError(POLYGLOT, f"body is not YAML{where}") from None
    if not isinstance(runs, list) or not runs:
        raise ParseError(POLYGLOT, "expected a YAML list of benchmark runs, got "
                                   f"{type(runs).__name__}")
    return runs


def figure(value: Any, field: str) -> Decimal | None:
    """A published number as Decimal (a quoted number too); absent is None, never 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"{field} {value!r} is not a number")
    try:
        number = Decimal(value.strip().removesuffix("%")) if isinstance(value, str) \
            else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{field} {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{field} {value!r} is not a finite number")
    return number


def command_flags(command: Any) -> dict[str, str]:
    """`--model X` (as `model`) and the variant flags of the run's `aider ...` line."""
    if not isinstance(command, str):
        return {}
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    found: dict[str, str] = {}
    for index, word in enumerate(words):
        name, _, value = word.partition("=")
        if name not in ("--model", *COMMAND_FLAGS):
            continue
        if not value and index + 1 < len(words) and not words[index + 1].startswith("-"):
            value = words[index + 1]
        if value:
            found.setdefault("model" if name == "--model" else COMMAND_FLAGS[name], value)
    return found


def variant_of(run: Run, flags: dict[str, str]) -> str:
    """`name=value` pairs joined by "; ", from the run's fields, else (a field the run does
    not have) its command's flags."""
    parts = []
    for name in VARIANT_FIELDS:
        value = getattr(run, name) if run.sent(name) else flags.get(name)
        if value is not None and str(value).strip():
            parts.append(f"{name}={str(value).strip()}")
    return "; ".join(parts)


def _bare(name: str) -> str:
    return re.sub(r"\s+", "-", name.strip().lower().rsplit("/", 1)[-1])


def is_combined(label: str, model_ref: str | None, editor: Any) -> bool:
    """Two models in one run: a label joining two with " + ", or an editor model other than
    the model itself (an architect run whose editor is the same model is one model)."""
    if " + " in label:
        return True
    if not isinstance(editor, str) or not editor.strip():
        return False
    own = {_bare(label.split(" (")[0])} | ({_bare(model_ref)} if model_ref else set())
    return _bare(editor) not in own


def run_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"date {value!r} is not a YYYY-MM-DD date") from None
    if value is None:
        return None
    raise ValueError(f"date {value!r} is not a date")


def run_records(run: Run) -> list[AnyRecord]:
    """One run's score records; ValueError or RecordError when it cannot be read."""
    label = run.model
    if not isinstance(label, str) or not label.strip():
        raise ValueError("no model name")
    flags = command_flags(run.command)
    model_ref = flags.get("model")
    run_label = run.dirname
    common = {
        "kind": "score", "source": POLYGLOT, "provider": "aider", "benchmark": BENCHMARK,
        "model_label": label.strip(),
        "run_label": str(run_label).strip() if run_label is not None else "",
        "variant": variant_of(run, flags), "model_ref": model_ref,
        "combined": is_combined(label, model_ref, run.editor_model),
        "run_date": run_date(run.date),
        "seconds_per_case": figure(run.seconds_per_case, "seconds_per_case"),
        "total_cost_usd": figure(run.total_cost, "total_cost"),
        "licence": LICENCE, "attribution": ATTRIBUTION}
    records = []
    for metric in METRICS:
        value = figure(getattr(run, metric), metric)
        if value is not None and not 0 <= value <= 100:
            raise ValueError(f"{metric} {value} is not a percentage")
        if value is not None:
            records.append(validate_record({**common, "metric": metric, "value": value},
                                           POLYGLOT))
    if not records:
        raise ValueError(f"none of {', '.join(METRICS)}")
    return records


def parse_polyglot(body: bytes, observed_at: datetime,
                   options: AiderSettings | None = None) -> ParseOutput:
    """Every run of the leaderboard as score records; an unreadable run is left out, named."""
    records: list[AnyRecord] = []
    unread = UnreadLog("[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    seen: set[tuple[str, str, str]] = set()  # a series is one run: a repeat is left out
    for index, item in enumerate(load_runs(body)):
        run = Run.read(item)
        if run is None:
            left_out.append(f"item {index}: not a mapping ({type(item).__name__})")
            continue
        label = str(run.model or f"item {index}")
        try:
            found = run_records(run)
        except (ValueError, RecordError) as error:
            left_out.append(left_out_message(label, error))
            continue
        series = (found[0].model_label, found[0].run_label, found[0].variant)
        if series in seen:
            left_out.append(left_out_message(label, ValueError(
                f"a second run {series[1] or '(no dirname)'!r} with the same variant")))
            continue
        seen.add(series)
        records += found
        note_unread(unread, run, label)
        read.add(("aider", label))
    if not records:
        raise ParseError(POLYGLOT, "no run could be read: " + "; ".join(left_out[:3]))
    return ParseOutput(records, *left_out_summary(POLYGLOT, read, left_out), unread.items(),
                       len(left_out), frozenset(read) if left_out else None)


def plan_polyglot(options: AiderSettings, context: PlanContext) -> list[Request]:
    return [Request(POLYGLOT, options.polyglot_url, frozenset(options.allowed_hosts))]


SOURCE = Source(POLYGLOT, "aider", "Aider's polyglot coding leaderboard (scores; Apache-2.0), "
                "the YAML data file in the Aider repository", parse_polyglot, plan_polyglot,
                schedule=24 * 3600)
