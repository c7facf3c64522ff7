"""The REST API's JSON parser (``DEFAULT_PARSER_CLASSES``): DRF's, with a bound on nesting.

No request body of ours nests more than a couple of levels; JSON nested thousands deep would
exhaust the interpreter's stack (RecursionError) in the decoder or anything that walks it after.
Both are a ParseError, so a 400 BadRequest problem, never a 500.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests containers deeper than ``limit`` (iterative: safe on any depth)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        return data
