"""The daemon: one APScheduler job per source, each awaiting the same `pipeline.collect` that
`pricewatch collect` calls; after runs, alert delivery, exports, the report and a heartbeat.

One event loop runs it all: the scheduler, each source's job (a coroutine, so sources' fetches
interleave), the maintenance pass and the heartbeat. What blocks (parsing, the warehouse,
sending alerts) runs on a few worker threads the loop awaits (WORKERS).

Nothing here keeps the database open between jobs, and no job waits for it: a run that meets
another process's lock spools its bodies, and the maintenance pass ingests them (at their
observation times) as soon as the file is free, so a reader holding the file never delays
another source's fetch. A source that needs another's data (endpoints needs the catalogue)
runs after it on the first pass, and again after that source's next good run when its input
was missing. SIGINT/SIGTERM stop new jobs, cancel fetches in flight (a run that has not
reached its write records nothing), let a write that has started finish, and return 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pricewatch import queries
from pricewatch.collectors import SOURCES, sources_for
from pricewatch.collectors.base import Source
from pricewatch.outputs import alerts
from pricewatch.outputs.after_runs import after_runs
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import Settings, SettingsError
from pricewatch.text import every, iso_utc
from pricewatch.warehouse import spool
from pricewatch.warehouse.db import DatabaseLocked, WarehouseError
from pricewatch.warehouse.ingest import RunOutcome
from pricewatch.warehouse.target import label_of

log = logging.getLogger("pricewatch.daemon")
HEARTBEAT_S = 2.0  # how often the heartbeat file is rewritten (and waits that ended start)
MAINTAIN_S = 2.0  # how often the maintenance pass looks for spooled runs unasked
MAINTENANCE_WAIT_S = 2.0  # the longest the maintenance pass waits for the file per write
STOP_WAIT_S = 5.0  # at shutdown, the longest wait for the file to record sent alerts
# Threads for blocking work: jobs' parses and writes (the warehouse takes one unit of work at
# a time anyway), the maintenance pass and audits. Few threads, few glibc heaps: freed memory
# scattered over one heap per thread is what malloc_trim could not return (bench/daemon.py).
WORKERS = 3


def trigger_for(spec: int | str, jitter_s: int) -> IntervalTrigger | CronTrigger:
    """Seconds between runs, or a five-field cron expression (UTC)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return IntervalTrigger(seconds=int(spec), jitter=jitter_s or None, timezone=UTC)
    return CronTrigger.from_crontab(str(spec), timezone=UTC)


