"""A scheduled audit of a community price map is a run like any source's: the map is
fetched (or read), archived, compared with the prices in force now (audit/compare.py),
and every compared component is written as a `map_audit` record of source `audit.<name>`
into map_audit_history (SCD2), so a disagreement has a first and a last day and a new one
raises a `map_drift` alert. Configured in ``audit.maps``; run by the daemon every
`audit.every_h` hours and by `pricewatch audit --record`.

Unlike a collector's parse, the records depend on the warehouse (the provider's prices at
the time), so an audit run is not re-parsed by `reparse`: audit again instead."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pricewatch.audit import compare
from pricewatch.audit.maps import read_map
from pricewatch.errors import PricewatchError
from pricewatch.records import FetchedBody, MapAuditRecord, ParseResult
from pricewatch.settings import Settings
from pricewatch.warehouse.db import in_transaction, open_warehouse
from pricewatch.warehouse.ingest import RunOutcome, archive_rows, record_failed, record_run_rows

PREFIX = "audit."


def source_name(name: str) -> str:
    return f"{PREFIX}{name}"


def is_audit_source(source: str) -> bool:
    return source.startswith(PREFIX)


def records_of(source: str, rows: list[dict]) -> list[MapAuditRecord]:
    return [MapAuditRecord(
        source=source, provider=row["provider"], model=row["model"], map_key=row["key"],
        component=row["component"], service_tier=row["service_tier"],
        context_threshold=row["context_threshold"], unit=row["unit"],
        map_class=row["class"], map_price=row["map_price"],
        provider_price=row["provider_price"], map_field=row["field"]) for row in rows]


def audit_run(settings: Settings, name: str, spec: str,
              now: datetime | None = None) -> RunOutcome:
    """Audit one configured map now and write it as a run of `audit.<name>`. A map that
    cannot be fetched or read is a failed run (named in status and collector_health)."""
    source = source_name(name)
    observed_at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        body, _ = compare.map_bytes(spec, settings)
        read = read_map(body, spec)
        audited = compare.AuditedMap(name, read)
        _, rows, summaries = compare.audit(settings, [audited], observed_at)
    except PricewatchError as error:
        with open_warehouse(settings) as con:
            return record_failed(con, source=source, observed_at=observed_at,
                                 message=f"{source}: {error}")
    records = records_of(source, rows)
    summary = summaries[0]
    # the map's fields the audit does not read go in the run's message (not unread_fields:
    # they are the map's, not a provider's format drifting)
    unread = summary["unread_fields"]
    parsed = ParseResult(records=records, warnings=[
        f"{source}: {summary['entries']} entries, {summary['matched']} matched, "
        f"{summary['with_errors']} with errors, {summary['untracked']} untracked, "
        f"{summary['unlisted']} unlisted"
        + (f"; price fields not read: {sum(unread.values())} ({', '.join(unread)})"
           if unread else "")] + [f"{source}: {bad}" for bad in read.bad])
    # the run is unchanged only when the map and what it was compared with both are
    digest = hashlib.sha256(body)
    for record in records:
        digest.update(record.model_dump_json().encode())
    fetched = FetchedBody(url=spec, fetched_at=observed_at, content=body)
    with open_warehouse(settings) as con:
        def write() -> RunOutcome:
            fetch_ids = archive_rows(con, source, "audit", [fetched])
            return record_run_rows(con, source=source, parser="audit",
                                   observed_at=observed_at, parsed=parsed,
                                   fetch_ids=fetch_ids, content_sha256=digest.hexdigest(),
                                   suspect_ratio=settings.suspect_ratio)

        return in_transaction(con, write, f"{source}: audit")


def audit_configured(settings: Settings, now: datetime | None = None) -> list[RunOutcome]:
    """Every map of ``audit.maps``, one run each."""
    return [audit_run(settings, name, spec, now)
            for name, spec in sorted(settings.audit.maps.items())]
