"""The relay's heartbeat file: touched after every round with what that round found, read by `manage.py relay_alive`.

Its age is the liveness probe (the loop turns, whatever the broker or the database do: every wait
in a round is bounded); its text, the state of the last round, is the readiness probe ("ok" when the
round reached the database and Pulsar). Neither costs the probe a connection.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

OK = "ok"
PULSAR_UNAVAILABLE = "pulsar unavailable"
DATABASE_UNAVAILABLE = "database unavailable"


@dataclass(frozen=True)
class Beat:
    age_seconds: float
    state: str


def _path() -> Path:
    return Path(settings.RELAY_HEARTBEAT_FILE)


def beat(state: str) -> None:
    """Write the round's state and touch the file (a rename, so a probe never reads half a line)."""
    path = _path()
    scratch = path.with_name(f"{path.name}.{os.getpid()}")
    scratch.write_text(state)
    os.replace(scratch, path)


def last_beat() -> Beat | None:
    """The last heartbeat, or None when there is none (never started, or stopped cleanly)."""
    try:
        stat = _path().stat()
        state = _path().read_text()
    except FileNotFoundError:
        return None
    return Beat(age_seconds=time.time() - stat.st_mtime, state=state)


def stop_beating() -> None:
    _path().unlink(missing_ok=True)
