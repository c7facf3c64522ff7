"""Read use cases for entries: every caller of the customer API sees the keys of its own holder's accounts only.

Staff too: the back-office reads entries through the admin, never through these.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from common.selectors import filter_choice
from dict_rules.errors import NotFound
from dict_rules.keys import KeyType
from keys.domain import EntryStatus
from keys.models import Entry, SyncCheck


def entry_list(*, user: AbstractBaseUser, key_type: str | None = None, status: str | None = None) -> QuerySet[Entry]:
    qs = Entry.objects.select_related("account__holder").filter(account__holder__user=user)
    if key_type := filter_choice(key_type, KeyType, field="key_type"):
        qs = qs.filter(key_type=key_type)
    if status := filter_choice(status, EntryStatus, field="status"):
        qs = qs.filter(status=status)
    return qs


def entry_get(*, user: AbstractBaseUser, entry_id: UUID) -> Entry:
    """The entry if it belongs to one of the user's accounts; anyone else's is not found (404)."""
    entry = entry_list(user=user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("Key not found.")
    return entry


# Accounts the apps above still have closure work on (claims: its open claims bringing keys to an
# account), registered at start-up as keys knows nothing of them; each returns a query of account ids.
ClosureBacklog = Callable[[], QuerySet]
_CLOSURE_BACKLOGS: list[ClosureBacklog] = []
# A closed account's keys the closure deletes or waits for (keys.updates.account_entries_close);
# DELETE_PENDING ones are sync_pending's.
CLOSURE_UNFINISHED_STATUSES = (EntryStatus.PENDING, EntryStatus.ACTIVE, EntryStatus.FAILED)


def register_closure_backlog(backlog: ClosureBacklog) -> None:
    """Have ``closed_accounts_unfinished`` also list the closed accounts among ``backlog()``'s ids (idempotent)."""
    if backlog not in _CLOSURE_BACKLOGS:
        _CLOSURE_BACKLOGS.append(backlog)


def closed_accounts_unfinished() -> QuerySet[Account]:
    """Closed accounts whose closure is not finished: keys not yet sent for deletion (a key registered,
    or brought in by a claim, after the closure ran) or open claims; what the closure job re-runs."""
    unfinished = Q(entries__status__in=CLOSURE_UNFINISHED_STATUSES)
    for backlog in _CLOSURE_BACKLOGS:
        unfinished |= Q(pk__in=backlog())
    return Account.objects.filter(unfinished, closed_at__isnull=False).distinct().order_by("pk")


def entries_waiting(
    status: EntryStatus, *, older_than: timedelta, entries: QuerySet[Entry] | None = None
) -> QuerySet[Entry]:
    """Entries (of ``entries``, else all) left in ``status`` (PENDING, DELETE_PENDING) longer than ``older_than``:
    what the re-drive takes up."""
    base = Entry.objects.all() if entries is None else entries
    return base.filter(status=status, updated_at__lt=timezone.now() - older_than)


# Statuses an entry waits in for DICT's answer; one held longer than KEYS_STUCK_AFTER_MIN needs a person,
# since the re-drive (every minute) has not moved it.
STUCK_STATUSES = (EntryStatus.PENDING, EntryStatus.DELETE_PENDING)


def stuck_after() -> timedelta:
    return timedelta(minutes=settings.KEYS_STUCK_AFTER_MIN)


def entries_stuck(status: EntryStatus, *, entries: QuerySet[Entry] | None = None) -> QuerySet[Entry]:
    """Entries in one of STUCK_STATUSES for longer than stuck_after() (the staff home page, the admin's filter)."""
    if status not in STUCK_STATUSES:
        raise ValueError(f"{status!r} is not a status an entry waits in")
    return entries_waiting(status, older_than=stuck_after(), entries=entries)


def entries_failed_today(*, now: datetime, entries: QuerySet[Entry] | None = None) -> QuerySet[Entry]:
    """Registrations DICT refused since local midnight (TIME_ZONE): FAILED is final, so the row's last change
    is the refusal."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    base = Entry.objects.all() if entries is None else entries
    return base.filter(status=EntryStatus.FAILED, updated_at__gte=midnight)


def failed_today_counts(*, now: datetime) -> dict[str, int]:
    """Today's refused registrations by DICT's error code (failure_code)."""
    rows = entries_failed_today(now=now).order_by("failure_code").values_list("failure_code").annotate(n=Count("*"))
    return dict(rows)


def entry_counts_by_status() -> dict[str, int]:
    """Every entry, counted by status: one pass, which PostgreSQL can take on an index alone (COUNT(*), no column)."""
    rows = Entry.objects.order_by().values_list("status").annotate(count=Count("*"))
    return dict(rows)


@dataclass(frozen=True)
class SyncState:
    """A key type's sync checks at a glance: the last one, and when one last found it in sync."""

    last: SyncCheck | None
    last_ok_at: datetime | None


def sync_states() -> dict[str, SyncState]:
    """Per key type (all five, checked or not): two index reads each, for the admin and /metrics."""
    states = {}
    for key_type in KeyType:
        checks = SyncCheck.objects.filter(key_type=key_type)
        states[key_type.value] = SyncState(
            last=checks.first(), last_ok_at=checks.filter(ok=True).values_list("checked_at", flat=True).first()
        )
    return states