def _return_freed_memory() -> None:
    """Give memory freed by a pass back to the OS (glibc keeps it otherwise, and a daemon's
    RSS then climbs with each run's largest query; see bench/daemon.py)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Daemon:
    """The schedule, and what this process remembers between jobs: each source's last job
    (for the heartbeat) and what skipped sources wait for. What the post-run steps owe is
    read from the warehouse each pass (outputs/after_runs.py). Jobs change the state on the
    loop, the maintenance pass on a worker thread: `_lock`."""

    def __init__(self, settings: Settings, selection: tuple[str, ...] = ()) -> None:
        unknown = sorted(set(settings.daemon.schedule) - {s.name for s in SOURCES})
        if unknown:
            raise SettingsError(f"daemon.schedule names unknown sources {', '.join(unknown)}; "
                                f"sources: {', '.join(s.name for s in SOURCES)}")
        self.settings = settings
        chosen = sources_for(selection, settings)
        self.sources = [s for s in chosen if s.secret_env is None or os.environ.get(s.secret_env)]
        self.unset = [s for s in chosen if s not in self.sources]
        # A job never waits for the file: a run that meets another process's lock spools
        # its bodies at once. The maintenance pass waits a little (a busy reader leaves
        # gaps that one attempt every few seconds would keep missing), holding up no job.
        self.nowait = settings.model_copy(update={"lock_timeout_s": 0})
        self.patient = settings.model_copy(update={
            "lock_timeout_s": min(settings.lock_timeout_s, MAINTENANCE_WAIT_S)})
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                        "misfire_grace_time": settings.daemon.misfire_grace_s})
        self.stopping = threading.Event()  # worker threads read it too (alert sends)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pass_wanted = asyncio.Event()  # a run ended: a maintenance pass is due
        self._running: dict[str, asyncio.Task[Any]] = {}  # jobs in flight, cancelled at stop
        self._lock = threading.Lock()
        self._state: dict[str, dict[str, Any]] = {}  # per source: its last job, as seen here
        self._failing: dict[str, int] = {}  # per source: failed runs in a row (collector_health)
        self._waiting: dict[str, set[str]] = {}  # what skipped sources wait for -> those sources
        self._due: set[str] = set()  # sources whose wait ended: started by the next tick
        self._next_runs: dict[str, str | None] = {}  # per job, as the heartbeat last said
        self._pass_waits = False  # the last pass met the lock: again when the file frees
        self._views_pending = False  # views not installed at start: the file was held

    # One job ------------------------------------------------------------------------

    async def run_job(self, source: Source) -> None:
        """Collect one source; the maintenance pass then delivers alerts and exports."""
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self._running[source.name] = task
        outcome: RunOutcome | None = None
        status = "failed"
        try:
            outcomes = await pipeline.collect(self.nowait, [source.name], drain=False)
            outcome = outcomes[0] if outcomes else None
            status = outcome.status if outcome else "skipped"
        except asyncio.CancelledError:
            status = "cancelled"
            log.info("%s cancelled by shutdown", source.name)
        except WarehouseError as error:
            log.error("%s failed: %s", source.name, error)
        except Exception:
            log.exception("%s failed (unexpected error)", source.name)
        finally:
            self._running.pop(source.name, None)
        self._remember(source.name, status)
        if outcome is not None:
            self._landed([outcome])
        if status != "cancelled":
            self._pass_wanted.set()

    async def audit_job(self) -> None:
        """The scheduled audits, on a worker thread (they read maps and the warehouse)."""
        await asyncio.to_thread(self.run_audits)

    def run_audits(self) -> None:
        """Audit each map of ``audit.maps`` (one run each, audit.<name>), then let the
        maintenance pass queue their map_drift alerts. A file held by another process
        skips this pass; the next one audits again."""
        if self.stopping.is_set():
            return
        from pricewatch.pipeline.audit import audit_run, source_name

        for name, spec in sorted(self.settings.audit.maps.items()):
            source = source_name(name)
            try:
                outcome = audit_run(self.nowait, name, spec)
            except DatabaseLocked as error:
                log.info("%s skipped: %s", source, error)
                continue
            except WarehouseError as error:
                log.error("%s failed: %s", source, error)
                self._remember(source, "failed")
                continue
            except Exception:
                log.exception("%s failed (unexpected error)", source)
                self._remember(source, "failed")
                continue
            log.info("%s %s: %s", source, outcome.status, outcome.message)
            self._remember(source, outcome.status)
            self._landed([outcome])
        self._want_pass()

    def _want_pass(self) -> None:
        """Wake the maintenance pass, from any thread."""
        if self._loop is None or self._loop.is_closed():
            self._pass_wanted.set()
        else:
            self._loop.call_soon_threadsafe(self._pass_wanted.set)

    def _landed(self, outcomes: list[RunOutcome]) -> None:
        """Note what skipped runs wait for, and make due the sources whose wait is over:
        any run of a source written ends the wait on it (a failed one too: the data it
        had before may serve; if not, the dependent is skipped and waits again), and any
        run written ends a wait on the file."""
        with self._lock:
            for outcome in outcomes:
                if outcome.waiting_for:
                    self._waiting.setdefault(outcome.waiting_for, set()).add(outcome.source)
                    continue
                if outcome.run_id is None:
                    continue  # spooled: nothing landed yet
                self._due |= self._waiting.pop(pipeline.DATABASE_FILE, set())
                self._due |= self._waiting.pop(outcome.source, set())

    def _alerts_and_exports(self) -> None:
        """The post-run steps (outputs/after_runs.py), and the health the heartbeat shows;
        a file held by another process is waited out by the next pass."""
        try:
            after_runs(self.patient, self.stopping.is_set)
            self._read_health()
        except DatabaseLocked:
            if not self._pass_waits:  # said once per wait, not at every retry
                log.info("alerts and exports wait for the database file")
            self._pass_waits = True
        except Exception:
            log.exception("alert delivery or export failed; will retry after the next run")
        else:
            self._pass_waits = False

    # The maintenance pass -----------------------------------------------------------

    async def _maintain_loop(self) -> None:
        """A pass when a run ended, or every MAINTAIN_S for spooled runs; on a worker
        thread, so no job's fetch waits for it. Ends after the pass in progress at a stop."""
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pass_wanted.wait(), MAINTAIN_S)
            if self.stopping.is_set():
                break
            # the wake-up is taken first: a pass that fails part-way must not spin on it
            wanted = self._pass_wanted.is_set()
            self._pass_wanted.clear()
            try:
                await asyncio.to_thread(self.maintain, wanted)
            except Exception:
                log.exception("maintenance pass failed; trying again in %g s", MAINTAIN_S)

    def maintain(self, wanted: bool = True) -> None:
        """Ingest spooled runs as soon as the file is free, then the alert pass and the
        export for the runs since the last pass (`wanted`), or for a pass that met the
        lock."""
        if self._views_pending:
            self._install_views()
        drained: list[RunOutcome] = []
        if spool.has_pending(self.settings):
            try:
                drained = pipeline.drain_spool(self.patient)
            except Exception:  # one bad spooled run costs that run, not the alert pass
                log.exception("draining the spool failed; the alert pass goes on")
            self._landed(drained)
        waiting = self._pass_waits or alerts.pending_results() > 0
        if wanted or drained or waiting:
            self._alerts_and_exports()
            _return_freed_memory()

    def _remember(self, source: str, status: str) -> None:
        """What this process last saw of a source's job (also the states the warehouse does
        not record: cancelled, spooled, skipped)."""
        with self._lock:
            self._state[source] = {"last_status": status,
                                   "last_run_at": iso_utc(datetime.now(UTC))}

    def _read_health(self) -> None:
        """Failed runs in a row per source, from collector_health (not counted here: the
        warehouse holds every process's runs, and a restart forgets nothing)."""
        failing = pipeline.failing_runs(self.patient)
        with self._lock:
            self._failing = failing

    # Heartbeat ---------------------------------------------------------------------

    def write_heartbeat(self) -> None:
        """Next run times and per-source state, written atomically (on the loop)."""
        path = self.settings.daemon.heartbeat_file
        if path is None:
            return
        if self.scheduler.running:  # once stopped, the jobs are as last seen running
            self._next_runs = {job.id: iso_utc(job.next_run_time) if job.next_run_time
                               else None for job in self.scheduler.get_jobs()}
        with self._lock:
            jobs = {name: {**self._state.get(name, {}),
                           "consecutive_failures": self._failing.get(name, 0),
                           "next_run_at": None if self.stopping.is_set() else next_run}
                    for name, next_run in self._next_runs.items()}
        beat = {"pid": os.getpid(), "updated_at": iso_utc(datetime.now(UTC)),
                "stopping": self.stopping.is_set(), "jobs": jobs}
        temporary = Path(f"{path}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(beat, indent=2) + "\n")
        os.replace(temporary, path)

    def start_due(self) -> None:
        """Start now the sources whose wait ended."""
        with self._lock:
            due = {name for name in self._due if name not in self._running}
            self._due -= due
        now = datetime.now(UTC)
        for name in sorted(due):
            if self.scheduler.get_job(name) is not None:
                self.scheduler.modify_job(name, next_run_time=now)

    # Lifecycle ---------------------------------------------------------------------

    def prepare(self) -> None:
        """Before the schedule starts (blocking, on a worker thread): a lake with no folder
        for bodies stops here, said; the views as this configuration says."""
        spool.spool_dir(self.settings)
        self._install_views()

    def schedule(self, now: bool = False) -> dict[str, int | str]:
        """One job per source (and one for the audits); `now`: a first pass at once, each
        source that needs another's data after it."""
        names = {s.name for s in self.sources}
        schedule = {}
        for source in self.sources:
            spec = self.settings.daemon.schedule.get(source.name, source.schedule)
            schedule[source.name] = spec
            kwargs: dict[str, Any] = {}
            if now and source.needs in names:  # first pass: after what it needs
                self._waiting.setdefault(source.needs, set()).add(source.name)
            elif now:
                kwargs["next_run_time"] = datetime.now(UTC)
            self.scheduler.add_job(self.run_job, trigger_for(spec, self.settings.daemon.jitter_s),
                                   args=[source], id=source.name, name=source.name, **kwargs)
        if self.settings.audit.maps:  # community maps checked against what landed
            self.scheduler.add_job(
                self.audit_job, trigger_for(self.settings.audit.every_h * 3600,
                                            self.settings.daemon.jitter_s),
                id="audit", name="audit",
                **({"next_run_time": datetime.now(UTC)} if now else {}))
        return schedule

    def _install_views(self) -> None:
        """The views, and the [views] figures they read, as this daemon's configuration
        says; a file held by another process gets them when it frees (maintenance)."""
        try:
            queries.ensure_installed(self.patient, figures=True)
            self._read_health()
            self._views_pending = False
        except DatabaseLocked:
            if not self._views_pending:
                log.info("views wait for the database file")
            self._views_pending = True

    async def stop(self, maintainer: asyncio.Task[None]) -> None:
        """Stop taking jobs, cancel fetches in flight, wait for writes and the pass in
        progress to end, record what was sent."""
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        running = list(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._pass_wanted.set()  # wake the maintenance loop so it sees `stopping`
        await maintainer
        # what was sent and not recorded: wait a little for the file (under systemd's
        # TimeoutStopSec), or those alerts would be sent again after their lease
        await asyncio.to_thread(alerts.flush_results, self.settings.model_copy(update={
            "lock_timeout_s": min(self.settings.lock_timeout_s, STOP_WAIT_S)}))
        self.write_heartbeat()
        log.info("daemon stopped", extra={"fields": {"event": "stop"}})

    async def _serve(self, now: bool) -> int:
        loop = self._loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(WORKERS, "pricewatch-worker"))
        stop = asyncio.Event()

        def on_signal() -> None:
            self.stopping.set()
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        await asyncio.to_thread(self.prepare)
        schedule = self.schedule(now)
        self.scheduler.start()
        maintainer = asyncio.create_task(self._maintain_loop())
        log.info("%s", start_line(self.settings, schedule, self.unset, now),
                 extra={"fields": {"event": "start", "schedule": schedule,
                                   "database": label_of(self.settings),
                                   "channels": [c.name for c in self.settings.channels],
                                   "not_scheduled": [s.name for s in self.unset]}})
        self.write_heartbeat()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_S)
            self.start_due()
            self.write_heartbeat()
        await self.stop(maintainer)
        return 0

    def serve(self, now: bool = False) -> int:
        """Run until SIGINT or SIGTERM; returns the exit code (0)."""
        return asyncio.run(self._serve(now))


def _schedule_text(spec: int | str) -> str:
    shown = every(spec)
    return f"cron '{spec}'" if shown == spec and isinstance(spec, str) else str(shown)


def start_line(settings: Settings, schedule: dict[str, int | str], unset: list[Source],
               now: bool) -> str:
    """The daemon's first line: what runs how often, where it writes, who is told."""
    sources = ", ".join(f"{name} every {_schedule_text(spec)}" for name, spec in schedule.items())
    channels = ", ".join(f"{c.name} ({'webhook' if c.webhook_url else 'apprise'})"
                         for c in settings.channels) or "none"
    parts = [f"daemon started: {len(schedule)} sources ({sources})",
             f"database {label_of(settings)}", f"alert channels: {channels}"]
    if settings.daemon.export_dir:
        parts.append(f"exports to {settings.daemon.export_dir}")
    if settings.daemon.report_path:
        parts.append(f"report at {settings.daemon.report_path}")
    if unset:
        parts.append("not scheduled, secret unset: " + ", ".join(
            f"{s.name} ({s.secret_env})" for s in unset))
    if now:
        parts.append("first pass now")
    return "; ".join(parts)
