"""Without a broker, one daemon thread per process runs the background jobs and the beat's sweeps.

The embedded default (`make run`: SQLite, eager Celery, no broker) has no worker and no beat. Eager Celery
would build an export or erase a person's data inside their request, and nothing would ever run the
sweeps. So `task_enqueue` hands each job to this thread, which runs it once the request has answered
(`task.apply()`, exactly what eager Celery runs), and the same thread runs every task of
CELERY_BEAT_SCHEDULE every EMBEDDED_SWEEP_SECONDS, and once when a server starts. The rows stay the jobs,
as with Celery: a job that a restart cut off is queued again by the next sweep.

The tasks are looked up by the names in the schedule, at run time: config sits below every app.
"""

import heapq
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

from config.celery import app
from config.threads import PerProcess

logger = logging.getLogger(__name__)


def embedded_jobs_enabled() -> bool:
    """True when jobs go to this process's thread: no broker (eager Celery) and EMBEDDED_BACKGROUND_JOBS on."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.EMBEDDED_BACKGROUND_JOBS)


class EmbeddedJobs:
    """A queue of due jobs and a sweep clock, served one at a time by one daemon thread."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.sweeps_done = 0
        self._condition = threading.Condition()
        self._due: list[tuple[float, int, object, dict, object]] = []  # (due at, order, task, kwargs, key)
        self._queued: set = set()  # jobs waiting to start: the same job rung twice runs once
        self._order = itertools.count()
        self._next_sweep_at = time.monotonic() + settings.EMBEDDED_SWEEP_SECONDS
        self._stopped = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="embedded-jobs", daemon=True)
        self._thread.start()

    def submit(self, task, /, *, countdown: float = 0, kwargs: dict) -> None:
        """Queue `task(**kwargs)` to run after `countdown` seconds; returns at once."""
        try:
            key = (task.name, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:  # tasks take ids, but an unhashable argument must not lose the job
            key = object()
        with self._condition:
            if key in self._queued:
                return
            self._queued.add(key)
            due_at = time.monotonic() + max(countdown or 0, 0)
            heapq.heappush(self._due, (due_at, next(self._order), task, kwargs, key))
            self._condition.notify_all()

    def sweep_soon(self) -> None:
        """Run the sweeps as soon as the current job is done (a server starting picks up what a restart cut off)."""
        with self._condition:
            self._next_sweep_at = time.monotonic()
            self._condition.notify_all()

    def stop(self, timeout: float = 20) -> None:
        """Let the current job finish, then end the thread; jobs still queued stay for the sweeps."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 20) -> bool:
        """Block until no job is queued or running; False if that took longer than `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._due or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(timeout=remaining)
            return True

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def _next(self) -> Callable[[], None] | None:
        """Wait until a job or the sweep is due and return it (jobs first); None once stopped."""
        with self._condition:
            while not self._stopped:
                now = time.monotonic()
                if self._due and self._due[0][0] <= now:
                    _, _, task, kwargs, key = heapq.heappop(self._due)
                    self._queued.discard(key)
                    self._busy = True
                    return lambda: self._run_job(task, kwargs)
                if self._next_sweep_at <= now:
                    self._next_sweep_at = now + settings.EMBEDDED_SWEEP_SECONDS
                    self._busy = True
                    return self._sweep
                wake_at = min(self._next_sweep_at, self._due[0][0] if self._due else math.inf)
                self._condition.wait(timeout=wake_at - now)
            return None

    def _run(self) -> None:
        while (work := self._next()) is not None:
            try:
                work()
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()
        connections.close_all()

    def _run_job(self, task, kwargs: dict) -> None:
        try:
            task.apply(kwargs=kwargs, throw=True)
        except Exception:  # the row is still the job: the sweep queues it again
            logger.exception("embedded job %s %s failed", task.name, sorted(kwargs))
        finally:
            connections.close_all()  # this thread's own connections; SQLite locks are never held between jobs

    def _sweep(self) -> None:
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            try:
                task = _scheduled_task(entry["task"])
                task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
            except Exception:
                logger.exception("embedded sweep %s failed", name)
            finally:
                connections.close_all()
        self.sweeps_done += 1


def _scheduled_task(name: str):
    """The task registered under `name`, importing every app's tasks module first as a worker does."""
    if name not in app.tasks:
        app.loader.import_default_modules()  # Celery's autodiscovery of `<app>.tasks`, lazy outside a worker
    return app.tasks[name]


_runner: PerProcess[EmbeddedJobs] = PerProcess(EmbeddedJobs)


def embedded_jobs() -> EmbeddedJobs:
    """This process's jobs thread, started on first use (and again in a forked child)."""
    return _runner.get()


def embedded_jobs_stop(timeout: float = 20) -> None:
    """End this process's jobs thread, if it has one, once its current job is done."""
    runner = _runner.take()
    if runner is not None:
        runner.stop(timeout)


def embedded_jobs_start() -> None:
    """For a serving process: start the thread now and sweep at once, when there is no broker."""
    if embedded_jobs_enabled():
        embedded_jobs().sweep_soon()


def _after_fork_in_child() -> None:
    """A forked server worker (gunicorn --preload) gets a thread of its own if its parent had one."""
    inherited = _runner.after_fork_in_child()
    if inherited is not None and not inherited._stopped:
        embedded_jobs_start()


os.register_at_fork(after_in_child=_after_fork_in_child)
