"""The daemon: one APScheduler job per source, each calling the same `pipeline.collect` that
`pricewatch collect` calls, then alert delivery, exports and a heartbeat file.

Nothing here keeps the database open between jobs. SIGINT/SIGTERM stop new jobs, cancel
fetches in flight (a run that has not reached its write records nothing), let a write that
has started finish, and return 0.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pricewatch import alerts, exports, pipeline
from pricewatch.collectors import SOURCES, sources_for
from pricewatch.collectors.base import Source
from pricewatch.settings import Settings, SettingsError
from pricewatch.warehouse.db import WarehouseError

log = logging.getLogger("pricewatch.daemon")
HEARTBEAT_S = 2.0  # how often the main loop rewrites the heartbeat file


def trigger_for(spec: int | str, jitter_s: int) -> IntervalTrigger | CronTrigger:
    """Seconds between runs, or a five-field cron expression (UTC)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return IntervalTrigger(seconds=int(spec), jitter=jitter_s or None, timezone=UTC)
    return CronTrigger.from_crontab(str(spec), timezone=UTC)


def _return_freed_memory() -> None:
    """Give memory freed by a run back to the OS (glibc keeps it otherwise, and a daemon's
    RSS then climbs with each run's largest query; see bench/daemon.py)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """At most `arenas` glibc heaps for the job threads: one heap per thread left freed
    memory scattered over many heaps that malloc_trim could not shrink, and the daemon's RSS
    climbed ~10% in five minutes with nothing changing (bench/daemon.py --change-every 0:
    +10.3%, with two arenas +2.1%). Same as MALLOC_ARENA_MAX=2, set before threads start."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


@dataclass
class Daemon:
    settings: Settings
    selection: tuple[str, ...] = ()
    stopping: threading.Event = field(default_factory=threading.Event)
    _running: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = \
        field(default_factory=dict)
    _state: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_runs: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.settings.daemon.schedule) - {s.name for s in SOURCES})
        if unknown:
            raise SettingsError(f"daemon.schedule names unknown sources {', '.join(unknown)}; "
                                f"sources: {', '.join(s.name for s in SOURCES)}")
        self.sources = [s for s in sources_for(self.selection)
                        if s.secret_env is None or os.environ.get(s.secret_env)]
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": self.settings.daemon.misfire_grace_s})

    # One job ------------------------------------------------------------------------

    def run_job(self, source: Source) -> None:
        """Collect one source, then deliver alerts, export, and write the heartbeat."""
        if self.stopping.is_set():
            return
        loop = asyncio.new_event_loop()
        task = loop.create_task(pipeline.collect(self.settings, [source.name]))
        with self._lock:
            self._running[source.name] = (loop, task)
        status = "failed"
        try:
            outcomes = loop.run_until_complete(task)
            status = outcomes[0].status if outcomes else "skipped"
        except asyncio.CancelledError:
            status = "cancelled"
            log.info("run source=%s cancelled by shutdown", source.name)
        except WarehouseError as error:  # locked past the wait: the next run fetches again
            log.error("run source=%s status=failed message=%r", source.name, str(error))
        except Exception:
            log.exception("run source=%s status=failed (unexpected error)", source.name)
        finally:
            with self._lock:
                self._running.pop(source.name, None)
            loop.close()
        self._remember(source.name, status)
        if status not in ("cancelled",) and not self.stopping.is_set():
            self._after_run()
        _return_freed_memory()
        # No scheduler calls from a job thread: during shutdown they would wait on the
        # scheduler's lock while shutdown waits on this job. The main loop writes the beat.

    def _after_run(self) -> None:
        try:
            queued = alerts.enqueue_new(self.settings)
            delivered, failed = alerts.deliver_pending(self.settings)
            if queued or delivered or failed:
                log.info("alerts queued=%d delivered=%d failed=%d", queued, delivered, failed)
            if self.settings.daemon.export_dir:
                exports.export(self.settings, self.settings.daemon.export_dir,
                               self.settings.daemon.export_format)
        except Exception:
            log.exception("alert delivery or export failed; will retry after the next run")

    def _remember(self, source: str, status: str) -> None:
        with self._lock:
            state = self._state.setdefault(source, {"consecutive_failures": 0})
            state["last_status"] = status
            state["last_run_at"] = datetime.now(UTC).isoformat()
            if status in ("failed", "suspect"):
                state["consecutive_failures"] += 1
            elif status != "cancelled":
                state["consecutive_failures"] = 0

    # Heartbeat ---------------------------------------------------------------------

    def write_heartbeat(self) -> None:
        """Next run times and per-source state, written atomically (main thread only)."""
        path = self.settings.daemon.heartbeat_file
        if path is None:
            return
        if self.scheduler.running:
            self._next_runs = {job.id: job.next_run_time.astimezone(UTC).isoformat()
                               if job.next_run_time else None
                               for job in self.scheduler.get_jobs()}
        with self._lock:
            jobs = {name: {**self._state.get(name, {}),
                           "next_run_at": None if self.stopping.is_set() else next_run}
                    for name, next_run in self._next_runs.items()}
        beat = {"pid": os.getpid(), "updated_at": datetime.now(UTC).isoformat(),
                "stopping": self.stopping.is_set(), "jobs": jobs}
        temporary = Path(f"{path}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(beat, indent=2) + "\n")
        os.replace(temporary, path)

    # Lifecycle ---------------------------------------------------------------------

    def start(self, now: bool = False) -> None:
        _limit_malloc_arenas()
        for source in self.sources:
            spec = self.settings.daemon.schedule.get(source.name, source.schedule)
            kwargs: dict[str, Any] = {}
            if now:
                kwargs["next_run_time"] = datetime.now(UTC)
            self.scheduler.add_job(self.run_job, trigger_for(spec, self.settings.daemon.jitter_s),
                                   args=[source], id=source.name, name=source.name, **kwargs)
        self.scheduler.start()
        log.info("daemon started: %d sources (%s)", len(self.sources),
                 ", ".join(s.name for s in self.sources))
        self.write_heartbeat()

    def stop(self) -> None:
        """Stop taking jobs, cancel fetches in flight, wait for writes to end."""
        self.stopping.set()
        self.scheduler.pause()
        with self._lock:
            running = list(self._running.values())
        for loop, task in running:
            loop.call_soon_threadsafe(task.cancel)
        self.scheduler.shutdown(wait=True)
        self.write_heartbeat()
        log.info("daemon stopped")

    def serve(self, now: bool = False) -> int:
        """Run until SIGINT or SIGTERM; returns the exit code (0)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        self.start(now=now)
        while not self.stopping.wait(HEARTBEAT_S):
            self.write_heartbeat()
        self.stop()
        return 0
