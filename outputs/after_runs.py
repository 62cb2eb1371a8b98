"""What follows runs in the daemon, as one plain function: the alert pass (queue what the
views say is new, deliver what is pending), the export of what changed, and the report.
Each step reads what is due from the warehouse and from its own output (the export's
manifest, the report's page), so nothing is remembered between passes and a restarted
daemon owes nothing it forgot."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pricewatch.outputs import alerts, exports, report
from pricewatch.settings import Settings

log = logging.getLogger("pricewatch.daemon")


def after_runs(settings: Settings, stopping: Callable[[], bool]) -> None:
    """One alert pass, then the export and the report where configured (none once
    `stopping`). A DatabaseLocked from any step is the caller's to wait out."""
    queued = alerts.enqueue_new(settings)
    delivered, failed = alerts.deliver_pending(settings, stop=stopping)
    if queued or delivered or failed:
        log.info("alerts: %d queued, %d delivered, %d failed", queued, delivered, failed,
                 extra={"fields": {"event": "alerts", "queued": queued,
                                   "delivered": delivered, "failed": failed}})
    daemon = settings.daemon
    if daemon.export_dir and not stopping():
        exports.export_changed(settings, daemon.export_dir, daemon.export_format)
    if daemon.report_path and not stopping():
        data = report.refresh(settings, daemon.report_path)
        if data is not None:
            log.info("report written to %s (%d charts)", daemon.report_path,
                     sum(len(charts) for charts in data.histories.values()),
                     extra={"fields": {"event": "report", "path": str(daemon.report_path)}})
