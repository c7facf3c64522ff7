"""The anti-fraud statistics of a lookup (getEntry with IncludeStatistics; DICT_RULES §6, SPEC
`KeyStatistics`, `PersonStatistics`), computed from dictsim's tables with a few aggregate queries.

Per window (dict_rules.med_rules.window_bounds, on the directory's clock; m12 and m60 end where the
current month begins): settlements received
(the ledger), REGISTERED fraud markers by type, the settled amount of the markers' reported
transactions in whole reais (excluding UNKNOWN, and for a person APPLICATION_FRAUD too, as the spec
says), distinct marking participants (excluding UNKNOWN), reports closed DISAGREED (still CLOSED: a
rejection the reporter then cancelled no longer counts, the stricter reading), and accounts: for a
key, the distinct accounts it was registered in (its current one and DirKeyAccount's past ones);
for a person, the accounts of its registered keys now (the spec's RegisteredAccounts has no window,
so the three carry the same count; a key's current account counts in every window, the accounts a
key is registered in being a state rather than events of a month). Open reports count those OPEN or ACKNOWLEDGED now.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db.models import Aggregate, Count, Q, Sum

from dict_rules.med import EntryStatistics, Statistics, WindowedValue
from dict_rules.med_rules import OPEN_REPORT_STATUSES, whole_reais, window_bounds
from dictsim.models import DirEntry, DirFraudMarker, DirInfractionReport, DirKeyAccount, DirTransaction

WINDOWS = ("d90", "m12", "m60")
Bounds = dict[str, tuple[datetime, datetime | None]]  # per window, its start and its end (None: now)
MARKER_TYPES = {
    "APPLICATION_FRAUD": "application_frauds",
    "MULE_ACCOUNT": "mule_accounts",
    "SCAMMER_ACCOUNT": "scammer_accounts",
    "OTHER": "other_frauds",
    "UNKNOWN": "unknown_frauds",
}


def _windowed(
    aggregate: type[Aggregate],
    name: str,
    field: str,
    bounds: Bounds,
    *,
    at: str,
    when: Q | None = None,
    distinct: bool = False,
) -> dict:
    """One aggregate per window, named ``<name>_<window>``: ``field`` over the rows whose ``at`` is in it."""
    return {
        f"{name}_{window}": aggregate(field, filter=(when or Q()) & _within(at, start, end), distinct=distinct)
        for window, (start, end) in bounds.items()
    }


def _within(at: str, start: datetime, end: datetime | None) -> Q:
    return Q(**{f"{at}__gte": start}) & (Q() if end is None else Q(**{f"{at}__lt": end}))


def _value(row: dict, name: str, convert: Callable[[int | Decimal], int] = int) -> WindowedValue:
    return WindowedValue(**{window: convert(row[f"{name}_{window}"] or 0) for window in WINDOWS})


def _statistics(
    *,
    now: datetime,
    bounds: Bounds,
    settlements: Q,
    markers: Q,
    reports: Q,
    amount_excluded: tuple[str, ...],
    accounts: WindowedValue,
) -> Statistics:
    """Three aggregate queries: the ledger, the markers, the reports (each from m60's start, the earliest)."""
    spi = DirTransaction.objects.filter(settlements, settled=True, settled_at__gte=bounds["m60"][0]).aggregate(
        **_windowed(Count, "settlements", "id", bounds, at="settled_at")
    )
    by_type = {}
    for fraud_type, name in MARKER_TYPES.items():
        by_type |= _windowed(Count, name, "id", bounds, at="created_at", when=Q(fraud_type=fraud_type))
    marks = DirFraudMarker.objects.filter(markers, status="REGISTERED", created_at__gte=bounds["m60"][0]).aggregate(
        **by_type,
        **_windowed(
            Sum,
            "amount",
            "infraction_report__transaction__amount",
            bounds,
            at="created_at",
            when=~Q(fraud_type__in=amount_excluded),
        ),
        **_windowed(
            Count, "reporters", "participant", bounds, at="created_at", when=~Q(fraud_type="UNKNOWN"), distinct=True
        ),
    )
    open_ = Q(status__in=OPEN_REPORT_STATUSES)
    counted = DirInfractionReport.objects.filter(reports).aggregate(
        open=Count("id", filter=open_),
        open_reporters=Count("reporter_participant", filter=open_, distinct=True),
        **_windowed(
            Count, "rejected", "id", bounds, at="closed_at", when=Q(status="CLOSED", analysis_result="DISAGREED")
        ),
    )
    return Statistics(
        watermark=now,
        settlements=_value(spi, "settlements"),
        **{name: _value(marks, name) for name in MARKER_TYPES.values()},
        total_fraud_transaction_amount=_value(marks, "amount", whole_reais),
        distinct_fraud_reporters=_value(marks, "reporters"),
        open_reports=counted["open"],
        open_reports_distinct_reporters=counted["open_reporters"],
        rejected_reports=_value(counted, "rejected"),
        accounts=accounts,
    )


def _key_accounts(entry: DirEntry, bounds: Bounds) -> WindowedValue:
    current = (entry.participant, entry.branch, entry.account_number, entry.account_type)
    past = DirKeyAccount.objects.filter(key=entry.key, ended_at__gte=bounds["m60"][0]).values_list(
        "participant", "branch", "account_number", "account_type", "ended_at"
    )
    return WindowedValue(
        **{
            window: len({current} | {row[:4] for row in past if row[4] >= start})
            for window, (start, _) in bounds.items()
        }
    )


def _person_accounts(tax_id: str) -> WindowedValue:
    count = (
        DirEntry.objects.filter(owner_tax_id=tax_id)
        .values_list("participant", "branch", "account_number", "account_type")
        .distinct()
        .count()
    )
    return WindowedValue(d90=count, m12=count, m60=count)


def entry_statistics(entry: DirEntry, now: datetime) -> EntryStatistics:
    """The key's and its owner's statistics at the directory's ``now``."""
    bounds = dict(zip(WINDOWS, window_bounds(now), strict=True))
    key = _statistics(
        now=now,
        bounds=bounds,
        settlements=Q(receiver_key=entry.key),
        markers=Q(key=entry.key),
        reports=Q(target_key=entry.key),
        amount_excluded=("UNKNOWN",),
        accounts=_key_accounts(entry, bounds),
    )
    owner = _statistics(
        now=now,
        bounds=bounds,
        settlements=Q(receiver_tax_id=entry.owner_tax_id),
        markers=Q(tax_id=entry.owner_tax_id),
        reports=Q(target_tax_id=entry.owner_tax_id),
        amount_excluded=("APPLICATION_FRAUD", "UNKNOWN"),
        accounts=_person_accounts(entry.owner_tax_id),
    )
    return EntryStatistics(key=key, owner=owner)
