"""Our side of MED (DICT_RULES §8): infraction reports, refunds and fraud markers, for the fraud team.

Every use case needs ``med.manage_infractions`` (the fraud team's role, whatever the edge: REST, gRPC,
the admin). A call to DICT follows the house rule: (1) under the row's lock, the local rule is checked
on the row as last committed and the call is committed as the row's ``intent`` (a create is a new
PENDING row holding the caller's request id); (2) DICT is asked with no transaction open; (3) DICT's
answer is stored in a short transaction under the row lock, the intent cleared, and an event recorded
for each status the row reaches. A DICT refusal clears the intent (a refused create leaves the row
FAILED with DICT's code, so the same request id gets the same answer); a first call that never left
this process (DirectoryNotAsked) is undone; an outage, and DICT's RateLimited (its 429: "try again",
not an answer), leave the intent for ``med_redrive``. The re-drive never undoes (an earlier attempt's
outcome is unknown there): it finds a create DICT did take by listing our side's reports or refunds
(createInfractionReport and createRefund take no request id, so asking again could open a second one),
creates a marker again with its request id (DICT's idempotency key), and asks any other action again,
storing DICT's state if DICT refuses it (it was done). A caller's retry meeting an intent in flight is
503 with Retry-After; meeting one older than any call lasts, it re-drives it at once, claimed as the
sweep claims it. The poll (``med_poll``, under a lease, within a time budget) stores what DICT changed
and acknowledges every incoming report still OPEN; the sweep (``med_sweep``) flags deadlines with
``SELECT ... FOR UPDATE SKIP LOCKED``, so two sweeps never flag one row twice.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Holder
from audit.services import pii_views_record
from common.admin_helpers import PiiScreen
from common.leases import lease
from connect.client import get_client
from connect.ports import DirectoryNotAsked
from dict_rules import med_rules
from dict_rules.errors import (
    ERRORS_BY_CODE,
    DomainError,
    FraudMarkerInvalid,
    InfractionReportInvalid,
    InfractionReportOperationInvalid,
    NotFound,
    RateLimited,
    RefundInvalid,
    RefundOperationInvalid,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.keys import key_spellings
from dict_rules.med import (
    ContactInformation,
    FraudMarkerRequest,
    InfractionReportRequest,
    RefundClose,
    RefundRequest,
)
from dict_rules.med import FraudMarker as RemoteMarker
from dict_rules.med import InfractionReport as RemoteReport
from dict_rules.med import Refund as RemoteRefund
from dict_rules.med_rules import Party
from events.services import event_record
from events.types import FraudMarkerEvent, InfractionReportEvent, RefundEvent
from keys.models import LIVE, Entry
from med import domain
from med.access import require_fraud_team
from med.models import (
    FAILED,
    PENDING,
    FraudMarker,
    InfractionReport,
    Intent,
    MedRow,
    PollCursor,
    Refund,
)
from med.selectors import reports_awaiting_refund

logger = logging.getLogger(__name__)

POLL_PAGE = 200
POLL_LEASE = "med:poll-lease"
POLL_LEASE_TTL = timedelta(minutes=5)
# The poll stops paging this long before its lease expires, so a second poll never runs beside it.
POLL_TIME_BUDGET = POLL_LEASE_TTL - timedelta(minutes=1)
# An intent older than this is one whose call died with its process: the re-drive finishes it. Far
# longer than a directory call may last (the gRPC adapter's deadline budget).
INTENT_STALE_AFTER = timedelta(minutes=2)
# Beyond the Connect call's own budget, what a caller's retry allows for the commits around the call before it
# takes the intent for dead (_stale_for_a_caller).
CALL_MARGIN = timedelta(seconds=3)
# Retry-After (seconds) of "an earlier call is still waiting for DICT": the call in flight ends within its budget.
STILL_WAITING_RETRY_AFTER = 1
EARLIER_CREATE = "call with this request_id"
# How far before an intent the re-drive looks in DICT's lists for the create it may have taken.
CLOCK_SLACK = timedelta(minutes=5)


# "Try again" from DICT: no answer (an outage, a timeout) or its rate limit; the intent stays for the re-drive.
RETRY_LATER = (ServiceUnavailable, RateLimited)


# --- the events -----------------------------------------------------------------


def _payload(row: MedRow, event: StrEnum) -> dict[str, str]:
    """The event's declared fields (events.types): our side and DICT's enum names, never PII or free text."""
    if isinstance(row, FraudMarker):
        return {"status": row.status, "fraud_type": row.fraud_type}
    payload = {"status": row.status, "role": row.role}
    if event in (InfractionReportEvent.OPENED, InfractionReportEvent.RECEIVED):
        payload |= {"reason": row.reason, "situation_type": row.situation_type}
    elif event is InfractionReportEvent.UPDATED:
        payload["situation_type"] = row.situation_type
    elif event is InfractionReportEvent.CLOSED:
        payload["analysis_result"] = row.analysis_result
        if row.fraud_type:
            payload["fraud_type"] = row.fraud_type
    elif event in (RefundEvent.REQUESTED, RefundEvent.RECEIVED):
        payload["reason"] = row.reason
    elif event is RefundEvent.CLOSED:
        payload["result"] = row.analysis_result
        if row.rejection_reason:
            payload["rejection_reason"] = row.rejection_reason
    return payload


def record_event(row: MedRow, event: StrEnum, actor: AbstractBaseUser | None = None, **extra: str) -> None:
    event_record(event_type=event, aggregate_id=row.pk, actor=actor, payload=_payload(row, event) | extra)


# --- the LGPD trail of what the fraud team sees -----------------------------------------------------


def pii_shown_record(*, user: AbstractBaseUser, rows: Sequence[MedRow], screen: PiiScreen) -> None:
    """Every API answer carrying MED rows shows their PII in clear (contacts, free text, a marker's tax id and
    key; the fraud team works the case with them), so it records them in the audit trail the admin writes:
    one row per user, object and day (a page of a list records each row on it, as the admin's changelist
    does), in one INSERT. Fails closed: a trail that cannot be written fails the answer (503), never sends
    PII unrecorded."""
    if rows:
        pii_views_record(user=user, model=type(rows[0]), object_ids=[row.pk for row in rows], screen=screen)


# --- DICT's fields as ours ------------------------------------------------------------------------


def _report_fields(remote: RemoteReport) -> dict[str, Any]:
    return {
        "dict_id": remote.id,
        "status": remote.status,
        "transaction_id": remote.transaction_id,
        "reason": remote.reason,
        "situation_type": remote.situation_type,
        "contact_email": remote.contact.email,
        "contact_phone": remote.contact.phone,
        "report_details": remote.report_details,
        "reporter_participant": remote.reporter_participant,
        "counterparty_participant": remote.counterparty_participant,
        "analysis_result": remote.analysis_result,
        "analysis_details": remote.analysis_details,
        "fraud_type": remote.fraud_type,
        "fraud_marker_dict_id": remote.fraud_marker_id,
        "dict_created_at": remote.created_at,
        "last_modified": remote.last_modified,
        "analysis_deadline": domain.analysis_deadline(remote.created_at),
    }


def _refund_fields(remote: RemoteRefund) -> dict[str, Any]:
    return {
        "dict_id": remote.id,
        "status": remote.status,
        "transaction_id": remote.transaction_id,
        "reason": remote.reason,
        "amount": remote.amount,
        "details": remote.details,
        "infraction_report_dict_id": remote.infraction_report_id,
        "requesting_participant": remote.requesting_participant,
        "contested_participant": remote.contested_participant,
        "analysis_result": remote.analysis_result,
        "analysis_details": remote.analysis_details,
        "rejection_reason": remote.rejection_reason,
        "refund_transaction_id": remote.refund_transaction_id,
        "dict_created_at": remote.created_at,
        "last_modified": remote.last_modified,
    }


def _marker_fields(remote: RemoteMarker) -> dict[str, Any]:
    return {
        "dict_id": remote.id,
        "status": remote.status,
        "fraud_type": remote.fraud_type,
        "dict_created_at": remote.created_at,
        "last_modified": remote.last_modified,
    }


@dataclass(frozen=True)
class _Kind:
    """What differs between the three MED objects in the shared steps below."""

    model: type[MedRow]
    fields: Callable[[Any], dict[str, Any]]
    reached: dict[str, StrEnum]  # the event each status reached records
    refused: StrEnum
    not_found: str
    not_at_dict: type[DomainError]  # the refusal of an action on a row DICT never took
    received: StrEnum | None = None  # the event of a row the poll inserts on the other side


REPORTS = _Kind(
    InfractionReport,
    _report_fields,
    {
        "OPEN": InfractionReportEvent.OPENED,
        "ACKNOWLEDGED": InfractionReportEvent.ACKNOWLEDGED,
        "CLOSED": InfractionReportEvent.CLOSED,
        "CANCELLED": InfractionReportEvent.CANCELLED,
    },
    InfractionReportEvent.ACTION_REFUSED,
    domain.REPORT_NOT_FOUND,
    InfractionReportOperationInvalid,
    InfractionReportEvent.RECEIVED,
)
REFUNDS = _Kind(
    Refund,
    _refund_fields,
    {"OPEN": RefundEvent.REQUESTED, "CLOSED": RefundEvent.CLOSED, "CANCELLED": RefundEvent.CANCELLED},
    RefundEvent.ACTION_REFUSED,
    domain.REFUND_NOT_FOUND,
    RefundOperationInvalid,
    RefundEvent.RECEIVED,
)
MARKERS = _Kind(
    FraudMarker,
    _marker_fields,
    {"REGISTERED": FraudMarkerEvent.CREATED, "CANCELLED": FraudMarkerEvent.CANCELLED},
    FraudMarkerEvent.ACTION_REFUSED,
    domain.MARKER_NOT_FOUND,
    FraudMarkerInvalid,
)
KINDS: dict[type[MedRow], _Kind] = {kind.model: kind for kind in (REPORTS, REFUNDS, MARKERS)}


def _apply(row: MedRow, remote: Any, actor: AbstractBaseUser | None = None) -> bool:
    """Store DICT's state on the locked row unless the row holds a later one; record the status reached.
    Whether it was stored (False: an older answer, ignored and nothing saved)."""
    if row.last_modified is not None and remote.last_modified < row.last_modified:
        return False
    kind = KINDS[type(row)]
    before = row.status
    for name, value in kind.fields(remote).items():
        setattr(row, name, value)
    if isinstance(row, InfractionReport):
        if row.status == "CLOSED" and row.closed_at is None:
            row.closed_at = remote.last_modified  # nothing but a cancel changes a closed report at DICT
        row.refund_deadline = domain.refund_deadline(analysis_result=row.analysis_result, closed_at=row.closed_at)
    row.save()
    event = kind.reached.get(row.status)
    if row.status != before and event is not None:
        record_event(row, event, actor)
    return True


def _lock(model: type[MedRow], row_id: UUID) -> MedRow:
    return model.objects.select_for_update(of=("self",)).get(pk=row_id)


def _clear_intent(row: MedRow) -> None:
    row.intent, row.intent_args, row.intent_at = "", {}, None


def _store(row: MedRow, remote: Any, actor: AbstractBaseUser | None, *, also: StrEnum | None = None) -> MedRow:
    """Step 3: DICT's answer on the row, in a short transaction under its lock; the intent is done."""
    with transaction.atomic():
        row = _lock(type(row), row.pk)
        if row.dict_id is None:
            row.dict_id = remote.id
        _clear_intent(row)
        if not _apply(row, remote, actor):
            row.save()  # an older answer than the row's: only the intent is done
        elif also is not None:
            record_event(row, also, actor)
    return row


