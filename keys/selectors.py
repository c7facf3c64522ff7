"""Read use cases for entries: every caller of the customer API sees the keys of its own holder's accounts only.

Staff too: the back-office reads entries through the admin, never through these.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.utils import timezone

from common.selectors import filter_choice
from dict_rules.errors import NotFound
from dict_rules.keys import KeyType
from keys.domain import EntryStatus
from keys.models import Entry


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


def entries_waiting(status: EntryStatus, *, older_than: timedelta) -> QuerySet[Entry]:
    """Entries left in ``status`` (PENDING, DELETE_PENDING) longer than ``older_than``: what the re-drive takes up."""
    return Entry.objects.filter(status=status, updated_at__lt=timezone.now() - older_than)


def entry_counts_by_status() -> dict[str, int]:
    """Every entry, counted by status: one pass, which PostgreSQL can take on an index alone (COUNT(*), no column)."""
    rows = Entry.objects.order_by().values_list("status").annotate(count=Count("*"))
    return dict(rows)


@dataclass(frozen=True)
class OwnEntryView:
    """What a lookup needs of one of our own live keys (cached; no ids that could leak)."""

    key: str
    key_type: str
    person_type: str
    tax_id: str
    name: str
    trade_name: str
    ispb: str
    branch: str
    account_number: str
    account_type: str
    opening_date: str
    created_at: str
    key_ownership_date: str


OWN_ENTRY_TTL = 300


def _own_entry_cache_key(key: str) -> str:
    """Keys are PII: the cache key holds a hash, never the key itself."""
    return "own-entry:" + hashlib.sha256(key.encode()).hexdigest()


def own_entry_view(key: str) -> OwnEntryView | None:
    """Our ACTIVE entry for this key, through the cache (invalidated on every change, on commit)."""
    cache_key = _own_entry_cache_key(key)
    cached = cache.get(cache_key)
    if cached is not None:
        return OwnEntryView(**cached) if cached else None
    entry = Entry.objects.filter(key_value=key, status=EntryStatus.ACTIVE).select_related("account__holder").first()
    view = None
    if entry is not None:
        account, holder = entry.account, entry.account.holder
        view = OwnEntryView(
            key=key,
            key_type=entry.key_type,
            person_type=holder.person_type,
            tax_id=holder.tax_id,
            name=holder.name,
            trade_name=holder.trade_name,
            ispb=account.ispb,
            branch=account.branch,
            account_number=account.number,
            account_type=account.account_type,
            opening_date=account.opening_date.isoformat(),
            created_at=(entry.registered_at or entry.created_at).isoformat(),
            key_ownership_date=(entry.key_ownership_date or entry.created_at).isoformat(),
        )
    cache.set(cache_key, asdict(view) if view else {}, OWN_ENTRY_TTL)
    return view


def invalidate_own_entry(key: str) -> None:
    cache.delete(_own_entry_cache_key(key))
