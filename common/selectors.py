"""Helpers shared by the apps' read use cases (selectors)."""

from enum import StrEnum

from dict_rules.errors import BadRequest


def filter_choice(value: str | None, choices: type[StrEnum] | tuple[str, ...], *, field: str) -> str | None:
    """A list filter checked against its enum (or DICT's names as a tuple): empty means "no filter"
    (None), an allowed name is returned as given, anything else is a BadRequest naming ``field`` and
    the allowed values."""
    if not value:
        return None
    allowed = tuple(choices.__members__) if isinstance(choices, type) else choices
    if value not in allowed:
        raise BadRequest.on_field(field, f"{field} must be one of {', '.join(allowed)}.")
    return value