def _refused(row: MedRow, refusal: DomainError, actor: AbstractBaseUser | None) -> None:
    """DICT said no: the intent is cleared, a create's row left FAILED with the code (its request id's answer)."""
    with transaction.atomic():
        row = _lock(type(row), row.pk)
        action = row.intent or Intent.CREATE
        if row.status == PENDING:
            row.status, row.failure_code = FAILED, refusal.code
        _clear_intent(row)
        row.save()
        record_event(row, KINDS[type(row)].refused, actor, action=str(action), code=refusal.code)


def _undo(row: MedRow) -> None:
    """A first call never left this process: a create's row goes (its request id is free), an action's
    intent too. Never for a re-drive, whose earlier attempt DICT may have taken."""
    with transaction.atomic():
        row = _lock(type(row), row.pk)
        if row.status == PENDING:
            row.delete()
            return
        _clear_intent(row)
        row.save()


def _ask(
    row: MedRow,
    call: Callable[[], Any],
    actor: AbstractBaseUser | None,
    *,
    also: StrEnum | None = None,
    redrive: bool = False,
) -> MedRow:
    """Steps 2 and 3: DICT is asked with no transaction open, then its answer or refusal is stored.
    ``redrive``: the intent may have reached DICT before, so a call not asked keeps it too."""
    try:
        remote = call()
    except DirectoryNotAsked:
        if not redrive:
            _undo(row)
        raise
    except RETRY_LATER as retry:
        logger.warning(
            "MED %s %s (%s): DICT said %s; the re-drive finishes it",
            row._meta.model_name,
            row.pk,
            row.intent,
            retry.code,
        )
        raise
    except DomainError as refusal:
        _refused(row, refusal, actor)
        raise
    return _store(row, remote, actor, also=also)


