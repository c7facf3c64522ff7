"""The directory's clock: real time plus an offset kept in its database.

Claims run on periods of 7 to 30 days; tests and end-to-end runs move the directory's time
forward (`manage.py dictsim_clock --advance 7d`) instead of sleeping. Every timestamp the
directory sets comes from `now()`; the cost is one single-row query.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dictsim.models import DirClock


def offset() -> timedelta:
    seconds = DirClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    return timedelta(seconds=seconds or 0)


def now() -> datetime:
    return timezone.now() + offset()


@transaction.atomic
def advance(delta: timedelta) -> datetime:
    """Move the directory's time forward (or back, with a negative delta); return the new time."""
    DirClock.objects.get_or_create(pk=1)
    DirClock.objects.filter(pk=1).update(offset_seconds=F("offset_seconds") + int(delta.total_seconds()))
    return now()


def reset() -> datetime:
    DirClock.objects.filter(pk=1).delete()
    return now()
