"""The event contract: every event type, its aggregate, its payload fields and their schema version.

Consumers (the audit trail, Pulsar subscribers) key on ``event_type`` and
``schema_version``, so both are fixed here. One StrEnum per aggregate; the values are the
strings stored since the first event, so old rows read the same. The apps import this module
(events imports no app), and ``events.services.event_record`` takes only these members.

A payload is a flat object of strings and holds exactly the fields declared for its type
(``[name]``: only when it applies); anything else is refused when the event is recorded, so
no unexpected field (PII) slips in. A change to a type's fields is a new version of that type.

  EntryCreated v1             status, key_type
  EntryRegistrationFailed v1  status, key_type, failure_code
  EntryActivated v1           status, key_type, cid, [claim_id]
  EntryDeleteRequested v1     status, key_type, reason
  EntryDeleteRefused v1       status, key_type, failure_code
  EntryDeleted v2             status, key_type, [reason], [claim_id]
  EntryUpdateRequested v2     status, key_type, reason, [request_id]
  EntryUpdated v1             status, key_type, reason, cid
  EntryUpdateRefused v1       status, key_type, reason, failure_code
  EntryReconciled v1          status, key_type, fix, [cid]
  ClaimStarted v1             status, claim_type, role
  ClaimReceived v1            status, claim_type, role
  ClaimAdopted v1             status, claim_type, role
  ClaimAcknowledged v1        status, claim_type, role, [reason], [cancelled_by]
  ClaimConfirmed v1           status, claim_type, role, [reason], [cancelled_by]
  ClaimCancelled v1           status, claim_type, role, [reason], [cancelled_by]
  ClaimCompleted v1           status, claim_type, role, [reason], [cancelled_by]
  ClaimActionRefused v2       status, claim_type, role, code
  ClaimRedriven v1            status, claim_type, role
  HolderCreated v1            (none)
  HolderUpdated v1            (none)
  HolderRfbNonconforming v1   code, rfb_status, reason
  AccountCreated v1           (none)
  AccountUpdated v1           (none)
  AccountClosed v1            (none)
  InfractionReportOpened v1   status, role, reason, situation_type
  InfractionReportReceived v1  status, role, reason, situation_type
  InfractionReportAcknowledged v1  status, role
  InfractionReportUpdated v1  status, role, situation_type
  InfractionReportClosed v1   status, role, analysis_result, [fraud_type]
  InfractionReportCancelled v1  status, role
  InfractionReportAnalysisDue v1  status, role, due
  InfractionReportRefundDue v1  status, role, due
  InfractionReportActionRefused v1  status, role, action, code
  RefundRequested v1          status, role, reason
  RefundReceived v1           status, role, reason
  RefundClosed v1             status, role, result, [rejection_reason]
  RefundCancelled v1          status, role
  RefundActionRefused v1      status, role, action, code
  FraudMarkerCreated v1       status, fraud_type
  FraudMarkerCancelled v1     status, fraud_type
  FraudMarkerActionRefused v1  status, fraud_type, action, code

``status``, ``key_type``, ``claim_type`` and ``role`` are the aggregate's own after the change;
``reason`` a DICT delete, update or claim reason; ``failure_code`` and ``code`` DICT's error type (never
DICT's free-text message, which may quote PII); ``cid`` the entry's CID; ``claim_id`` our claim's id;
``rfb_status`` the holder's status at Receita Federal (dict_rules.rfb.RfbStatus) in HolderRfbNonconforming,
which tells the holder their keys are being deleted (``reason`` RFB_VALIDATION) and why (``code``:
OwnerTaxIdIrregular or OwnerNameMismatch);
MED (the infraction_report, refund and fraud_marker aggregates): ``role`` our side (REPORTER or
COUNTERPARTY; REQUESTING or CONTESTED), the other fields DICT's enum names; ``due`` the deadline a
sweep flagged (ISO 8601, analysis_deadline or refund_deadline); ``action`` what was asked of DICT
(create, update, acknowledge, close, cancel); never a tax id, key, contact, transaction id or free text.
``fix`` what a sync repair did to the entry (keys.sync.Fix: added_here, corrected_here, updated_at_dict,
deleted_at_dict; a key removed here is EntryDeleted with reason RECONCILIATION); ``request_id`` in
EntryUpdateRequested the customer's idempotency key (a UUID: an earlier update's is refused, keys.updates).
EntryDeleted names its ``reason``; for a key a claim moved away, the reason the claim was confirmed
with (DEFAULT_OPERATION included) and the ``claim_id``. At least one of the two, not empty: rows
written before the reason was carried name only the claim.

Versions: EntryDeleted v2 made ``reason`` optional (v1 required it); ClaimActionRefused v2 dropped
``detail`` (v1 carried DICT's message); EntryUpdateRequested v2 added the optional ``request_id``.

On Pulsar (events.wire) every event goes out as the current version of its type: a stored payload
keeps only the fields that version declares and must then pass its check, so a v1 row goes out as
v2 without ``detail``. A new version that adds a required field therefore needs its older rows
converted, or they cannot be published (the relay marks them failed).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EntryEvent(StrEnum):
    CREATED = "EntryCreated"
    REGISTRATION_FAILED = "EntryRegistrationFailed"
    ACTIVATED = "EntryActivated"
    DELETE_REQUESTED = "EntryDeleteRequested"
    DELETE_REFUSED = "EntryDeleteRefused"
    DELETED = "EntryDeleted"
    UPDATE_REQUESTED = "EntryUpdateRequested"
    UPDATED = "EntryUpdated"
    UPDATE_REFUSED = "EntryUpdateRefused"
    RECONCILED = "EntryReconciled"


class ClaimEvent(StrEnum):
    STARTED = "ClaimStarted"
    RECEIVED = "ClaimReceived"
    ADOPTED = "ClaimAdopted"
    ACKNOWLEDGED = "ClaimAcknowledged"
    CONFIRMED = "ClaimConfirmed"
    CANCELLED = "ClaimCancelled"
    COMPLETED = "ClaimCompleted"
    ACTION_REFUSED = "ClaimActionRefused"
    REDRIVEN = "ClaimRedriven"


class HolderEvent(StrEnum):
    CREATED = "HolderCreated"
    UPDATED = "HolderUpdated"
    RFB_NONCONFORMING = "HolderRfbNonconforming"


class AccountEvent(StrEnum):
    CREATED = "AccountCreated"
    UPDATED = "AccountUpdated"
    CLOSED = "AccountClosed"


class InfractionReportEvent(StrEnum):
    OPENED = "InfractionReportOpened"
    RECEIVED = "InfractionReportReceived"
    ACKNOWLEDGED = "InfractionReportAcknowledged"
    UPDATED = "InfractionReportUpdated"
    CLOSED = "InfractionReportClosed"
    CANCELLED = "InfractionReportCancelled"
    ANALYSIS_DUE = "InfractionReportAnalysisDue"
    REFUND_DUE = "InfractionReportRefundDue"
    ACTION_REFUSED = "InfractionReportActionRefused"


class RefundEvent(StrEnum):
    REQUESTED = "RefundRequested"
    RECEIVED = "RefundReceived"
    CLOSED = "RefundClosed"
    CANCELLED = "RefundCancelled"
    ACTION_REFUSED = "RefundActionRefused"


class FraudMarkerEvent(StrEnum):
    CREATED = "FraudMarkerCreated"
    CANCELLED = "FraudMarkerCancelled"
    ACTION_REFUSED = "FraudMarkerActionRefused"


EventType = (
    EntryEvent | ClaimEvent | HolderEvent | AccountEvent | InfractionReportEvent | RefundEvent | FraudMarkerEvent
)

# The aggregate each enum's events belong to (DomainEvent.aggregate_type).
AGGREGATE_TYPES: dict[type[StrEnum], str] = {
    EntryEvent: "entry",
    ClaimEvent: "claim",
    HolderEvent: "holder",
    AccountEvent: "account",
    InfractionReportEvent: "infraction_report",
    RefundEvent: "refund",
    FraudMarkerEvent: "fraud_marker",
}


@dataclass(frozen=True)
class PayloadSchema:
    version: int
    fields: tuple[str, ...] = ()  # always present
    optional: tuple[str, ...] = ()  # present only when they apply
    one_of: tuple[str, ...] = ()  # at least one of these is present and not empty

    def check(self, event_type: EventType, payload: dict[str, Any]) -> None:
        unexpected = sorted(set(payload) - set(self.fields) - set(self.optional))
        missing = sorted(set(self.fields) - set(payload))
        if self.one_of and not any(payload.get(name) for name in self.one_of):
            missing.append(" or ".join(self.one_of))
        not_text = sorted(name for name, value in payload.items() if not isinstance(value, str))
        if unexpected or missing or not_text:
            raise ValueError(
                f"{event_type} v{self.version} payload: unexpected {unexpected}, missing {missing}, not text {not_text}"
            )


_ENTRY = ("status", "key_type")
_CLAIM = ("status", "claim_type", "role")
_CLAIM_MOVED = PayloadSchema(1, _CLAIM, optional=("reason", "cancelled_by"))
_MED = ("status", "role")
_MARKER = ("status", "fraud_type")

SCHEMAS: dict[EventType, PayloadSchema] = {
    EntryEvent.CREATED: PayloadSchema(1, _ENTRY),
    EntryEvent.REGISTRATION_FAILED: PayloadSchema(1, (*_ENTRY, "failure_code")),
    EntryEvent.ACTIVATED: PayloadSchema(1, (*_ENTRY, "cid"), optional=("claim_id",)),
    EntryEvent.DELETE_REQUESTED: PayloadSchema(1, (*_ENTRY, "reason")),
    EntryEvent.DELETE_REFUSED: PayloadSchema(1, (*_ENTRY, "failure_code")),
    EntryEvent.DELETED: PayloadSchema(2, _ENTRY, optional=("reason", "claim_id"), one_of=("reason", "claim_id")),
    EntryEvent.UPDATE_REQUESTED: PayloadSchema(2, (*_ENTRY, "reason"), optional=("request_id",)),
    EntryEvent.UPDATED: PayloadSchema(1, (*_ENTRY, "reason", "cid")),
    EntryEvent.UPDATE_REFUSED: PayloadSchema(1, (*_ENTRY, "reason", "failure_code")),
    EntryEvent.RECONCILED: PayloadSchema(1, (*_ENTRY, "fix"), optional=("cid",)),
    ClaimEvent.STARTED: PayloadSchema(1, _CLAIM),
    ClaimEvent.RECEIVED: PayloadSchema(1, _CLAIM),
    ClaimEvent.ADOPTED: PayloadSchema(1, _CLAIM),
    ClaimEvent.ACKNOWLEDGED: _CLAIM_MOVED,
    ClaimEvent.CONFIRMED: _CLAIM_MOVED,
    ClaimEvent.CANCELLED: _CLAIM_MOVED,
    ClaimEvent.COMPLETED: _CLAIM_MOVED,
    ClaimEvent.ACTION_REFUSED: PayloadSchema(2, (*_CLAIM, "code")),
    ClaimEvent.REDRIVEN: PayloadSchema(1, _CLAIM),
    HolderEvent.CREATED: PayloadSchema(1),
    HolderEvent.UPDATED: PayloadSchema(1),
    HolderEvent.RFB_NONCONFORMING: PayloadSchema(1, ("code", "rfb_status", "reason")),
    AccountEvent.CREATED: PayloadSchema(1),
    AccountEvent.UPDATED: PayloadSchema(1),
    AccountEvent.CLOSED: PayloadSchema(1),
    InfractionReportEvent.OPENED: PayloadSchema(1, (*_MED, "reason", "situation_type")),
    InfractionReportEvent.RECEIVED: PayloadSchema(1, (*_MED, "reason", "situation_type")),
    InfractionReportEvent.ACKNOWLEDGED: PayloadSchema(1, _MED),
    InfractionReportEvent.UPDATED: PayloadSchema(1, (*_MED, "situation_type")),
    InfractionReportEvent.CLOSED: PayloadSchema(1, (*_MED, "analysis_result"), optional=("fraud_type",)),
    InfractionReportEvent.CANCELLED: PayloadSchema(1, _MED),
    InfractionReportEvent.ANALYSIS_DUE: PayloadSchema(1, (*_MED, "due")),
    InfractionReportEvent.REFUND_DUE: PayloadSchema(1, (*_MED, "due")),
    InfractionReportEvent.ACTION_REFUSED: PayloadSchema(1, (*_MED, "action", "code")),
    RefundEvent.REQUESTED: PayloadSchema(1, (*_MED, "reason")),
    RefundEvent.RECEIVED: PayloadSchema(1, (*_MED, "reason")),
    RefundEvent.CLOSED: PayloadSchema(1, (*_MED, "result"), optional=("rejection_reason",)),
    RefundEvent.CANCELLED: PayloadSchema(1, _MED),
    RefundEvent.ACTION_REFUSED: PayloadSchema(1, (*_MED, "action", "code")),
    FraudMarkerEvent.CREATED: PayloadSchema(1, _MARKER),
    FraudMarkerEvent.CANCELLED: PayloadSchema(1, _MARKER),
    FraudMarkerEvent.ACTION_REFUSED: PayloadSchema(1, (*_MARKER, "action", "code")),
}


def aggregate_type_of(event_type: EventType) -> str:
    """The aggregate an event type belongs to; a bare string (or any other value) is refused."""
    aggregate = AGGREGATE_TYPES.get(type(event_type))
    if aggregate is None:
        raise TypeError(f"event_type must be a member of an event enum in events.types, not {event_type!r}")
    return aggregate


EVENT_TYPES: dict[str, EventType] = {member.value: member for enum in AGGREGATE_TYPES for member in enum}


def schema_version_of(event_type: EventType, payload: dict[str, Any]) -> int:
    """Check the payload against its type's declared fields; returns the schema version to record."""
    schema = SCHEMAS[event_type]
    schema.check(event_type, payload)
    return schema.version