def _still_waiting(what: str) -> ServiceUnavailable:
    """A caller's retry while the earlier call is in flight: 503 with Retry-After, answered well within its budget."""
    return ServiceUnavailable(
        f"an earlier {what} is still waiting for DICT; try again shortly.", retry_after=STILL_WAITING_RETRY_AFTER
    )


def _stale_for_a_caller(row: MedRow) -> bool:
    """Whether no call of the row's intent can still be waiting for DICT: older than the Connect call's whole
    budget (CONNECT_DEADLINE_SEC, and the bulkhead's wait for a slot) and CALL_MARGIN. Then its call died with
    its process, or DICT said "try again" (an outage, its 429) and the intent was kept: a caller's retry finishes
    it at once (_redrive_now) instead of being told to wait for the sweep's re-drive (INTENT_STALE_AFTER).

    The in-process adapter has no deadline of its own; the same budget is taken for it (the stricter reading:
    it is far longer than an in-process call lasts). A create asked twice is still one at DICT: a report's
    transaction takes one report in progress, and the re-drive looks for a report or refund DICT took first.
    """
    budget = timedelta(seconds=settings.CONNECT_DEADLINE_SEC + settings.CONNECT_BULKHEAD_WAIT_SEC) + CALL_MARGIN
    return row.intent_at is not None and row.intent_at <= timezone.now() - budget


def _redrive_now(row: MedRow, what: str) -> None:
    """Finish a stale intent for a caller's retry, claimed with the sweep's conditional UPDATE (_claim_stale), so
    only one process asks DICT; one that loses the claim is told to wait. Its "try again" reaches the caller
    (503 / 429), the intent kept; a refused create raises DICT's refusal, as the first call would have."""
    now = timezone.now()
    if not _claim_stale(row, now):
        raise _still_waiting(what)
    row.intent_at = now
    _redrive_one(row)


ArgsOf = Callable[[MedRow], dict[str, Any]]


def _intend(
    kind: _Kind, row_id: UUID, intent: Intent, check: Callable[[MedRow], bool], args_of: ArgsOf
) -> tuple[MedRow, bool]:
    """Step 1 of an action: the rule on the row as last committed, and the intent with its arguments
    (``args_of`` the locked row), under its lock.

    ``check`` raises DICT's refusal, or answers False for a repeat of what is already so (the rules of
    dict_rules.med_rules): then nothing is asked and the row is the answer (the second value is False).
    An earlier intent still in flight is 503 with Retry-After; a stale one is finished first (outside the
    lock), then this action is tried on the row as that left it.
    """
    row, go = _intend_locked(kind, row_id, intent, check, args_of, redrive_stale=True)
    if go is None:
        _redrive_now(row, f"{row.intent} of this row")
        row, go = _intend_locked(kind, row_id, intent, check, args_of, redrive_stale=False)
    return row, go


