"""The simulated directory's refund requests (DICT_RULES §8, MAN §17; rules in dict_rules.med_rules).

The debited participant of a settled transaction asks (REQUESTING), the credited one answers
(CONTESTED). Neither party: NotFound; the other party's operation: Forbidden. An accepted close
records the refund's pacs.004 in the ledger (dictsim.spi.record_refund), which is what later
refunds of the transaction are measured against. A PARTIALLY_ACCEPTED close records the full amount
requested: the rest the receiver returns later with pacs.004s of its own as funds arrive (DICT_RULES §8),
which are not new refund requests and never reach this table.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from dict_rules.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    RefundAlreadyBeingProcessedForTransaction,
    RefundAlreadyProcessedForTransaction,
    RefundTransactionNotFound,
)
from dict_rules.med import REFUND_ROLES, REFUND_STATUSES, Refund, RefundClose, RefundPage, RefundRequest
from dict_rules.med_rules import (
    REFUND,
    Party,
    check_refund_amount,
    check_refund_basis,
    check_refund_cancel,
    check_refund_close,
    check_refund_transaction,
    validate_refund_request,
)
from dictsim import clock, listing, spi
from dictsim.models import DirInfractionReport, DirRefund, DirTransaction

# The report a refund of each reason rests on (dict_rules.med_rules.check_refund_basis).
REPORT_REASON = {"FRAUD": "REFUND_REQUEST", "REFUND_CANCELLED": "REFUND_CANCELLED"}


def to_port(refund: DirRefund) -> Refund:
    return Refund(
        id=refund.id,
        transaction_id=refund.transaction_id,
        reason=refund.reason,
        amount=refund.amount,
        details=refund.details,
        status=refund.status,
        requesting_participant=refund.requesting_participant,
        contested_participant=refund.contested_participant,
        created_at=refund.created_at,
        last_modified=refund.last_modified,
        infraction_report_id=refund.infraction_report_id,
        analysis_result=refund.analysis_result,
        analysis_details=refund.analysis_details,
        rejection_reason=refund.rejection_reason,
        refund_transaction_id=refund.refund_transaction_id,
    )


def refund_create(*, participant: str, request: RefundRequest) -> Refund:
    """createRefund: one OPEN request per transaction, none after one was totally accepted."""
    validate_refund_request(request)
    try:
        with transaction.atomic():
            return _create(participant, request)
    except IntegrityError:  # a concurrent create won the partial unique index
        raise RefundAlreadyBeingProcessedForTransaction() from None


def _create(participant: str, request: RefundRequest) -> Refund:
    tx = DirTransaction.objects.select_for_update().filter(id=request.transaction_id).first()
    if tx is None:
        raise RefundTransactionNotFound()
    if tx.payer_participant != participant:
        raise Forbidden("only the debited participant of the transaction may request its refund.")
    now = clock.now()
    check_refund_transaction(reason=request.reason, kind=tx.kind, settled=tx.settled, settled_at=tx.settled_at, now=now)
    earlier = list(DirRefund.objects.filter(transaction=tx).values_list("status", "analysis_result"))
    if any(status == "OPEN" for status, _ in earlier):
        raise RefundAlreadyBeingProcessedForTransaction()
    if ("CLOSED", "TOTALLY_ACCEPTED") in earlier:
        raise RefundAlreadyProcessedForTransaction()
    report = None
    if request.reason in REPORT_REASON:
        report = (
            DirInfractionReport.objects.filter(
                transaction=tx, reason=REPORT_REASON[request.reason], status="CLOSED", analysis_result="AGREED"
            )
            .order_by("-closed_at")
            .first()
        )
    check_refund_basis(
        reason=request.reason,
        agreed_closed_at=report.closed_at if report is not None else None,
        follow_up=any(status == "CLOSED" for status, _ in earlier),
        now=now,
    )
    refunded = tx.refunds.filter(kind=REFUND, settled=True).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    check_refund_amount(amount=request.amount, transaction_amount=tx.amount, refunded=refunded)
    refund = DirRefund.objects.create(
        transaction=tx,
        reason=request.reason,
        amount=request.amount,
        details=request.details,
        status="OPEN",
        requesting_participant=participant,
        contested_participant=tx.receiver_participant,
        created_at=now,
        last_modified=now,
        infraction_report=report,
    )
    return to_port(refund)


def _visible(participant: str, refund_id: uuid.UUID, *, lock: bool = False) -> tuple[DirRefund, Party]:
    rows = DirRefund.objects.select_for_update() if lock else DirRefund.objects
    refund = rows.filter(id=refund_id).first()
    if refund is not None and refund.requesting_participant == participant:
        return refund, Party.REQUESTING
    if refund is not None and refund.contested_participant == participant:
        return refund, Party.CONTESTED
    raise NotFound("no refund request with this id for this participant.")


def refund_get(*, participant: str, refund_id: uuid.UUID) -> Refund:
    return to_port(_visible(participant, refund_id)[0])


@transaction.atomic
def refund_cancel(*, participant: str, refund_id: uuid.UUID) -> Refund:
    refund, party = _visible(participant, refund_id, lock=True)
    if check_refund_cancel(status=refund.status, party=party):
        refund.status, refund.last_modified = "CANCELLED", clock.now()
        refund.save(update_fields=["status", "last_modified"])
    return to_port(refund)


@transaction.atomic
def refund_close(*, participant: str, refund_id: uuid.UUID, close: RefundClose) -> Refund:
    """The contested participant's answer; an accepted one records the returned money in the ledger."""
    refund, party = _visible(participant, refund_id, lock=True)
    closed_with = RefundClose(
        result=refund.analysis_result,
        refund_transaction_id=refund.refund_transaction_id,
        rejection_reason=refund.rejection_reason,
        details=refund.analysis_details,
    )
    if not check_refund_close(
        reason=refund.reason,
        status=refund.status,
        party=party,
        close=close,
        closed_with=closed_with if refund.status == "CLOSED" else None,
    ):
        return to_port(refund)
    now = clock.now()
    if close.result != "REJECTED":
        # The close carries no amount: the ledger records the amount requested (the simulation's choice).
        spi.record_refund(
            original=refund.transaction,
            refund_transaction_id=close.refund_transaction_id,
            amount=refund.amount,
            now=now,
        )
    refund.status, refund.last_modified = "CLOSED", now
    refund.analysis_result, refund.analysis_details = close.result, close.details
    refund.rejection_reason, refund.refund_transaction_id = close.rejection_reason, close.refund_transaction_id
    refund.save()
    return to_port(refund)


def refund_list(
    *,
    participant: str,
    role: str = "",
    statuses: tuple[str, ...] = (),
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    limit: int = listing.LIST_DEFAULT,
) -> RefundPage:
    """listRefunds: where the caller is REQUESTING or CONTESTED (empty role: both)."""
    if role and role not in REFUND_ROLES:
        raise BadRequest.on_field("role", f"role must be one of {', '.join(REFUND_ROLES)}.")
    rows = DirRefund.objects.none()
    if role in ("", "REQUESTING"):
        rows |= DirRefund.objects.filter(requesting_participant=participant)
    if role in ("", "CONTESTED"):
        rows |= DirRefund.objects.filter(contested_participant=participant)
    found, more = listing.page(
        rows,
        statuses=statuses,
        known_statuses=REFUND_STATUSES,
        modified_after=modified_after,
        modified_before=modified_before,
        limit=limit,
    )
    return RefundPage(refunds=[to_port(refund) for refund in found], has_more=more)
