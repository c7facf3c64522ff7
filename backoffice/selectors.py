"""The staff home page: what needs a person now, composed from the owning apps' selectors.

Each count comes with the admin changelist that lists exactly its rows (the apps' list filters apply the
same selectors), and is shown only to staff who may open that changelist.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model
from django.urls import reverse

from claims.admin_filters import DEADLINE_LABELS, DeadlineFilter
from claims.models import OwnershipClaim
from claims.selectors import DEADLINE_BUCKETS, open_claim_counts, unacknowledged_incoming_counts
from connect.client import connect_state
from dict_rules.claims import ClaimStatus, ClaimType, Role
from events.models import DomainEvent
from events.selectors import outbox_state
from keys.admin_filters import FailedTodayFilter, StuckFilter
from keys.models import Entry, SyncCheck
from keys.selectors import STUCK_STATUSES, entries_stuck, failed_today_counts, stuck_after, sync_states
from med.admin_filters import QueueFilter
from med.models import InfractionReport, Refund
from med.selectors import due_counts
from portability.models import Portability

# The home page's deadline columns: what is due soon or overdue ("later" is in the claims admin's filter).
DUE_BUCKETS = ("overdue", "under_1h", "under_24h")
CLAIM_MODELS: dict[ClaimType, type[Model]] = {ClaimType.OWNERSHIP: OwnershipClaim, ClaimType.PORTABILITY: Portability}


@dataclass(frozen=True)
class Tally:
    """A count and the changelist that lists exactly those rows."""

    label: str
    count: int
    url: str


@dataclass(frozen=True)
class ClaimsDue:
    title: str  # "Ownership claims, as donor"
    due: tuple[Tally, ...]  # one per DUE_BUCKETS


@dataclass(frozen=True)
class Outbox:
    unpublished: Tally
    failed: Tally
    oldest_waiting_since: datetime | None  # the first event in line to publish; None when none waits


@dataclass(frozen=True)
class SyncRow:
    key_type: str
    last: SyncCheck | None  # None: never checked
    last_ok_at: datetime | None
    url: str  # the type's sync checks


@dataclass(frozen=True)
class StaffHome:
    due_labels: tuple[str, ...]
    claims_due: tuple[ClaimsDue, ...]
    unacknowledged: tuple[Tally, ...]
    stuck_after_min: int
    stuck: tuple[Tally, ...] | None  # None: the viewer may not list keys
    failed_today: tuple[Tally, ...] | None
    sync_checks: tuple[SyncRow, ...] | None
    directory: str  # this process's Connect breaker: closed, open, half-open (or in-process)
    outbox: Outbox | None
    med: tuple[Tally, ...] | None = None  # None: the viewer may not list infraction reports


def may_view(user: AbstractBaseUser, model: type[Model]) -> bool:
    """What the admin's has_view_permission asks: the model's view or change permission."""
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def changelist(model: type[Model], **params: str) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _claims(user: AbstractBaseUser, now: datetime) -> tuple[tuple[ClaimsDue, ...], tuple[Tally, ...]]:
    visible = {claim_type: model for claim_type, model in CLAIM_MODELS.items() if may_view(user, model)}
    if not visible:
        return (), ()
    counts = open_claim_counts(now=now, buckets=DEADLINE_BUCKETS, by=("claim_type", "role"))
    due = tuple(
        ClaimsDue(
            title=f"{model._meta.verbose_name_plural.capitalize()}, as {role.value.lower()}",
            due=tuple(
                Tally(
                    DEADLINE_LABELS[bucket],
                    counts.get((claim_type.value, role.value, bucket), 0),
                    changelist(model, role__exact=role.value, **{DeadlineFilter.parameter_name: bucket}),
                )
                for bucket in DUE_BUCKETS
            ),
        )
        for claim_type, model in visible.items()
        for role in Role
    )
    unacknowledged = unacknowledged_incoming_counts()
    incoming = tuple(
        Tally(
            str(model._meta.verbose_name_plural.capitalize()),
            unacknowledged.get(claim_type.value, 0),
            changelist(model, role__exact=Role.DONOR.value, status__exact=ClaimStatus.OPEN.value),
        )
        for claim_type, model in visible.items()
    )
    return due, incoming


def _med(user: AbstractBaseUser, now: datetime) -> tuple[Tally, ...] | None:
    """The fraud team's queues (med.selectors.due_counts), each linked to its admin queue."""
    if not may_view(user, InfractionReport):
        return None
    counts = due_counts(now=now)
    queue = QueueFilter.parameter_name
    return (
        Tally(
            "Reports to analyse, 7 days passed",
            counts["analysis_overdue"],
            changelist(InfractionReport, **{queue: "analysis_overdue"}),
        ),
        Tally(
            "Reports to analyse, due within 24 h",
            counts["analysis_due"],
            changelist(InfractionReport, **{queue: "analysis_due"}),
        ),
        Tally(
            "Refunds asked of us, to answer", counts["refunds_to_answer"], changelist(Refund, **{queue: "to_answer"})
        ),
        Tally(
            "AGREED reports awaiting our refund",
            counts["awaiting_refund"],
            changelist(InfractionReport, **{queue: "awaiting_refund"}),
        ),
    )


def staff_home(*, user: AbstractBaseUser, now: datetime) -> StaffHome:
    claims_due, unacknowledged = _claims(user, now)
    stuck = failed = None
    if may_view(user, Entry):
        stuck = tuple(
            Tally(
                status.value, entries_stuck(status).count(), changelist(Entry, **{StuckFilter.parameter_name: status})
            )
            for status in STUCK_STATUSES
        )
        failed = tuple(
            Tally(code or "(no code)", count, changelist(Entry, **{FailedTodayFilter.parameter_name: code}))
            for code, count in failed_today_counts(now=now).items()
        )
    sync_checks = None
    if may_view(user, SyncCheck):
        sync_checks = tuple(
            SyncRow(key_type, state.last, state.last_ok_at, changelist(SyncCheck, key_type__exact=key_type))
            for key_type, state in sync_states().items()
        )
    outbox = None
    if may_view(user, DomainEvent):
        state = outbox_state(now)
        outbox = Outbox(
            unpublished=Tally("unpublished", state.backlog, changelist(DomainEvent, published_at__isempty="1")),
            failed=Tally(
                "failed", state.failed, changelist(DomainEvent, published_at__isempty="1", failed_at__isempty="0")
            ),
            oldest_waiting_since=now - timedelta(seconds=state.lag_seconds) if state.backlog > state.failed else None,
        )
    return StaffHome(
        due_labels=tuple(DEADLINE_LABELS[bucket] for bucket in DUE_BUCKETS),
        claims_due=claims_due,
        unacknowledged=unacknowledged,
        stuck_after_min=int(stuck_after().total_seconds() // 60),
        stuck=stuck,
        failed_today=failed,
        sync_checks=sync_checks,
        directory=connect_state(),
        outbox=outbox,
        med=_med(user, now),
    )