def _intend_locked(
    kind: _Kind, row_id: UUID, intent: Intent, check: Callable[[MedRow], bool], args_of: ArgsOf, *, redrive_stale: bool
) -> tuple[MedRow, bool | None]:
    """_intend's transaction: (row, whether to ask); None (when ``redrive_stale``) for a row holding a stale
    intent, left as it is."""
    with transaction.atomic():
        row = kind.model.objects.select_for_update(of=("self",)).filter(pk=row_id).first()
        if row is None:
            raise NotFound(kind.not_found)
        if row.intent:
            if redrive_stale and _stale_for_a_caller(row):
                return row, None
            raise _still_waiting(f"{row.intent} of this row")
        if row.dict_id is None:  # DICT refused its create: there is nothing at DICT to act on
            raise kind.not_at_dict(f"DICT refused this row's create ({row.failure_code}); nothing to act on.")
        if not check(row):
            return row, False
        row.intent, row.intent_args, row.intent_at = intent, args_of(row), timezone.now()
        row.save(update_fields=["intent", "intent_args", "intent_at", "updated_at"])
    return row, True


def _act(
    kind: _Kind,
    row_id: UUID,
    intent: Intent,
    check: Callable[[MedRow], bool],
    call: Callable[[MedRow, str, dict[str, Any]], Any],
    actor: AbstractBaseUser | None,
    *,
    also: StrEnum | None = None,
    args_of: ArgsOf | None = None,
    **args: Any,
) -> MedRow:
    """One action on a row: the intent, then ``call(row, intent, args)`` at DICT, then its answer. The arguments
    are ``args``, or ``args_of`` the locked row (a partial update completed from it)."""
    row, go = _intend(kind, row_id, intent, check, args_of or (lambda row: args))
    if not go:
        return row
    return _ask(row, lambda: call(row, intent, row.intent_args), actor, also=also)


def _start(
    kind: _Kind, *, user: AbstractBaseUser, request_id: UUID, data: dict[str, Any], **extra: Any
) -> tuple[MedRow, bool]:
    """Step 1 of a create: a replay of ``request_id`` is answered as the first call was (the row, or
    DICT's refusal), its reuse with other ``data`` refused; else a PENDING row holds it with the intent
    (and ``extra``, columns of ours that are not the caller's data). A replay meeting the first call
    still in flight is 503 with Retry-After; one meeting it stale finishes it now (_redrive_now)."""
    with transaction.atomic():
        earlier = kind.model.objects.select_for_update(of=("self",)).filter(request_id=request_id).first()
        if earlier is None:
            try:
                with transaction.atomic():
                    row = kind.model.objects.create(
                        **data,
                        **extra,
                        request_id=request_id,
                        requested_by=user,
                        status=PENDING,
                        intent=Intent.CREATE,
                        intent_at=timezone.now(),
                    )
            except IntegrityError:  # a concurrent call with the same request id
                raise _still_waiting(EARLIER_CREATE) from None
            return row, False
        if any(getattr(earlier, name) != value for name, value in data.items()):
            raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was already used with other data.")
        if earlier.status == FAILED:
            raise ERRORS_BY_CODE.get(earlier.failure_code, DomainError)()
        if earlier.status != PENDING:
            return earlier, True
        if not _stale_for_a_caller(earlier):
            raise _still_waiting(EARLIER_CREATE)
    _redrive_now(earlier, EARLIER_CREATE)
    return kind.model.objects.get(pk=earlier.pk), True


# --- infraction reports -----------------------------------------------------------------------------


def _report_request(row: InfractionReport) -> InfractionReportRequest:
    return InfractionReportRequest(
        transaction_id=row.transaction_id,
        reason=row.reason,
        situation_type=row.situation_type,
        contact=ContactInformation(email=row.contact_email, phone=row.contact_phone),
        report_details=row.report_details,
    )


def report_open(
    *,
    user: AbstractBaseUser,
    transaction_id: str,
    situation_type: str,
    request_id: UUID,
    email: str = "",
    phone: str = "",
    report_details: str = "",
    reason: str = "REFUND_REQUEST",
) -> tuple[InfractionReport, bool]:
    """As the payer's PSP: report a transaction our customer paid (REFUND_REQUEST); returns it and whether
    it was a replay. DICT checks the settlement, the 80 days and that no other report is in progress."""
    require_fraud_team(user)
    domain.check_report_reason(reason)
    domain.check_our_transaction(transaction_id, ispb=settings.DICT_ISPB, error=InfractionReportInvalid)
    contact = ContactInformation(email=email, phone=phone)
    med_rules.validate_report_request(
        InfractionReportRequest(transaction_id, reason, situation_type, contact, report_details)
    )
    data = {
        "role": "REPORTER",
        "transaction_id": transaction_id,
        "reason": reason,
        "situation_type": situation_type,
        "contact_email": email,
        "contact_phone": phone,
        "report_details": report_details,
    }
    row, replayed = _start(REPORTS, user=user, request_id=request_id, data=data)
    if replayed:
        return row, True
    return _ask(row, lambda: get_client().create_infraction_report(_report_request(row)), user), False


