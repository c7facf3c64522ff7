"""The rehearsal as one use case: the functional steps, then (when asked, and only if none failed)
the capacity test, gathered in one report. The command is a thin wrapper over ``rehearse``."""

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from celery import current_app
from django.conf import settings
from django.utils import timezone

from common.scheduler import EmbeddedBeat, run_tasks_in_process
from connect.client import get_client
from connect.simulator import SimulatorUnavailable
from homologation.capacity import run_capacity
from homologation.domain import BCB_NOT_AVAILABLE, Outcome, StepResult, failed
from homologation.report import RehearsalReport
from homologation.steps import Rehearsal, run_functional


@contextmanager
def directory_at(url: str | None) -> Iterator[None]:
    """Talk to the directory at ``url`` (a Connect gRPC address) for this run; None keeps the settings'
    (CONNECT_URL, or the embedded dictsim when it is empty). The process's client is rebuilt both ways."""
    if url is None:
        yield
        return
    before = settings.CONNECT_URL
    settings.CONNECT_URL = url
    get_client.cache_clear()
    try:
        yield
    finally:
        settings.CONNECT_URL = before
        get_client.cache_clear()


class ScheduledJobs(StrEnum):
    """Who runs the PSP's scheduled jobs (the polls that acknowledge BCB's claims and reports) during a run."""

    SELF = "self"  # the rehearsal runs beat's schedule in this process, as `manage.py serve` does
    DEPLOYMENT = "deployment"  # the deployment's beat and worker, on the same database


BEAT_STOP_SEC = 30.0  # how long the end of a run waits for a job beat is running to finish


@contextmanager
def scheduled_jobs(who: ScheduledJobs) -> Iterator[None]:
    """For SELF, CELERY_BEAT_SCHEDULE's jobs on beat's own thread for the run (common.scheduler, as `serve`
    embeds it: the same jobs, intervals and task code), every task run in this process; its schedule file
    is the run's own, so every job starts a fresh period. For DEPLOYMENT, nothing: the deployment's do it."""
    if who is ScheduledJobs.DEPLOYMENT:
        yield
        return
    app = current_app._get_current_object()
    before = app.conf.task_always_eager, app.conf.broker_url
    run_tasks_in_process(app)
    try:
        with tempfile.TemporaryDirectory(prefix="rehearsal-beat-") as data:
            beat = EmbeddedBeat(app, Path(data) / "celerybeat-schedule")
            beat.start()
            try:
                yield
            finally:
                beat.stop(timeout=BEAT_STOP_SEC)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = before


@dataclass(frozen=True)
class Capacity:
    tier: int
    minutes: float


def rehearse(
    *,
    counterpart: str,
    key_type: str,
    prepared_keys: int,
    functional: bool,
    capacity: Capacity | None,
    jobs: ScheduledJobs = ScheduledJobs.SELF,
    stdout: TextIO,
    stderr: TextIO,
    report_step: Callable[[StepResult], None],
) -> RehearsalReport:
    """Run the exam's functional steps (unless ``functional`` is false), with the PSP's scheduled jobs run
    by ``jobs``, and then, if no step failed, the capacity test (DICT_RULES §11: it comes after the
    functional tests; a skipped step already makes the verdict INCOMPLETE, so it still runs then)."""
    started = timezone.now()
    steps: list[StepResult] = []
    if functional:
        ctx = Rehearsal(counterpart=counterpart, key_type=key_type, prepared_keys=prepared_keys, progress=stderr)
        with scheduled_jobs(jobs):
            steps = run_functional(ctx, report_step=report_step)
    report = RehearsalReport(
        participant=settings.DICT_ISPB,
        counterpart=counterpart,
        directory=settings.CONNECT_URL or "embedded dictsim (in-process)",
        started_at=started,
        finished_at=started,
        steps=steps,
    )
    if capacity is not None:
        if failed(steps):
            report.capacity_markdown = "## Capacity test: not run\n\nThe functional steps did not pass.\n"
        else:
            try:
                result = run_capacity(
                    tier=capacity.tier, minutes=capacity.minutes, counterpart=counterpart, stdout=stdout, stderr=stderr
                )
            except SimulatorUnavailable:  # BCB seeds the keys it looks up: a real DICT's part (capacity.py)
                report.capacity_markdown = f"## Capacity test: SKIP\n\n{BCB_NOT_AVAILABLE}.\n"
                report.capacity_outcome = Outcome.SKIP
            else:
                report.capacity_markdown = result.markdown()
                report.capacity_outcome = Outcome.PASS if result.passed else Outcome.FAIL
    report.finished_at = timezone.now()
    return report
