"""Rehearse BCB's homologation exam (DICT_RULES §11) against a directory: PASS or FAIL per step with
its evidence, a report (Markdown, or HTML for a .html path), and the verdict as the exit status:
0 PASS, 1 FAIL (a step or the capacity test failed), 2 INCOMPLETE (nothing failed, something skipped)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connect.client import RehearsalRefused, require_rehearsal_directory
from homologation.capacity import BCB_TIERS
from homologation.domain import EXIT_CODES, Outcome, StepResult, Verdict
from homologation.report import render
from homologation.services import Capacity, ScheduledJobs, directory_at, rehearse
from homologation.steps import PREPARED_KEY_TYPES


def _positive(text: str) -> int:
    """--rate's type: a whole number of lookups a minute, at least one."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Rehearse BCB's homologation exam (functional steps; --capacity adds the capacity test)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connect-url", help="the directory's Connect address for this run (default: settings)")
        parser.add_argument("--counterpart-ispb", default="99999901", help="the other participant in claims and MED")
        parser.add_argument("--key-type", default="CPF", choices=[str(t) for t in PREPARED_KEY_TYPES])
        parser.add_argument("--prepared-keys", type=int, default=1000, help="keys of --key-type to hold (art. 12)")
        parser.add_argument(
            "--scheduled-jobs",
            default=ScheduledJobs.SELF,
            choices=[str(who) for who in ScheduledJobs],
            help="who runs the PSP's polls: self (beat's schedule in this process) or deployment (its beat)",
        )
        parser.add_argument("--report", help="write the report here (.md Markdown, .html HTML)")
        parser.add_argument("--capacity", action="store_true", help="then the capacity test, if the steps pass")
        parser.add_argument("--capacity-only", action="store_true", help="only the capacity test")
        rate = parser.add_mutually_exclusive_group()
        rate.add_argument(
            "--tier", type=int, choices=BCB_TIERS, default=1000, help="BCB's tier: distinct keys a minute"
        )
        rate.add_argument(
            "--rate",
            type=_positive,
            help="a stress rate in distinct keys a minute, not one of BCB's tiers (e.g. 16000); the report says so",
        )
        parser.add_argument("--minutes", type=float, default=10.0, help="the capacity test's length")

    def handle(self, *args, **options) -> None:
        if options["prepared_keys"] < 1:
            raise CommandError("--prepared-keys must be at least 1.")
        capacity = options["capacity"] or options["capacity_only"]
        with directory_at(options["connect_url"]):
            try:  # before anything is created: the production DICT must never see a rehearsal
                require_rehearsal_directory()
            except RehearsalRefused as refused:
                raise CommandError(str(refused)) from None
            report = rehearse(
                counterpart=options["counterpart_ispb"],
                key_type=options["key_type"],
                prepared_keys=options["prepared_keys"],
                functional=not options["capacity_only"],
                capacity=Capacity(options["rate"] or options["tier"], options["minutes"]) if capacity else None,
                jobs=ScheduledJobs(options["scheduled_jobs"]),
                stdout=self.stdout,
                stderr=self.stderr,
                report_step=self._print_step,
            )
        if options["report"]:
            Path(options["report"]).write_text(render(report, options["report"]), encoding="utf-8")
            self.stdout.write(f"report written to {options['report']}")
        if report.verdict is Verdict.FAIL:
            raise CommandError("the rehearsal FAILED (see the steps above).", returncode=EXIT_CODES[Verdict.FAIL])
        if report.verdict is Verdict.INCOMPLETE:
            raise CommandError(
                f"the rehearsal is INCOMPLETE: skipped {'; '.join(report.skipped)}.",
                returncode=EXIT_CODES[Verdict.INCOMPLETE],
            )
        self.stdout.write(self.style.SUCCESS("the rehearsal PASSED"))

    def _print_step(self, result: StepResult) -> None:
        style = {Outcome.PASS: self.style.SUCCESS, Outcome.FAIL: self.style.ERROR, Outcome.SKIP: self.style.WARNING}
        self.stdout.write(style[result.outcome](f"{result.outcome}  {result.name} ({result.seconds:.1f}s)"))
        for line in result.evidence:
            self.stdout.write(f"      {line}")