def report_update(
    *,
    user: AbstractBaseUser,
    report_id: UUID,
    situation_type: str = "",
    email: str = "",
    phone: str = "",
    report_details: str = "",
) -> InfractionReport:
    """The reporter corrects the situation, contact or details while the report is OPEN or ACKNOWLEDGED.

    Partial (domain.report_update_merged): an empty field is one not sent and keeps the report's value, at
    least one is sent. Our side of the row is checked before the body; the body merged with the row as last
    committed is validated whole and is the intent's arguments, since DICT's update replaces all four."""
    require_fraud_team(user)
    sent = {"situation_type": situation_type, "email": email, "phone": phone, "report_details": report_details}

    def merged(row: InfractionReport) -> dict[str, str]:
        stored = {
            "situation_type": row.situation_type,
            "email": row.contact_email,
            "phone": row.contact_phone,
            "report_details": row.report_details,
        }
        return domain.report_update_merged(sent=sent, stored=stored)

    def check(row: InfractionReport) -> bool:
        domain.check_report_part("update", role=row.role)
        med_rules.check_report_update(status=row.status, party=Party(row.role))
        update = merged(row)
        med_rules.validate_report_details(
            reason=row.reason, situation_type=update["situation_type"], report_details=update["report_details"]
        )
        med_rules.validate_contact(ContactInformation(email=update["email"], phone=update["phone"]))
        return True

    also = InfractionReportEvent.UPDATED
    return _act(REPORTS, report_id, Intent.UPDATE, check, _report_call, user, also=also, args_of=merged)


def report_cancel(*, user: AbstractBaseUser, report_id: UUID) -> InfractionReport:
    """The reporter withdraws its report, closed or not (DICT then cancels the marker an AGREED close made)."""
    require_fraud_team(user)

    def check(row: InfractionReport) -> bool:
        domain.check_report_part("cancel", role=row.role)
        return med_rules.check_report_cancel(status=row.status, party=Party(row.role))

    return _act(REPORTS, report_id, Intent.CANCEL, check, _report_call, user)


def report_acknowledge(*, user: AbstractBaseUser | None, report_id: UUID) -> InfractionReport:
    """As the receiver's PSP: say we have the report (the poll does it at once; user None is the poll)."""
    if user is not None:
        require_fraud_team(user)

    def check(row: InfractionReport) -> bool:
        domain.check_report_part("acknowledge", role=row.role)
        return med_rules.check_report_acknowledge(status=row.status, party=Party(row.role))

    return _act(REPORTS, report_id, Intent.ACKNOWLEDGE, check, _report_call, user)


def report_close(
    *, user: AbstractBaseUser, report_id: UUID, analysis_result: str, fraud_type: str = "", analysis_details: str = ""
) -> InfractionReport:
    """As the receiver's PSP: our analysis of an ACKNOWLEDGED report, AGREED with a fraud type (DICT marks
    our customer) or DISAGREED with details, within the 7 days."""
    require_fraud_team(user)
    args = {"analysis_result": analysis_result, "fraud_type": fraud_type, "analysis_details": analysis_details}

    def check(row: InfractionReport) -> bool:
        domain.check_report_part("close", role=row.role)
        closed_with = (row.analysis_result, row.fraud_type, row.analysis_details) if row.status == "CLOSED" else None
        repeat = not med_rules.check_report_close(
            status=row.status, party=Party(row.role), closed_with=closed_with, **args
        )
        domain.check_disagreement(analysis_result=analysis_result, analysis_details=analysis_details)
        return not repeat

    return _act(REPORTS, report_id, Intent.CLOSE, check, _report_call, user, **args)


def _report_call(row: InfractionReport, intent: str, args: dict[str, str]) -> RemoteReport:
    """One action on the report at DICT, from its intent and arguments (also what the re-drive asks again)."""
    client = get_client()
    if intent == Intent.UPDATE:
        contact = ContactInformation(email=args["email"], phone=args["phone"])
        return client.update_infraction_report(
            row.dict_id, situation_type=args["situation_type"], report_details=args["report_details"], contact=contact
        )
    if intent == Intent.CANCEL:
        return client.cancel_infraction_report(row.dict_id)
    if intent == Intent.ACKNOWLEDGE:
        return client.acknowledge_infraction_report(row.dict_id)
    return client.close_infraction_report(row.dict_id, **args)


# --- refunds ----------------------------------------------------------------------------------------


def _agreed_report(transaction_id: str) -> InfractionReport | None:
    """Our report about the transaction that DICT closed AGREED (the one a FRAUD refund rests on)."""
    agreed = InfractionReport.objects.filter(
        role="REPORTER", transaction_id=transaction_id, status="CLOSED", analysis_result="AGREED"
    )
    return agreed.order_by("-closed_at").first()


def refund_request(
    *,
    user: AbstractBaseUser,
    transaction_id: str,
    reason: str,
    amount: str,
    request_id: UUID,
    details: str = "",
    now: datetime | None = None,
) -> tuple[Refund, bool]:
    """As the payer's PSP: ask the receiver's PSP for the money back (FRAUD within 72 h of our report's
    AGREED close, or later after a partial or refused one; OPERATIONAL_FLAW with details). ``amount`` is
    DICT's wire decimal ("150.00"). Returns the refund and whether it was a replay."""
    require_fraud_team(user)
    domain.check_refund_reason(reason)
    domain.check_our_transaction(transaction_id, ispb=settings.DICT_ISPB, error=RefundInvalid)
    value = med_rules.amount_from_text(amount, RefundInvalid)
    med_rules.validate_refund_request(RefundRequest(transaction_id, reason, value, details))
    report = None
    if reason == "FRAUD" and not Refund.objects.filter(request_id=request_id).exists():  # a replay was checked
        report = _agreed_report(transaction_id)
        earlier = Refund.objects.filter(role="REQUESTING", transaction_id=transaction_id, status="CLOSED")
        med_rules.check_refund_basis(
            reason=reason,
            agreed_closed_at=report.closed_at if report is not None else None,
            follow_up=earlier.exists(),
            now=now or timezone.now(),
        )
    data = {
        "role": "REQUESTING",
        "transaction_id": transaction_id,
        "reason": reason,
        "amount": value,
        "details": details,
    }
    row, replayed = _start(REFUNDS, user=user, request_id=request_id, data=data, infraction_report=report)
    if replayed:
        return row, True
    return _ask(row, lambda: get_client().create_refund(_refund_request(row)), user), False


