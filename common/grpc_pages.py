"""Page tokens for the CoreDictService's lists, keyed on the same orderings as REST's cursor pages.

Each app names its lists' ``Keyset`` next to its methods (``keys.grpc.KEYS``, ``claims.grpc.INCOMING``, ...).
"""

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime

from django.db.models import Model, Q, QuerySet
from rest_framework.pagination import CursorPagination

from dict_rules.errors import BadRequest

MAX_TOKEN_LENGTH = 200  # ours are about 110 characters


class Keyset:
    """A REST pagination class's ordering and sizes, with opaque page tokens: base64 of the last row's values.

    The ordering is (timestamp, id), both in one direction, which makes "after the last row"
    one OR of two comparisons. The token names its list, so one list's token is refused by
    another; anything else that is not a token this list gave out is refused as BadRequest.
    """

    def __init__(self, name: str, pages: type[CursorPagination]) -> None:
        self.name, self.ordering = name, pages.ordering
        self.default_size, self.max_size = pages.page_size, pages.max_page_size
        self.descending = self.ordering[0].startswith("-")
        self.time_field = self.ordering[0].lstrip("-")

    def page(self, qs: QuerySet, page_size: int, page_token: str) -> tuple[list[Model], str]:
        size = min(page_size, self.max_size) if page_size > 0 else self.default_size
        qs = qs.order_by(*self.ordering)
        if page_token:
            at, last_id = self._decode(page_token)
            op = "lt" if self.descending else "gt"
            qs = qs.filter(Q(**{f"{self.time_field}__{op}": at}) | Q(**{self.time_field: at, f"id__{op}": last_id}))
        rows = list(qs[: size + 1])
        if len(rows) <= size:
            return rows, ""
        last = rows[size - 1]
        return rows[:size], self._encode(getattr(last, self.time_field), last.pk)

    def _encode(self, at: datetime, row_id: uuid.UUID) -> str:
        raw = json.dumps([self.name, at.isoformat(), str(row_id)]).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _decode(self, token: str) -> tuple[datetime, uuid.UUID]:
        try:
            if len(token) > MAX_TOKEN_LENGTH:
                raise ValueError(len(token))
            name, at, row_id = json.loads(base64.urlsafe_b64decode(token.encode()))
            if name != self.name or not isinstance(at, str) or not isinstance(row_id, str):
                raise ValueError(name)
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError(at)
            return moment.astimezone(UTC), uuid.UUID(row_id)  # astimezone: overflows here, not in the database
        except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error, UnicodeError):
            raise BadRequest.on_field("page_token", "page_token is not one this list gave out.") from None
