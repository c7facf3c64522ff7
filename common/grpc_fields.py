"""Readers of CoreDictService request fields that every app's mappers share, and ``present`` for responses.

Inputs are checked as REST's serializers check them, with the same codes: a missing or unknown
enum or a malformed account id is BadRequest naming the field; a malformed resource id is
NotFound, as REST's URL patterns answer it. Fields that belong to one app (a key, a one-time
code) are read by that app's mappers; every rule beyond the shape of a field is the domain's.
"""

import uuid
from enum import StrEnum
from typing import TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from common.pb_util import enum_name, parse_uuid
from dict_rules.errors import BadRequest, NotFound
from dict_rules.keys import KEY_MAX_LENGTH

E = TypeVar("E", bound=StrEnum)


def enum_from_pb(
    pb_enum: EnumTypeWrapper, value: int, domain: type[E], field: str, *, required: bool = True
) -> E | None:
    """The domain member with the proto value's name; UNSPECIFIED is None when optional.

    Proto enums are open, so an unknown number arrives as is: like a name outside the domain's
    (DEFAULT_OPERATION for a delete), it is refused as REST refuses a bad choice.
    """
    if value == 0 and not required:
        return None
    allowed = ", ".join(domain)
    name = enum_name(pb_enum, value)
    if value == 0:
        raise BadRequest.on_field(field, f"{field} is required: one of {allowed}.")
    if name not in domain.__members__:
        raise BadRequest.on_field(field, f"{field} must be one of {allowed}.")
    return domain(name)


def resource_id_from_pb(value: str, not_found: str) -> uuid.UUID:
    """A key's or claim's id: a malformed one names nothing, so it is NotFound (REST's 404)."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(not_found)
    return parsed


def key_from_pb(value: str, field: str, *, required: bool) -> str:
    """A PIX key as sent: its length bounded as REST's serializers bound it; its format is the domain's."""
    if required and not value.strip():
        raise BadRequest.on_field(field, f"{field} is required.")
    if len(value) > KEY_MAX_LENGTH:
        raise BadRequest.on_field(field, f"{field} has at most {KEY_MAX_LENGTH} characters.")
    return value


def account_id_from_pb(value: int) -> int:
    if value < 1:
        raise BadRequest.on_field("account_id", "account_id must be a positive integer.")
    return value


def present(**fields) -> dict:
    """Leave out unset message fields (a None timestamp) instead of relying on the runtime's reading of None."""
    return {name: value for name, value in fields.items() if value is not None}