def _refund_request(row: Refund) -> RefundRequest:
    return RefundRequest(transaction_id=row.transaction_id, reason=row.reason, amount=row.amount, details=row.details)


def refund_cancel(*, user: AbstractBaseUser, refund_id: UUID) -> Refund:
    """The requester withdraws an OPEN refund."""
    require_fraud_team(user)

    def check(row: Refund) -> bool:
        domain.check_refund_part("cancel", role=row.role)
        return med_rules.check_refund_cancel(status=row.status, party=Party(row.role))

    return _act(REFUNDS, refund_id, Intent.CANCEL, check, _refund_call, user)


def refund_close(
    *,
    user: AbstractBaseUser,
    refund_id: UUID,
    result: str,
    refund_transaction_id: str = "",
    rejection_reason: str = "",
    details: str = "",
) -> Refund:
    """As the receiver's PSP: the money returned (totally or partially, naming the refund's transaction)
    or a rejection with its reason."""
    require_fraud_team(user)
    args = {
        "result": result,
        "refund_transaction_id": refund_transaction_id,
        "rejection_reason": rejection_reason,
        "details": details,
    }

    def check(row: Refund) -> bool:
        domain.check_refund_part("close", role=row.role)
        closed_with = None
        if row.status == "CLOSED":
            closed_with = RefundClose(
                row.analysis_result, row.refund_transaction_id, row.rejection_reason, row.analysis_details
            )
        party = Party(row.role)
        return med_rules.check_refund_close(
            reason=row.reason, status=row.status, party=party, close=RefundClose(**args), closed_with=closed_with
        )

    return _act(REFUNDS, refund_id, Intent.CLOSE, check, _refund_call, user, **args)


def _refund_call(row: Refund, intent: str, args: dict[str, str]) -> RemoteRefund:
    client = get_client()
    if intent == Intent.CANCEL:
        return client.cancel_refund(row.dict_id)
    return client.close_refund(row.dict_id, close=RefundClose(**args))


# --- fraud markers ----------------------------------------------------------------------------------


def _our_key(holder: Holder, key: str) -> str:
    """The key as stored, if it is a live key of this holder of ours (DICT_RULES §8: we mark our own)."""
    spellings = {key.strip(), *key_spellings(key)}
    stored = Entry.objects.filter(LIVE, account__holder=holder, key_value__in=spellings).values_list(
        "key_value", flat=True
    )
    found = stored.first()
    if found is None:
        raise FraudMarkerInvalid.on_field("key", "the key is not a live key of this customer of ours.")
    return found


def marker_create(
    *, user: AbstractBaseUser, tax_id: str, fraud_type: str, request_id: UUID, key: str = ""
) -> tuple[FraudMarker, bool]:
    """Mark one of our holders (by tax id; a key of theirs when known) as a fraudster at DICT."""
    require_fraud_team(user)
    med_rules.validate_fraud_marker(FraudMarkerRequest(tax_id=tax_id, fraud_type=fraud_type, request_id=request_id))
    holder = Holder.objects.filter(tax_id=tax_id.strip()).first()
    if holder is None:
        raise FraudMarkerInvalid.on_field("tax_id", "the tax id is not one of our customers'.")
    stored_key = _our_key(holder, key) if key else ""
    data = {"holder": holder, "tax_id": holder.tax_id, "fraud_type": fraud_type, "key": stored_key}
    row, replayed = _start(MARKERS, user=user, request_id=request_id, data=data)
    if replayed:
        return row, True
    return _ask(row, lambda: get_client().create_fraud_marker(_marker_request(row)), user), False


def _marker_request(row: FraudMarker) -> FraudMarkerRequest:
    return FraudMarkerRequest(tax_id=row.tax_id, fraud_type=row.fraud_type, request_id=row.request_id, key=row.key)


def _marker_call(row: FraudMarker, intent: str, args: dict[str, Any]) -> RemoteMarker:
    return get_client().cancel_fraud_marker(row.dict_id)


def marker_cancel(*, user: AbstractBaseUser, marker_id: UUID) -> FraudMarker:
    """Withdraw a marker we created."""
    require_fraud_team(user)

    def check(row: FraudMarker) -> bool:
        return med_rules.check_marker_cancel(status=row.status, is_creator=True)

    return _act(MARKERS, marker_id, Intent.CANCEL, check, _marker_call, user)


# --- the re-drive of intents a crash left ---------------------------------------------------------


def _claim_stale(row: MedRow, now: datetime) -> bool:
    """Take the stale intent for this run: one conditional UPDATE, so two re-drives never both ask DICT."""
    taken = type(row).objects.filter(pk=row.pk, intent=row.intent, intent_at=row.intent_at).update(intent_at=now)
    return taken == 1


