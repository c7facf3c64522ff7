"""Helpers shared by the apps' read use cases (selectors)."""

from enum import StrEnum

from dict_rules.errors import BadRequest


def filter_choice(value: str | None, choices: type[StrEnum], *, field: str) -> str | None:
    """A list filter checked against its enum: empty means "no filter" (None), a member's name is
    returned as given, anything else is a BadRequest naming ``field`` and the allowed values."""
    if not value:
        return None
    if value not in choices.__members__:
        raise BadRequest.on_field(field, f"{field} must be one of {', '.join(choices)}.")
    return value
