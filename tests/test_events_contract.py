"""The event contract (events.types): enum members only, stored strings unchanged, payload fields
declared per type and checked when recorded, a schema version on every event, and a module
docstring that documents exactly what the code declares."""

import re

import pytest

import events.types
from events.models import DomainEvent
from events.services import event_record
from events.types import (
    AGGREGATE_TYPES,
    SCHEMAS,
    AccountEvent,
    ClaimEvent,
    EntryEvent,
    FraudMarkerEvent,
    HolderEvent,
    InfractionReportEvent,
    RefundEvent,
)

pytestmark = pytest.mark.django_db

# What consumers (and rows already stored) key on: changing one of these strings breaks them.
STORED_NAMES = {
    "entry": [
        "EntryCreated",
        "EntryRegistrationFailed",
        "EntryActivated",
        "EntryDeleteRequested",
        "EntryDeleteRefused",
        "EntryDeleted",
        "EntryUpdateRequested",
        "EntryUpdated",
        "EntryUpdateRefused",
        "EntryReconciled",
    ],
    "claim": [
        "ClaimStarted",
        "ClaimReceived",
        "ClaimAdopted",
        "ClaimAcknowledged",
        "ClaimConfirmed",
        "ClaimCancelled",
        "ClaimCompleted",
        "ClaimActionRefused",
        "ClaimRedriven",
    ],
    "holder": ["HolderCreated", "HolderUpdated", "HolderRfbNonconforming"],
    "account": ["AccountCreated", "AccountUpdated", "AccountClosed"],
    "infraction_report": [
        "InfractionReportOpened",
        "InfractionReportReceived",
        "InfractionReportAcknowledged",
        "InfractionReportUpdated",
        "InfractionReportClosed",
        "InfractionReportCancelled",
        "InfractionReportAnalysisDue",
        "InfractionReportRefundDue",
        "InfractionReportActionRefused",
    ],
    "refund": ["RefundRequested", "RefundReceived", "RefundClosed", "RefundCancelled", "RefundActionRefused"],
    "fraud_marker": ["FraudMarkerCreated", "FraudMarkerCancelled", "FraudMarkerActionRefused"],
}


def test_the_event_types_keep_the_strings_already_stored() -> None:
    declared = {aggregate: [member.value for member in enum] for enum, aggregate in AGGREGATE_TYPES.items()}
    assert declared == STORED_NAMES
    every = [member for enum in AGGREGATE_TYPES for member in enum]
    assert len(every) == len({member.value for member in every}) == 42
    assert set(SCHEMAS) == set(every)


def test_the_docstring_documents_every_type_its_version_and_fields() -> None:
    documented = {}
    for line in events.types.__doc__.splitlines():
        if match := re.fullmatch(r"  (\w+) v(\d+) +(.+)", line):
            documented[match[1]] = (int(match[2]), match[3])
    declared = {}
    for event_type, schema in SCHEMAS.items():
        fields = [*schema.fields, *(f"[{name}]" for name in schema.optional)]
        declared[event_type.value] = (schema.version, ", ".join(fields) or "(none)")
    assert documented == declared


def test_an_event_records_its_aggregate_and_schema_version(make_account) -> None:
    account = make_account()
    event = event_record(event_type=AccountEvent.UPDATED, aggregate_id=account.pk)
    stored = DomainEvent.objects.get(pk=event.pk)
    assert (stored.aggregate_type, stored.aggregate_id) == ("account", str(account.pk))
    assert stored.event_type == "AccountUpdated"
    assert (stored.schema_version, stored.payload) == (1, {})


def test_flows_record_versioned_events(make_account) -> None:
    account = make_account()  # holder and account created through their services
    events = DomainEvent.objects.filter(aggregate_id__in=[str(account.pk), str(account.holder.pk)])
    assert sorted(events.values_list("event_type", "schema_version")) == [("AccountCreated", 1), ("HolderCreated", 1)]


@pytest.mark.parametrize("bare", ["EntryCreated", "HolderCreated", "Nonsense"])
def test_a_bare_string_is_refused_even_with_a_known_value(bare: str) -> None:
    with pytest.raises(TypeError, match="events.types"):
        event_record(event_type=bare, aggregate_id="1", payload={"status": "PENDING", "key_type": "EVP"})
    assert not DomainEvent.objects.exists()