def _created_at_dict(row: MedRow) -> Any | None:
    """The report or refund DICT opened for this PENDING row, found in our side's list (None: DICT has none)."""
    client, since = get_client(), row.created_at - CLOCK_SLACK
    while True:
        if isinstance(row, InfractionReport):
            page = client.list_infraction_reports(as_reporter=True, as_counterparty=False, modified_after=since)
            items = page.reports
        else:
            page = client.list_refunds(role="REQUESTING", modified_after=since)
            items = page.refunds
        candidates = {remote.id: remote for remote in items if remote.transaction_id == row.transaction_id}
        held = set(type(row).objects.filter(dict_id__in=candidates).values_list("dict_id", flat=True))
        for dict_id, remote in candidates.items():
            if dict_id not in held:
                return remote
        if not page.has_more or not items or items[-1].last_modified == since:
            return None
        since = items[-1].last_modified


def _redrive_one(row: MedRow) -> None:
    """Finish one intent: adopt or repeat a create; ask an action again, storing DICT's state if refused.
    A "try again" (RETRY_LATER, DirectoryNotAsked included) keeps the intent for the next run."""
    client = get_client()
    if row.intent == Intent.CREATE:
        if isinstance(row, FraudMarker):
            _ask(row, lambda: client.create_fraud_marker(_marker_request(row)), None, redrive=True)
            return
        found = _created_at_dict(row)
        if found is not None:
            _store(row, found, None)
            return
        create = client.create_infraction_report if isinstance(row, InfractionReport) else client.create_refund
        request = _report_request(row) if isinstance(row, InfractionReport) else _refund_request(row)
        _ask(row, lambda: create(request), None, redrive=True)
        return
    call, get = {
        InfractionReport: (_report_call, client.get_infraction_report),
        Refund: (_refund_call, client.get_refund),
        FraudMarker: (_marker_call, client.get_fraud_marker),
    }[type(row)]
    also = InfractionReportEvent.UPDATED if row.intent == Intent.UPDATE else None
    try:
        remote = call(row, row.intent, row.intent_args)
    except RETRY_LATER:
        raise
    except DomainError as refusal:  # done before the crash, or refused now: DICT's state is the answer
        logger.warning(
            "re-drive of MED %s %s: DICT refused %s (%s)", row._meta.model_name, row.pk, row.intent, refusal.code
        )
        remote, also = get(row.dict_id), None
    _store(row, remote, None, also=also)


def med_redrive(*, now: datetime | None = None, older_than: timedelta = INTENT_STALE_AFTER) -> Counter:
    """Finish the calls to DICT a crash, a timeout or a rate limit left in flight; a "try again" from DICT
    ends the run (``stopped``), its intent kept for the next one."""
    now = now or timezone.now()
    counts: Counter = Counter()
    for model in KINDS:
        for row in model.objects.exclude(intent="").filter(intent_at__lte=now - older_than).order_by("intent_at"):
            if not _claim_stale(row, now):
                continue
            row.intent_at = now
            try:
                _redrive_one(row)
            except RETRY_LATER as retry:
                logger.warning("directory said %s; the MED re-drive stops until its next run", retry.code)
                counts["stopped"] = 1
                return counts
            except DomainError as refusal:
                logger.warning("re-drive of MED %s %s refused: %s", model._meta.model_name, row.pk, refusal.code)
                counts["refused"] += 1
                continue
            except Exception:
                logger.exception(
                    "could not re-drive MED %s %s; the next run tries again", model._meta.model_name, row.pk
                )
                counts["failed"] += 1
                continue
            counts[f"redriven_{model._meta.model_name}"] += 1
    return counts


# --- the poll ---------------------------------------------------------------------------------------


def _sync(kind: _Kind, remote: Any, role: str, counts: Counter) -> MedRow:
    """Store one object DICT listed: update our row, adopt it into our PENDING create, or insert it. An
    insert that meets a row another poll inserted meanwhile (the unique dict_id and role) reads it again."""
    try:
        with transaction.atomic():
            return _sync_row(kind, remote, role, counts)
    except IntegrityError:
        with transaction.atomic():
            return _sync_row(kind, remote, role, counts)


def _sync_row(kind: _Kind, remote: Any, role: str, counts: Counter) -> MedRow:
    model = kind.model
    row = model.objects.select_for_update(of=("self",)).filter(dict_id=remote.id, role=role).first()
    ours = role in ("REPORTER", "REQUESTING")
    if row is None and ours:  # its create's answer not stored (yet)
        pending = model.objects.select_for_update(of=("self",)).filter(
            role=role, status=PENDING, transaction_id=remote.transaction_id
        )
        row = pending.order_by("created_at").first()
        if row is not None:
            _clear_intent(row)
            counts["adopted"] += 1
    if row is not None:
        _apply(row, remote)  # a PENDING row holds no DICT state yet: always stored
        return row
    row = model(role=role, **kind.fields(remote))
    if isinstance(row, InfractionReport):
        row.closed_at = remote.last_modified if row.status == "CLOSED" else None
        row.refund_deadline = domain.refund_deadline(analysis_result=row.analysis_result, closed_at=row.closed_at)
    row.save()
    record_event(row, kind.reached["OPEN"] if ours else kind.received)  # ours: opened elsewhere, e.g. a lost row
    counts[f"new_{model._meta.model_name}"] += 1
    return row


def _report_role(remote: RemoteReport) -> str:
    return "REPORTER" if remote.reporter_participant == settings.DICT_ISPB else "COUNTERPARTY"


