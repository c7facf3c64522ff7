"""Strict input, the same on both edges: no control characters in text, no unknown fields, ids as strings.

``text_problem`` is the one check of a text input, used by REST's serializers (``StrictSerializer``)
and by the gRPC edge (``common.grpc_service``, on every string of a decoded request): NUL and the
other control characters (Unicode category Cc) are BadRequest naming the field on both.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from dict_rules.errors import BadRequest

# C0, DEL and C1: the Unicode "Cc" category.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def text_problem(field: str, value: str) -> str | None:
    """Why ``value`` is not acceptable text for ``field``, or None when it is."""
    if CONTROL_CHARACTERS.search(value):
        return f"{field} must not contain NUL or other control characters."
    return None


def check_text(field: str, value: str) -> None:
    problem = text_problem(field, value)
    if problem:
        raise BadRequest.on_field(field, problem)


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a string only (DRF's own also takes an integer and reads it as the UUID's bits)."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """A request body's serializer that refuses fields it does not declare, and control characters in text.

    Both are BadRequest naming each field, before the fields' own checks run.
    """

    unknown_field_message = "This field is not accepted."

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            accepted = {name for name, f in self.fields.items() if not f.read_only}
            problems: dict[str, list[str]] = {
                str(name): [self.unknown_field_message] for name in data if name not in accepted
            }
            for name in accepted & set(data):
                value = data[name]
                problem = text_problem(name, value) if isinstance(value, str) else None
                if problem:
                    problems[name] = [problem]
            if problems:
                raise serializers.ValidationError(dict(sorted(problems.items())))
        return super().to_internal_value(data)
