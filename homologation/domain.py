"""The rehearsal's own vocabulary: a step's outcome and evidence, and the pure checks it applies.

A step PASSES or FAILS on what the PSP did; it is SKIPPED when the move it needs is BCB's and the
directory offers no simulator control (a real DICT: there, BCB makes those moves in the exam).
A skipped step proves nothing, so the run's verdict is then INCOMPLETE, never PASS.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# DICT_RULES §11 item 4: every claim where we are donor is acknowledged within one minute.
ACKNOWLEDGE_WITHIN = timedelta(minutes=1)

BCB_NOT_AVAILABLE = "BCB's part: not available at this directory"


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass
class StepResult:
    """One step of the exam: its outcome, the evidence (ids, times, counts) and how long it took."""

    name: str
    outcome: Outcome = Outcome.PASS
    evidence: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def note(self, line: str) -> None:
        self.evidence.append(line)

    def fail(self, line: str) -> None:
        """A failed check: the step fails, and says why."""
        self.outcome = Outcome.FAIL
        self.evidence.append(f"FAILED: {line}")

    def check(self, holds: bool, line: str) -> bool:
        """Note ``line`` if ``holds``, else fail with it; returns ``holds``."""
        if holds:
            self.note(line)
        else:
            self.fail(line)
        return holds

    def skip(self, line: str = BCB_NOT_AVAILABLE) -> None:
        self.outcome = Outcome.SKIP
        self.evidence.append(line)


class Verdict(StrEnum):
    PASS = "PASS"  # every step ran and passed
    FAIL = "FAIL"  # some step failed
    INCOMPLETE = "INCOMPLETE"  # nothing failed, but something was skipped: not a pass


# The command's exit status by verdict: a FAIL and an INCOMPLETE run are told apart by scripts and CI.
EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCOMPLETE: 2}


def verdict(outcomes: list[Outcome]) -> Verdict:
    """FAIL if anything failed, else INCOMPLETE if anything was skipped, else PASS."""
    if Outcome.FAIL in outcomes:
        return Verdict.FAIL
    return Verdict.INCOMPLETE if Outcome.SKIP in outcomes else Verdict.PASS


def failed(results: list[StepResult]) -> bool:
    """Some step failed (the capacity test runs only when none did: §11, after the functional tests)."""
    return any(result.outcome is Outcome.FAIL for result in results)


def acknowledged_in_time(*, created_at: datetime, acknowledged_at: datetime | None) -> bool:
    """The donor's acknowledgement came within ACKNOWLEDGE_WITHIN of the claim, by DICT's clock."""
    return acknowledged_at is not None and acknowledged_at - created_at <= ACKNOWLEDGE_WITHIN
