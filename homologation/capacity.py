"""The capacity test of the homologation rehearsal (DICT_RULES §11, IN BCB 508 art. 23).

BCB's exam: look up distinct keys held at other participants at 1,000 / 2,000 / 4,000 different
keys per 60 s (the tier), spread evenly over 10 minutes, for at least 10,000 / 20,000 / 40,000
successful answers from DICT. ``run_capacity`` rehearses it end to end through the PSP's real
lookup path (``lookup.services.lookup_key``: our anti-scan buckets, the answer cache, Connect):

- BCB's part, the keys, is asked of the directory's simulator (``connect.simulator``): tier x
  minutes distinct entries held by the counterpart, at indexes no earlier run used (see
  ``_fresh_start``).
- Lookup i starts at t0 + i * 60 / tier s: one scheduler (this thread) hands each lookup at its
  instant to a bounded pool of worker threads sized from the rate and the observed latency
  (``_Pool``). A lookup that starts late is lag: when the directory stalls, what fell due meanwhile
  goes out together once it answers, a burst, and the run FAILS if any lookup started over
  MAX_LATE_SEC late (``CapacityResult.passed``).
- The load is the PSP's, spread over exam payers (``homologation.payers``) so that no payer's bucket
  runs dry; the PSP's own participant bucket is checked first (``category_refusal``).

A rate other than BCB's tiers (BCB_TIERS) is a stress run (``--rate``, e.g. 16,000/min, 4x the top
tier): the same test and bar, its report labelled as not one of BCB's tiers. The keys are seeded in
moves of at most SEED_CHUNK (the simulator refuses more than 100,000 at once: a 10-minute run at
16,000/min needs 160,000).

Successes are answers from the directory, not from our answer cache: a legal person's answer may be
cached for 180 s (§6), but every key is looked up once, and the keys are entries the simulator has
just made at indexes never used before, so no answer for them can be in the cache. The cursor of
those indexes lives in the same cache as the answers: if the cache is emptied, both go together.
"""

import math
import queue
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.management.base import OutputWrapper
from django.db import connections
from tqdm import tqdm

from connect.client import get_simulator, rehearsal_directory_allowed
from connect.simulator import DirectorySimulator
from dict_rules.buckets import PSP_COST, PSP_POLICIES, REFILL_PERIOD_MS, psp_policy
from dict_rules.errors import NotFound, RateLimited, ServiceUnavailable
from homologation.payers import exam_payers, payers_needed
from lookup.services import lookup_key

ERROR_KINDS = ("rate-limited", "directory unavailable", "not found", "other")
# BCB's exam tiers: distinct keys a minute, by the PSP's accounts (IN BCB 508 art. 23).
BCB_TIERS = (1000, 2000, 4000)
# Keys one simulator move seeds: under dictsim.bcb's bound of 100,000, and a few seconds of the directory's.
SEED_CHUNK = 50_000
# Worker threads at most, each with its own database connection; over gRPC, Connect's bulkhead
# (CONNECT_MAX_IN_FLIGHT) is the lower cap, since calls beyond it would wait or be refused here.
MAX_WORKERS = 32
# Until the first answers are timed, the pool is sized as if a lookup took this long.
LATENCY_GUESS_SEC = 0.1
# Workers kept for Little's law: rate x latency lookups are in flight on average; twice that, plus one.
WORKER_HEADROOM = 2
# A lookup that starts more than this after its instant is late, and one late lookup FAILS the run:
# "spread evenly" (§11) read strictly. 1 s is 17 to 67 lookups at the exam's tiers: more than a
# loaded machine's jitter, less than any stall of the directory or of our side worth the name.
MAX_LATE_SEC = 1.0
# "Spread evenly" is also judged per minute: every full slice of this many seconds from t0 must hold
# the tier in successful answers (counted by when the lookup started, as DICT would see it arrive).
SLICE_SEC = 60
# The simulator's entries for capacity runs start here, far from other seeding (rehearsal, benchmarks).
SEED_BASE = 50_000_000
SEED_CURSOR = "homologation:capacity:next-seed"


@dataclass(frozen=True)
class Sample:
    """One lookup: its instant and actual start (seconds from t0), how long it took, and how it ended."""

    due: float
    started: float
    latency: float
    outcome: str  # "ok" or one of ERROR_KINDS


