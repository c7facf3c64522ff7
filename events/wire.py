"""What a consumer receives for one event: the only place where a stored event becomes a Pulsar message.

Topic: one per aggregate, ``PULSAR_TOPIC_PREFIX`` + ``entries``, ``claims``, ``holders``,
``accounts``, ``infraction-reports``, ``refunds`` or ``fraud-markers``.
Key (``partition_key``): the aggregate id, so one aggregate's events share a partition and, on a
Key_Shared subscription, one consumer at a time, in the order of their ``sequence``.
Properties: ``event_id`` (deduplicate on it: delivery is at least once), ``event_type``, ``schema_version``.
Body, JSON: ``event_id``, ``event_type``, ``schema_version``, ``aggregate_type``, ``aggregate_id``,
``sequence``, ``occurred_at`` (ISO 8601) and ``payload``.

The payload is the contract of events.types and nothing more: the fields the type's current version
declares, checked again here, so a field dropped since (ClaimActionRefused v1's ``detail``, DICT's
free text, which may quote PII) never leaves; an older payload that fits goes out as the current
version. What is published: statuses, key and claim types, roles, DICT's reason and error codes,
our claim id, and the entry's CID, an HMAC keyed by the registration's random request id, which
is not published (consumers need the CID to reconcile with DICT; it reveals nothing without the
key). Ids are ours (entry UUID, claim, holder and account numbers). Never published: key values,
tax ids and names (no payload has them), the actor (a login name may be a CPF or an e-mail) and
the request id (the caller's own text); the audit trail keeps those two in the table.
"""

import json
from dataclasses import dataclass

from events.models import DomainEvent
from events.types import AGGREGATE_TYPES, EVENT_TYPES, SCHEMAS, aggregate_type_of

TOPICS: dict[str, str] = {
    "entry": "entries",
    "claim": "claims",
    "holder": "holders",
    "account": "accounts",
    "infraction_report": "infraction-reports",
    "refund": "refunds",
    "fraud_marker": "fraud-markers",
}
assert set(TOPICS) == set(AGGREGATE_TYPES.values()), "every aggregate has its topic"


class ContractError(ValueError):
    """A stored event that the contract cannot carry (unknown type, payload that fits no version)."""


@dataclass(frozen=True)
class WireMessage:
    topic: str
    key: str
    body: bytes
    properties: dict[str, str]
    event_timestamp: int  # milliseconds since the epoch: when the event happened


def topic_of(aggregate_type: str, prefix: str) -> str:
    if aggregate_type not in TOPICS:
        raise ContractError(f"no topic for aggregate type {aggregate_type!r}")
    return prefix + TOPICS[aggregate_type]


def topics(prefix: str) -> list[str]:
    return [prefix + name for name in TOPICS.values()]


def to_message(event: DomainEvent, prefix: str) -> WireMessage:
    """The message for ``event``; ContractError if the contract cannot carry it."""
    event_type = EVENT_TYPES.get(event.event_type)
    if event_type is None:
        raise ContractError(f"{event.event_type!r} is no event type of events.types")
    if aggregate_type_of(event_type) != event.aggregate_type:
        raise ContractError(f"{event_type} belongs to {aggregate_type_of(event_type)}, not {event.aggregate_type!r}")
    if not isinstance(event.payload, dict):
        raise ContractError(f"{event_type} payload is not an object")
    schema = SCHEMAS[event_type]
    declared = (*schema.fields, *schema.optional)
    payload = {name: value for name, value in event.payload.items() if name in declared}
    try:
        schema.check(event_type, payload)
    except ValueError as error:
        raise ContractError(str(error)) from error
    body = {
        "event_id": str(event.id),
        "event_type": event_type.value,
        "schema_version": schema.version,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": payload,
    }
    return WireMessage(
        topic=topic_of(event.aggregate_type, prefix),
        key=event.aggregate_id,
        body=json.dumps(body, sort_keys=True, separators=(",", ":")).encode(),
        properties={"event_id": str(event.id), "event_type": event_type.value, "schema_version": str(schema.version)},
        event_timestamp=int(event.occurred_at.timestamp() * 1000),
    )