def _refund_role(remote: RemoteRefund) -> str:
    return "REQUESTING" if remote.requesting_participant == settings.DICT_ISPB else "CONTESTED"


def _poll_list(
    name: str,
    kind: _Kind,
    fetch: Callable[[datetime | None], tuple[list, bool]],
    role_of: Callable[[Any], str],
    counts: Counter,
    until: float,
) -> None:
    """Page through one of DICT's lists from its cursor (inclusive windows: an upsert sees the last again),
    up to the monotonic time ``until`` (``out_of_time``: the next poll goes on from the cursor)."""
    window = PollCursor.objects.filter(name=name).values_list("modified_after", flat=True).first()
    while True:
        if time.monotonic() >= until:
            counts["out_of_time"] = 1
            return
        items, has_more = fetch(window)
        for remote in items:
            _sync(kind, remote, role_of(remote), counts)
            counts[f"seen_{name}"] += 1
        if not items or items[-1].last_modified == window:
            return  # nothing newer: a full page of one instant would otherwise loop forever
        window = items[-1].last_modified
        PollCursor.objects.update_or_create(name=name, defaults={"modified_after": window})
        if not has_more:
            return


def _acknowledge_open(counts: Counter, until: float) -> None:
    """Acknowledge every incoming report still OPEN with no call in flight: the ones just listed, and any an
    earlier poll could not (an outage or DICT's rate limit, RETRY_LATER, ends the poll; the next one retries)."""
    waiting = InfractionReport.objects.filter(role="COUNTERPARTY", status="OPEN", intent="").order_by("created_at")
    for report_id in waiting.values_list("pk", flat=True):
        if time.monotonic() >= until:
            counts["out_of_time"] = 1
            return
        try:
            report_acknowledge(user=None, report_id=report_id)
            counts["acknowledged"] += 1
        except RETRY_LATER:
            raise
        except DomainError as refusal:
            counts["refused"] += 1
            logger.warning("acknowledging MED report %s refused: %s", report_id, refusal.code)


def med_poll() -> Counter:
    """Read DICT's reports and refunds changed since our cursors, on both sides, and store them; an
    incoming report still OPEN is acknowledged at once (the manual asks for polling and acknowledging).

    Runs under a lease (one poll at a time: ``skipped`` when another holds it) and stops paging
    POLL_TIME_BUDGET into it, before the lease can expire; a "try again" from DICT ends it (``stopped``)
    with the cursors where they were; a refused acknowledge is recorded on its report.
    """
    counts: Counter = Counter()
    client = get_client()

    def reports(window: datetime | None) -> tuple[list, bool]:
        page = client.list_infraction_reports(
            as_reporter=True, as_counterparty=True, modified_after=window, limit=POLL_PAGE
        )
        return page.reports, page.has_more

    def refunds(window: datetime | None) -> tuple[list, bool]:
        page = client.list_refunds(modified_after=window, limit=POLL_PAGE)
        return page.refunds, page.has_more

    with lease(POLL_LEASE, int(POLL_LEASE_TTL.total_seconds())) as mine:
        if not mine:
            counts["skipped"] = 1
            return counts
        until = time.monotonic() + POLL_TIME_BUDGET.total_seconds()
        try:
            _poll_list("reports", REPORTS, reports, _report_role, counts, until)
            _acknowledge_open(counts, until)
            _poll_list("refunds", REFUNDS, refunds, _refund_role, counts, until)
        except RETRY_LATER as retry:
            logger.warning("directory said %s; the MED poll stops until its next run", retry.code)
            counts["stopped"] = 1
    return counts


# --- the deadline sweep -----------------------------------------------------------------------------


def med_sweep(*, now: datetime | None = None) -> Counter:
    """The deadline duties (DICT_RULES §8), each flag set once: reports we must analyse whose 7 days end
    within ANALYSIS_DUE_WARNING (or passed) join the due queue; our AGREED reports without a refund whose
    72 h end within REFUND_DUE_WARNING are flagged. Rows are taken ``FOR UPDATE SKIP LOCKED`` and flagged
    in that transaction, so concurrent sweeps split them. Then the re-drive finishes stale intents."""
    now = now or timezone.now()
    counts: Counter = Counter()
    with transaction.atomic():
        due = InfractionReport.objects.select_for_update(skip_locked=True).filter(
            role="COUNTERPARTY",
            status__in=domain.REPORT_LIVE,
            analysis_due_flagged_at=None,
            analysis_deadline__lte=now + domain.ANALYSIS_DUE_WARNING,
        )
        for row in due:
            row.analysis_due_flagged_at = now
            row.save(update_fields=["analysis_due_flagged_at", "updated_at"])
            record_event(row, InfractionReportEvent.ANALYSIS_DUE, due=row.analysis_deadline.isoformat())
            counts["analysis_due"] += 1
        late = reports_awaiting_refund(
            InfractionReport.objects.select_for_update(skip_locked=True, of=("self",))
        ).filter(refund_due_flagged_at=None, refund_deadline__lte=now + domain.REFUND_DUE_WARNING)
        for row in late:
            row.refund_due_flagged_at = now
            row.save(update_fields=["refund_due_flagged_at", "updated_at"])
            record_event(row, InfractionReportEvent.REFUND_DUE, due=row.refund_deadline.isoformat())
            counts["refund_due"] += 1
    counts.update(med_redrive(now=now))
    return counts
