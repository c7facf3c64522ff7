"""The event contract (events.types): enum members only, stored strings unchanged, payload fields
declared per type and checked when recorded, a schema version on every event, and a module
docstring that documents exactly what the code declares."""

import re

import pytest

import events.types
from events.models import DomainEvent
from events.services import event_record
from events.types import AGGREGATE_TYPES, SCHEMAS, AccountEvent, ClaimEvent, EntryEvent, HolderEvent

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
    "holder": ["HolderCreated", "HolderUpdated"],
    "account": ["AccountCreated", "AccountUpdated"],
}


def test_the_event_types_keep_the_strings_already_stored() -> None:
    declared = {aggregate: [member.value for member in enum] for enum, aggregate in AGGREGATE_TYPES.items()}
    assert declared == STORED_NAMES
    every = [member for enum in AGGREGATE_TYPES for member in enum]
    assert len(every) == len({member.value for member in every}) == 19
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
