"""Show, advance or reset the simulated directory's clock."""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dictsim import clock

DURATION_RE = re.compile(r"^([0-9]+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    match = DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise CommandError(f"--advance takes a duration like 7d, 36h or 90m, not {text!r}.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Print the directory's time; --advance 7d|36h|90m moves it forward, --reset back to real time."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--advance", metavar="DURATION", help="e.g. 7d, 36h, 90m")
        group.add_argument("--reset", action="store_true")

    def handle(self, *args, advance: str | None, reset: bool, **options) -> None:
        if advance is not None:
            clock.advance(parse_duration(advance))
        elif reset:
            clock.reset()
        self.stdout.write(f"directory time {clock.now().isoformat()} (offset {clock.offset()})")