@pytest.mark.parametrize(
    ("event_type", "payload", "problem"),
    [
        (EntryEvent.CREATED, {"status": "PENDING", "key_type": "EMAIL", "key": "maria@example.com"}, "unexpected"),
        (EntryEvent.ACTIVATED, {"status": "ACTIVE", "key_type": "EMAIL"}, "missing"),
        (ClaimEvent.STARTED, {"status": "OPEN", "claim_type": "PORTABILITY", "role": 1}, "not text"),
        (HolderEvent.CREATED, {"tax_id": "12345678909"}, "unexpected"),
    ],
)
def test_a_payload_off_its_declared_fields_is_refused(event_type, payload: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=rf"{problem} \['\w+'\]"):
        event_record(event_type=event_type, aggregate_id="1", payload=payload)
    assert not DomainEvent.objects.exists()


def test_optional_fields_are_recorded_only_when_given() -> None:
    base = {"status": "ACTIVE", "key_type": "EMAIL", "cid": "c" * 64}
    event_record(event_type=EntryEvent.ACTIVATED, aggregate_id="1", payload=base)
    event_record(event_type=EntryEvent.ACTIVATED, aggregate_id="1", payload={**base, "claim_id": "x"})
    assert [e.payload for e in DomainEvent.objects.order_by("occurred_at", "id")] == [base, {**base, "claim_id": "x"}]


# The smallest payload each type takes, as the services record it: a schema change that breaks a
# caller shows up here (and in the flows), not as a 500.
_CLAIM = {"status": "OPEN", "claim_type": "PORTABILITY", "role": "CLAIMER"}
_REPORT = {"status": "OPEN", "role": "REPORTER"}
_REFUND = {"status": "OPEN", "role": "REQUESTING"}
MINIMAL_PAYLOADS = {
    EntryEvent.CREATED: {"status": "PENDING", "key_type": "EMAIL"},
    EntryEvent.REGISTRATION_FAILED: {"status": "FAILED", "key_type": "EMAIL", "failure_code": "EntryInvalid"},
    EntryEvent.ACTIVATED: {"status": "ACTIVE", "key_type": "EMAIL", "cid": "c" * 64},
    EntryEvent.DELETE_REQUESTED: {"status": "DELETE_PENDING", "key_type": "EMAIL", "reason": "USER_REQUESTED"},
    EntryEvent.DELETE_REFUSED: {"status": "ACTIVE", "key_type": "EMAIL", "failure_code": "EntryInvalid"},
    EntryEvent.DELETED: {"status": "DELETED", "key_type": "EMAIL", "reason": "USER_REQUESTED"},
    EntryEvent.UPDATE_REQUESTED: {"status": "ACTIVE", "key_type": "EVP", "reason": "RFB_VALIDATION"},
    EntryEvent.UPDATED: {"status": "ACTIVE", "key_type": "EVP", "reason": "RFB_VALIDATION", "cid": "c" * 64},
    EntryEvent.UPDATE_REFUSED: {
        "status": "ACTIVE",
        "key_type": "EVP",
        "reason": "RFB_VALIDATION",
        "failure_code": "EntryLimitExceeded",
    },
    EntryEvent.RECONCILED: {"status": "ACTIVE", "key_type": "EMAIL", "fix": "deleted_at_dict"},
    ClaimEvent.STARTED: _CLAIM,
    ClaimEvent.RECEIVED: {**_CLAIM, "role": "DONOR"},
    ClaimEvent.ADOPTED: _CLAIM,
    ClaimEvent.ACKNOWLEDGED: {**_CLAIM, "status": "WAITING_RESOLUTION"},
    ClaimEvent.CONFIRMED: {**_CLAIM, "status": "CONFIRMED", "reason": "USER_REQUESTED"},
    ClaimEvent.CANCELLED: {**_CLAIM, "status": "CANCELLED", "reason": "FRAUD", "cancelled_by": "DONOR"},
    ClaimEvent.COMPLETED: {**_CLAIM, "status": "COMPLETED"},
    ClaimEvent.ACTION_REFUSED: {**_CLAIM, "code": "ClaimOperationInvalid"},
    ClaimEvent.REDRIVEN: _CLAIM,
    HolderEvent.CREATED: {},
    HolderEvent.UPDATED: {},
    HolderEvent.RFB_NONCONFORMING: {
        "code": "OwnerTaxIdIrregular",
        "rfb_status": "SUSPENDED",
        "reason": "RFB_VALIDATION",
    },
    AccountEvent.CREATED: {},
    AccountEvent.UPDATED: {},
    AccountEvent.CLOSED: {},
    InfractionReportEvent.OPENED: {**_REPORT, "reason": "REFUND_REQUEST", "situation_type": "SCAM"},
    InfractionReportEvent.RECEIVED: {
        **_REPORT,
        "role": "COUNTERPARTY",
        "reason": "REFUND_REQUEST",
        "situation_type": "SCAM",
    },
    InfractionReportEvent.ACKNOWLEDGED: {**_REPORT, "status": "ACKNOWLEDGED"},
    InfractionReportEvent.UPDATED: {**_REPORT, "situation_type": "OTHER"},
    InfractionReportEvent.CLOSED: {**_REPORT, "status": "CLOSED", "analysis_result": "DISAGREED"},
    InfractionReportEvent.CANCELLED: {**_REPORT, "status": "CANCELLED"},
    InfractionReportEvent.ANALYSIS_DUE: {**_REPORT, "due": "2026-01-08T00:00:00+00:00"},
    InfractionReportEvent.REFUND_DUE: {**_REPORT, "status": "CLOSED", "due": "2026-01-04T00:00:00+00:00"},
    InfractionReportEvent.ACTION_REFUSED: {**_REPORT, "action": "close", "code": "InfractionReportOperationInvalid"},
    RefundEvent.REQUESTED: {**_REFUND, "reason": "FRAUD"},
    RefundEvent.RECEIVED: {**_REFUND, "role": "CONTESTED", "reason": "FRAUD"},
    RefundEvent.CLOSED: {**_REFUND, "status": "CLOSED", "result": "TOTALLY_ACCEPTED"},
    RefundEvent.CANCELLED: {**_REFUND, "status": "CANCELLED"},
    RefundEvent.ACTION_REFUSED: {**_REFUND, "action": "create", "code": "RefundPeriodExpired"},
    FraudMarkerEvent.CREATED: {"status": "REGISTERED", "fraud_type": "MULE_ACCOUNT"},
    FraudMarkerEvent.CANCELLED: {"status": "CANCELLED", "fraud_type": "MULE_ACCOUNT"},
    FraudMarkerEvent.ACTION_REFUSED: {
        "status": "FAILED",
        "fraud_type": "OTHER",
        "action": "create",
        "code": "FraudMarkerInvalid",
    },
}


