"""Protobuf helpers shared by both APIs (CoreDictService, Connect) and their peers: proto-neutral.

Timestamps, enums and UUID fields read and written one way everywhere. What a bad value means is
the caller's to say (a client's BadRequest, a directory's malformed answer), so the readers that
cannot fail return ``""`` or ``None`` for a value they cannot read.
"""

import uuid
from datetime import UTC, datetime

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.timestamp_pb2 import Timestamp

from dict_rules.errors import BadRequest


def to_timestamp(value: datetime | None) -> Timestamp | None:
    """A datetime as a Timestamp; None stays None (an unset field)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(value: Timestamp, present: bool = True) -> datetime | None:
    """An aware UTC datetime; None when the (optional) field is not ``present``."""
    return value.ToDatetime(tzinfo=UTC) if present else None


def enum_name(pb_enum: EnumTypeWrapper, value: int) -> str:
    """An enum's name, or '' for UNSPECIFIED and for a number the enum does not know."""
    name = pb_enum.Name(value) if value in pb_enum.values() else ""
    return "" if name.endswith("UNSPECIFIED") else name


def enum_value(pb_enum: EnumTypeWrapper, name: str | None) -> int:
    """An enum's number; a blank name (no reason, no canceller) is 0, UNSPECIFIED."""
    return pb_enum.Value(name) if name else 0


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID in a string field, or None when it is not one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def uuid_field(value: str, field: str) -> uuid.UUID:
    """A UUID a caller must send: a malformed one is BadRequest naming the field."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise BadRequest.on_field(field, f"{field} must be a valid UUID.")
    return parsed
