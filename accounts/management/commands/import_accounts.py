"""Import holders and accounts from a core-banking CSV export (idempotent; progress on stderr).

Output names rows by line number only: names and tax ids are PII and never printed.
"""

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import IMPORT_COLUMNS, ImportReport, accounts_import

OPTIONAL_COLUMNS = frozenset({"trade_name", "username"})
REQUIRED_COLUMNS = tuple(c for c in IMPORT_COLUMNS if c not in OPTIONAL_COLUMNS)
MAX_LISTED_REJECTIONS = 50


@contextmanager
def open_export(path: str) -> Iterator[TextIO]:
    """The export as text, '-' meaning stdin; utf-8-sig so a BOM written by spreadsheets is dropped."""
    if path != "-":
        try:
            stream = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below, after the yield
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
        with stream:
            yield stream
        return
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # stdin was replaced by a text stream (an embedding caller, tests): already decoded
        yield sys.stdin
        return
    stream = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    try:
        yield stream
    finally:
        stream.detach()  # leave the process's stdin open


def count_records(stream: TextIO) -> int | None:
    """Data records in a seekable export (for "n/total" progress); None for a pipe, read only once."""
    if not stream.seekable():
        return None
    records = sum(1 for row in csv.reader(stream) if row)  # csv.DictReader skips blank lines too
    stream.seek(0)
    return max(records - 1, 0)


def check_header(fieldnames: list[str] | None) -> None:
    """Refuse a file whose header does not name our columns, before any row is written.

    Unknown columns are reported by position, not by name: in a file without a header row
    the "names" would be a customer's tax id and name.
    """
    if not fieldnames:
        raise CommandError("the file is empty: a header row naming the columns is required.")
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in fieldnames]
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    unknown = [str(i) for i, name in enumerate(fieldnames, start=1) if name not in IMPORT_COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) at position {', '.join(unknown)} (is the header row missing?)")
    duplicated = sorted({name for name in fieldnames if fieldnames.count(name) > 1 and name in IMPORT_COLUMNS})
    if duplicated:
        problems.append(f"duplicated column(s): {', '.join(duplicated)}")
    if problems:
        raise CommandError(f"bad header row: {'; '.join(problems)}. Expected columns: {','.join(IMPORT_COLUMNS)}")


def counts(report: ImportReport) -> str:
    return (
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected"
    )


class Command(BaseCommand):
    help = (
        "Import holders and accounts from a core-banking CSV export (columns: "
        f"{','.join(IMPORT_COLUMNS)}; header row required). Each row commits on its own and a "
        "re-run of the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the CSV file, or '-' to read stdin")
        parser.add_argument(
            "--progress-every", type=int, default=500, metavar="N", help="print progress to stderr every N rows"
        )
        parser.add_argument(
            "--strict", action="store_true", help="exit non-zero if any row was rejected (valid rows stay imported)"
        )

    def handle(self, *args, path: str, progress_every: int, strict: bool, **options) -> None:
        if progress_every < 1:
            raise CommandError("--progress-every must be at least 1.")
        report = ImportReport()
        try:
            with open_export(path) as stream:
                total = count_records(stream)
                reader = csv.DictReader(stream)
                check_header(reader.fieldnames)
                for report in accounts_import((reader.line_num, row) for row in reader):
                    if report.total % progress_every == 0:
                        self.progress(report, total)
        except (UnicodeDecodeError, csv.Error) as error:
            reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else f"bad CSV ({error})"
            done = f"the {report.total} rows before it were processed ({counts(report)})" if report.total else ""
            raise CommandError(f"cannot read the file: {reason}; {done or 'nothing was imported'}.") from error
        if report.total % progress_every != 0 or report.total == 0:
            self.progress(report, total)
        self.summary(report)
        if strict and report.rejected:
            raise CommandError(f"{len(report.rejected)} row(s) rejected (--strict); the other rows were imported.")

    def progress(self, report: ImportReport, total: int | None) -> None:
        done = report.total if total is None else f"{report.total}/{total}"
        # style_func=str: progress is not an error, so not in the error red of stderr.
        self.stderr.write(f"imported {done} rows: {counts(report)}", style_func=str)

    def summary(self, report: ImportReport) -> None:
        self.stdout.write(f"{report.total} rows: {counts(report)}")
        if not report.rejected:
            return
        self.stdout.write("rejected rows:")
        for line, reason in report.rejected[:MAX_LISTED_REJECTIONS]:
            self.stdout.write(f"  line {line}: {reason}")
        if len(report.rejected) > MAX_LISTED_REJECTIONS:
            self.stdout.write(f"  ... and {len(report.rejected) - MAX_LISTED_REJECTIONS} more")