def test_every_type_has_a_minimal_payload() -> None:
    assert set(MINIMAL_PAYLOADS) == set(SCHEMAS)


@pytest.mark.parametrize("event_type", list(SCHEMAS), ids=str)
def test_every_type_records_with_its_declared_fields(event_type) -> None:
    schema = SCHEMAS[event_type]
    minimal = MINIMAL_PAYLOADS[event_type]
    full = {**minimal, **{name: minimal.get(name, "x") for name in (*schema.fields, *schema.optional)}}
    for payload in (minimal, full):
        event = event_record(event_type=event_type, aggregate_id="1", payload=payload)
        stored = DomainEvent.objects.get(pk=event.pk)
        assert (stored.event_type, stored.schema_version, stored.payload) == (event_type, schema.version, payload)


def test_a_key_a_claim_removed_is_deleted_without_a_reason_but_any_other_needs_one() -> None:
    base = {"status": "DELETED", "key_type": "EMAIL"}
    event_record(event_type=EntryEvent.DELETED, aggregate_id="1", payload={**base, "claim_id": "c1"})
    event_record(event_type=EntryEvent.DELETED, aggregate_id="1", payload={**base, "reason": "", "claim_id": "c1"})
    for payload in (base, {**base, "reason": ""}):
        with pytest.raises(ValueError, match=r"missing \['reason or claim_id'\]"):
            event_record(event_type=EntryEvent.DELETED, aggregate_id="1", payload=payload)
    assert DomainEvent.objects.filter(event_type="EntryDeleted").count() == 2


def test_a_refused_claim_action_never_carries_dicts_message() -> None:
    with pytest.raises(ValueError, match=r"unexpected \['detail'\]"):
        event_record(
            event_type=ClaimEvent.ACTION_REFUSED,
            aggregate_id="1",
            payload={**_CLAIM, "code": "ClaimOperationInvalid", "detail": "key maria@example.com ..."},
        )


def test_the_admins_take_their_aggregate_from_their_event_enum() -> None:
    from accounts.admin import AccountAdmin, HolderAdmin
    from claims.admin import ClaimAdminBase
    from events.history import EventHistoryMixin
    from keys.admin import EntryAdmin

    admins = (EntryAdmin, ClaimAdminBase, HolderAdmin, AccountAdmin)
    assert [admin.event_aggregate_type for admin in admins] == ["entry", "claim", "holder", "account"]
    with pytest.raises(TypeError, match="event_enum"):
        type("Stray", (EventHistoryMixin,), {"event_enum": str})
