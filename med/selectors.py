"""Read use cases for MED, for the fraud team only (med.manage_infractions, as the services): lists
and single rows for REST and gRPC, and the due queues the admin, the staff home page and /metrics share."""

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from common.selectors import filter_choice
from dict_rules.errors import BadRequest, NotFound
from dict_rules.med import FRAUD_MARKER_STATUSES, REFUND_ROLES, REFUND_STATUSES, REPORT_STATUSES
from med import domain
from med.access import require_fraud_team
from med.models import FAILED, PENDING, REPORT_ROLES, FraudMarker, InfractionReport, Refund


def report_list(*, user: AbstractBaseUser, role: str | None = None, status: str | None = None) -> QuerySet:
    require_fraud_team(user)
    qs = InfractionReport.objects.all()
    if role := filter_choice(role, REPORT_ROLES, field="role"):
        qs = qs.filter(role=role)
    if status := filter_choice(status, (PENDING, *REPORT_STATUSES, FAILED), field="status"):
        qs = qs.filter(status=status)
    return qs


def refund_list(*, user: AbstractBaseUser, role: str | None = None, status: str | None = None) -> QuerySet:
    require_fraud_team(user)
    qs = Refund.objects.all()
    if role := filter_choice(role, REFUND_ROLES, field="role"):
        qs = qs.filter(role=role)
    if status := filter_choice(status, (PENDING, *REFUND_STATUSES, FAILED), field="status"):
        qs = qs.filter(status=status)
    return qs


def marker_list(*, user: AbstractBaseUser, role: str | None = None, status: str | None = None) -> QuerySet:
    """Our fraud markers; they have no side, so a ``role`` (the lists' shared gRPC request has one) is refused."""
    require_fraud_team(user)
    if role:
        raise BadRequest.on_field("role", "fraud markers have no role.")
    qs = FraudMarker.objects.all()
    if status := filter_choice(status, (PENDING, *FRAUD_MARKER_STATUSES, FAILED), field="status"):
        qs = qs.filter(status=status)
    return qs


def _get(qs: QuerySet, row_id: UUID, not_found: str) -> InfractionReport | Refund | FraudMarker:
    row = qs.filter(pk=row_id).first()
    if row is None:
        raise NotFound(not_found)
    return row


def report_get(*, user: AbstractBaseUser, report_id: UUID) -> InfractionReport:
    return _get(report_list(user=user), report_id, domain.REPORT_NOT_FOUND)


def refund_get(*, user: AbstractBaseUser, refund_id: UUID) -> Refund:
    return _get(refund_list(user=user), refund_id, domain.REFUND_NOT_FOUND)


def marker_get(*, user: AbstractBaseUser, marker_id: UUID) -> FraudMarker:
    return _get(marker_list(user=user), marker_id, domain.MARKER_NOT_FOUND)


# --- the due queues (admin filters, staff home page, /metrics) --------------------------------------


def reports_to_analyse(qs: QuerySet | None = None) -> QuerySet:
    """Reports on our customers' transactions we have not closed yet, the nearest 7-day end first."""
    qs = InfractionReport.objects.all() if qs is None else qs
    return qs.filter(role="COUNTERPARTY", status__in=domain.REPORT_LIVE).order_by("analysis_deadline", "id")


def reports_analysis_overdue(qs: QuerySet | None = None, *, now: datetime) -> QuerySet:
    """Of those, the ones whose 7 days have ended."""
    return reports_to_analyse(qs).filter(analysis_deadline__lte=now)


def reports_analysis_due(qs: QuerySet | None = None, *, now: datetime) -> QuerySet:
    """Of those, the ones whose 7 days end within ANALYSIS_DUE_WARNING (the sweep flags these and the overdue)."""
    return reports_to_analyse(qs).filter(
        analysis_deadline__gt=now, analysis_deadline__lte=now + domain.ANALYSIS_DUE_WARNING
    )


def refunds_to_answer(qs: QuerySet | None = None) -> QuerySet:
    """Refunds asked of us that are still OPEN, oldest first."""
    qs = Refund.objects.all() if qs is None else qs
    return qs.filter(role="CONTESTED", status="OPEN").order_by("dict_created_at", "id")


def refund_taken() -> Q:
    """A FRAUD refund of ours on a transaction that is asked for, open or answered (not refused or withdrawn):
    the one an AGREED report awaits (an OPERATIONAL_FLAW refund on the same transaction is not it)."""
    return Q(role="REQUESTING", reason="FRAUD", status__in=(PENDING, "OPEN", "CLOSED"))


def reports_awaiting_refund(qs: QuerySet | None = None) -> QuerySet:
    """Our reports DICT closed AGREED with no refund asked for yet, the nearest 72 h end first."""
    qs = InfractionReport.objects.all() if qs is None else qs
    refunds = Refund.objects.filter(refund_taken(), transaction_id=OuterRef("transaction_id"))
    agreed = qs.filter(role="REPORTER", status="CLOSED", analysis_result="AGREED")
    return agreed.filter(~Exists(refunds)).order_by("refund_deadline", "id")


def reports_refund_window_open(qs: QuerySet | None = None, *, now: datetime) -> QuerySet:
    """Our AGREED reports awaiting their refund whose 72 h still run."""
    return reports_awaiting_refund(qs).filter(refund_deadline__gt=now)


def due_counts(*, now: datetime) -> dict[str, int]:
    """What the fraud team must do, by queue (the staff home page, the admin's queues and /metrics count alike)."""
    return {
        "analysis_overdue": reports_analysis_overdue(now=now).count(),
        "analysis_due": reports_analysis_due(now=now).count(),
        "refunds_to_answer": refunds_to_answer().count(),
        "awaiting_refund": reports_refund_window_open(now=now).count(),
    }