class Slice(NamedTuple):
    """A slice of the run from t0 (seconds), the successful answers whose lookups started in it, and its share."""

    start: float
    end: float
    answered: int
    share: float

    def __str__(self) -> str:
        return (
            f"{self.answered:,} successful answers in {self.start:g}-{self.end:g} s (needs {math.ceil(self.share):,})"
        )


@dataclass
class CapacityResult:
    """The figures of one capacity run; ``refusal`` says why it stopped before any lookup."""

    tier: int
    minutes: float
    planned: int
    refusal: str = ""
    payers: int = 0
    workers: int = 0
    samples: list[Sample] = field(default_factory=list)
    other_errors: Counter[str] = field(default_factory=Counter)  # exception names of "other"
    abandoned: int = 0  # lookups due in the window still waiting after it, already late: not made

    @property
    def stress(self) -> bool:
        """A rate that is not one of BCB's tiers: a stress figure, never the exam's."""
        return self.tier not in BCB_TIERS

    @property
    def successes(self) -> int:
        return sum(1 for s in self.samples if s.outcome == "ok")

    @property
    def errors(self) -> dict[str, int]:
        counts = Counter(s.outcome for s in self.samples)
        return {kind: counts[kind] for kind in ERROR_KINDS}

    @property
    def duration_sec(self) -> float:
        """From t0 to the last answer."""
        return max((s.started + s.latency for s in self.samples), default=0.0)

    @property
    def achieved_rate(self) -> float:
        """Distinct keys answered per minute of the run's window (``minutes`` from t0): each key is
        looked up once, and a lookup the scheduler started after the window, being late, does not count."""
        in_window = sum(1 for s in self.samples if s.outcome == "ok" and s.started < self.minutes * 60)
        return in_window / self.minutes

    @property
    def latency_ms(self) -> dict[str, float]:
        """p50, p95, p99 and max of the successful lookups, in ms (zeros when there were none)."""
        return latency_figures([s.latency for s in self.samples if s.outcome == "ok"])

    @property
    def max_lag_ms(self) -> float:
        return max((s.started - s.due for s in self.samples), default=0.0) * 1000

    @property
    def late(self) -> int:
        return sum(1 for s in self.samples if s.started - s.due > MAX_LATE_SEC)

    def slices(self) -> list["Slice"]:
        """Each full SLICE_SEC slice of the window from t0, holding the tier; a window shorter than one
        slice is one slice holding its pro-rata share. A last partial slice of a longer run is not judged."""
        window = self.minutes * 60
        bounds = [(k * SLICE_SEC, SLICE_SEC) for k in range(int(window // SLICE_SEC))] or [(0, window)]
        ok = [s.started for s in self.samples if s.outcome == "ok"]
        return [
            Slice(start, end := start + length, sum(1 for t in ok if start <= t < end), self.tier * length / SLICE_SEC)
            for start, length in bounds
        ]

    @property
    def worst_slice(self) -> "Slice":
        """The slice furthest below its share (the first of equals)."""
        return min(self.slices(), key=lambda cut: cut.answered - cut.share)

    @property
    def passed(self) -> bool:
        """The exam's bar: the rate, the count of successful answers, the spread, and not one error.

        §11 does not say how BCB counts; stricter reading: every lookup of the run counts, so a single
        error of any kind FAILS; the rate is taken over the whole window, not its best minute; and
        "spread evenly" means every full minute from t0 holds the tier (a run shorter than a minute,
        its pro-rata share) and no lookup started over MAX_LATE_SEC after its instant, so a stall
        made up by a burst FAILS even when the minute's count is reached.
        """
        return (
            not self.refusal
            and self.achieved_rate >= self.tier
            and self.successes >= self.tier * self.minutes
            and self.worst_slice.answered >= self.worst_slice.share
            and self.late == 0
            and self.abandoned == 0
            and not any(self.errors.values())
        )

    def figures(self) -> list[tuple[str, str]]:
        latency = self.latency_ms
        errors = self.errors
        other = ", ".join(f"{name} {n}" for name, n in self.other_errors.most_common())
        return [
            ("target", f"{self.tier:,} distinct keys/min for {self.minutes:g} min ({self.planned:,} lookups)"),
            ("rate", self.rate_label),
            ("achieved rate", f"{self.achieved_rate:,.1f} distinct keys/min"),
            ("successful answers", f"{self.successes:,} of {self.planned:,}"),
            ("errors", ", ".join(f"{kind} {errors[kind]}" for kind in ERROR_KINDS) + (f" ({other})" if other else "")),
            (
                "latency",
                f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, p99 {latency['p99']:.1f} ms, "
                f"max {latency['max']:.1f} ms",
            ),
            (
                "schedule",
                f"max lag {self.max_lag_ms:.0f} ms, {self.late:,} lookups started over {MAX_LATE_SEC:g} s late, "
                f"{self.abandoned:,} abandoned (still waiting, late, after the window)",
            ),
            ("worst slice", str(self.worst_slice)),
            ("duration", f"{self.duration_sec:.1f} s"),
            ("load", f"{self.payers:,} payers, {self.workers} worker threads"),
        ]

    @property
    def rate_label(self) -> str:
        if self.stress:
            tiers = ", ".join(f"{tier:,}" for tier in BCB_TIERS)
            return f"a stress rate, not one of BCB's tiers ({tiers}/min)"
        return "BCB's tier"

    def markdown(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        lines = [f"## Capacity test: {verdict}", ""]
        if self.stress:
            lines += [f"Stress run at {self.tier:,}/min: {self.rate_label}.", ""]
        if self.refusal:
            return "\n".join([*lines, f"Not run: {self.refusal}", ""])
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in self.figures()]
        lines += [
            "",
            "PASS needs the achieved rate at or above the target, every planned lookup answered by DICT, "
            f"no error, every full {SLICE_SEC}-s slice from t0 holding the target (a shorter run, its share) "
            f"and no lookup started over {MAX_LATE_SEC:g} s late (DICT_RULES §11: spread evenly). "
            "The exam's keys are distinct, so the answer cache plays no part.",
            "",
        ]
        return "\n".join(lines)


def latency_figures(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    cuts = [seconds[0]] * 99 if len(seconds) == 1 else statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000, "max": max(seconds) * 1000}


def category_refusal(*, category: str, tier: int, minutes: float, in_flight: int) -> str:
    """Why the PSP's participant bucket (ENTRIES_READ_PARTICIPANT_ANTISCAN) cannot carry the run, or "".

    The exam must fail on DICT's answers, never on our own anti-scan limit, which mirrors DICT's
    (LOOKUP_PSP_CATEGORY). The bucket carries the run when it refills at least the tier each minute
    (else a longer run drains it) and its size plus the refills of the run's whole minutes pay for
    every lookup at a found key's price, plus the 404 surcharge each lookup in flight holds until
    its answer (lookup.services reserves a 404's price first). Stricter reading: no payment orders'
    credits are counted. BCB assigns the category (DICT_RULES §6), so the remedy named is the
    setting matching the category BCB granted, the lowest that carries the tier.
    """

    def carries(name: str) -> bool:
        policy = PSP_POLICIES[name]
        refills = math.floor(minutes * 60_000 / REFILL_PERIOD_MS)
        needed = math.ceil(tier * minutes) * PSP_COST.found + in_flight * (PSP_COST.not_found - PSP_COST.found)
        return policy.refill_tokens >= tier and policy.capacity + policy.refill_tokens * refills >= needed

    if carries(category):
        return ""
    policy = psp_policy(category)
    current = f"category {category} refills {policy.refill_tokens:,}/min, bucket {policy.capacity:,}"
    fitting = [name for name in sorted(PSP_POLICIES, key=lambda n: PSP_POLICIES[n].refill_tokens) if carries(name)]
    if not fitting:
        return f"no DICT participant category carries {tier:,}/min ({current})."
    return (
        f"LOOKUP_PSP_CATEGORY={fitting[0]}: BCB assigns the category; {tier:,}/min over {minutes:g} min "
        f"needs {fitting[0]} or higher ({current})."
    )


def run_capacity(
    *,
    tier: int,
    minutes: float,
    counterpart: str,
    stdout: TextIO | OutputWrapper,
    stderr: TextIO | OutputWrapper,
    simulator: DirectorySimulator | None = None,
) -> CapacityResult:
    """Rehearse the capacity test: preflight, seed, the evenly spread lookups; figures on stdout, progress on stderr.

    A refusal (a directory the rehearsal may not act on, a PSP category too small, the counterpart
    being us) comes back as a FAIL before any key is seeded, any payer made or any key looked up. The
    simulator's SimulatorUnavailable (a directory without SimulatorService: there the keys are BCB's)
    is the caller's to report; it comes after the preflight, so the category is still checked.
    """
    if tier < 1 or minutes <= 0:
        raise ValueError("tier must be at least 1 lookup a minute and minutes more than 0.")
    out, err = _raw(stdout), _raw(stderr)
    result = CapacityResult(tier=tier, minutes=minutes, planned=math.ceil(tier * minutes))
    cap = _worker_cap()
    result.refusal = _refusal(tier=tier, minutes=minutes, counterpart=counterpart, in_flight=cap)
    if not result.refusal:
        simulator = simulator or get_simulator()
        err(f"seeding {result.planned:,} keys held by {counterpart} at the directory...\n")
        keys = _seed(simulator, participant=counterpart, count=result.planned)
        if len(set(keys)) != result.planned:
            result.refusal = f"the simulator gave {len(set(keys)):,} distinct keys, not {result.planned:,}."
    if result.refusal:
        out(result.markdown())
        return result
    result.payers = payers_needed(total=result.planned, minutes=minutes)
    err(f"preparing {result.payers:,} exam payers...\n")
    payers = exam_payers(result.payers)
    plan = [(key, payers[i % len(payers)]) for i, key in enumerate(keys)]
    pool = _Pool(rate_per_sec=tier / 60, cap=cap, other_errors=result.other_errors, window_sec=minutes * 60)
    result.samples, result.workers = pool.run(plan, interval=60 / tier, progress=_Progress(result, err))
    result.abandoned = pool.abandoned
    out(result.markdown())
    return result


def _refusal(*, tier: int, minutes: float, counterpart: str, in_flight: int) -> str:
    if not rehearsal_directory_allowed():  # the production DICT: 40,000 lookups and 667 made-up companies
        return (
            f"the directory at {settings.CONNECT_URL} is not one the rehearsal may act on "
            "(REHEARSAL_DIRECTORY_HOSTS): run it against dictsim."
        )
    if counterpart == settings.DICT_ISPB:
        return f"the counterpart {counterpart} is this PSP: DICT is never asked about our own keys."
    return category_refusal(category=settings.LOOKUP_PSP_CATEGORY, tier=tier, minutes=minutes, in_flight=in_flight)


def _worker_cap() -> int:
    return min(MAX_WORKERS, settings.CONNECT_MAX_IN_FLIGHT) if settings.CONNECT_URL else MAX_WORKERS


def _seed(simulator: DirectorySimulator, *, participant: str, count: int) -> list[str]:
    """``count`` fresh keys held by ``participant``, seeded SEED_CHUNK at a time from one fresh start."""
    start = _fresh_start(count)
    keys: list[str] = []
    for first in range(start, start + count, SEED_CHUNK):
        size = min(SEED_CHUNK, start + count - first)
        keys += simulator.seed_entries(participant=participant, count=size, start=first)
    return keys


def _fresh_start(count: int) -> int:
    """The first of ``count`` simulator indexes no earlier capacity run used (atomic with Redis)."""
    cache.add(SEED_CURSOR, SEED_BASE, timeout=None)
    return cache.incr(SEED_CURSOR, count) - count


def _error_kind(error: Exception) -> str:
    if isinstance(error, RateLimited):
        return "rate-limited"
    if isinstance(error, ServiceUnavailable):  # an outage, a timeout, the breaker or the bulkhead
        return "directory unavailable"
    if isinstance(error, NotFound):
        return "not found"
    return "other"


class _Pool:
    """Worker threads taking lookups from the scheduler, grown (never past ``cap``) to
    WORKER_HEADROOM x rate x p95 latency (Little's law), and at once when every worker is busy."""

    def __init__(self, *, rate_per_sec: float, cap: int, other_errors: Counter[str], window_sec: float) -> None:
        self._rate, self._cap, self._other, self._window = rate_per_sec, cap, other_errors, window_sec
        self.abandoned = 0  # lookups not made: see _late_after_window
        self._jobs: queue.SimpleQueue[tuple[float, str, AbstractBaseUser] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._t0 = 0.0
        self._wanted = self._for_latency(LATENCY_GUESS_SEC)

    def run(
        self, plan: list[tuple[str, AbstractBaseUser]], *, interval: float, progress: "_Progress"
    ) -> tuple[list[Sample], int]:
        """Start lookup i at t0 + i x interval; return the samples in order of their instant, and the workers used."""
        self._grow(busy=0)
        self._t0 = time.perf_counter()
        try:
            for i, (key, payer) in enumerate(plan):
                due = i * interval
                while (wait := due - (time.perf_counter() - self._t0)) > 0:
                    time.sleep(min(wait, 1.0))
                    self._tick(progress)
                self._jobs.put((due, key, payer))
                self._grow(busy=i + 1 - len(self._samples))
                self._tick(progress)
        finally:
            for _ in self._threads:
                self._jobs.put(None)
            for thread in self._threads:
                while thread.is_alive():
                    thread.join(timeout=1.0)
                    self._tick(progress)
            progress.close(self._samples)
        return sorted(self._samples, key=lambda s: s.due), len(self._threads)

    def _tick(self, progress: "_Progress") -> None:
        """About once a second: the progress bar, and the pool's size from the latency seen lately."""
        if progress.tick(self._samples):
            recent = [s.latency for s in self._samples[-1000:]]
            if recent:
                self._wanted = self._for_latency(latency_figures(recent)["p95"] / 1000)

    def _for_latency(self, latency_sec: float) -> int:
        return math.ceil(WORKER_HEADROOM * self._rate * latency_sec) + 1

    def _grow(self, *, busy: int) -> None:
        while len(self._threads) < min(self._cap, max(self._wanted, busy)):
            thread = threading.Thread(target=self._work, name=f"capacity-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _late_after_window(self, due: float, now: float) -> bool:
        """A lookup still waiting for a worker after the window, and already late: the run has FAILED
        (MAX_LATE_SEC), and making it would only drag the run on (a run at 5x what the PSP can carry
        would take 5x its minutes). It is left out, counted as abandoned."""
        return now > self._window and now - due > MAX_LATE_SEC

    def _work(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                due, key, payer = job
                started = time.perf_counter()
                if self._late_after_window(due, started - self._t0):
                    with self._lock:
                        self.abandoned += 1
                    continue
                outcome = "ok"
                try:
                    lookup_key(user=payer, key=key)
                except Exception as error:  # noqa: BLE001 - every failure is a figure of the run, by kind
                    outcome = _error_kind(error)
                    if outcome == "other":
                        with self._lock:
                            self._other[type(error).__name__] += 1
                ended = time.perf_counter()
                sample = Sample(due=due, started=started - self._t0, latency=ended - started, outcome=outcome)
                with self._lock:
                    self._samples.append(sample)
        finally:
            connections.close_all()  # this thread's own connections


class _Progress:
    """The progress bar on stderr, refreshed about once a second from the scheduler's thread."""

    def __init__(self, result: CapacityResult, write: Callable[[str], None]) -> None:
        self._result, self._next = result, 0.0
        self._bar = tqdm(total=result.planned, unit="lookup", file=_Stream(write), mininterval=1.0, dynamic_ncols=False)

    def tick(self, samples: list[Sample]) -> bool:
        """Refresh the bar if a second has passed since the last time; say whether it did."""
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + 1.0
        done = list(samples)
        errors = sum(1 for s in done if s.outcome != "ok")
        p99 = latency_figures([s.latency for s in done[-2000:] if s.outcome == "ok"])["p99"]
        lag = max((s.started - s.due for s in done[-2000:]), default=0.0)
        self._bar.set_postfix_str(f"errors {errors}, p99 {p99:.0f} ms, lag {lag * 1000:.0f} ms", refresh=False)
        self._bar.update(len(done) - self._bar.n)
        return True

    def close(self, samples: list[Sample]) -> None:
        self._next = 0.0
        self.tick(samples)
        self._bar.close()


class _Stream:
    """What tqdm writes to: a file-like front for ``write``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def flush(self) -> None:
        return None


def _raw(stream: TextIO | OutputWrapper) -> Callable[[str], None]:
    """Write text as is: a management command's OutputWrapper would add a newline (and colour) to each write."""

    def write(text: str) -> None:
        if isinstance(stream, OutputWrapper):
            stream.write(text, style_func=str, ending="")
        else:
            stream.write(text)
        stream.flush()

    return write
