"""The outbox's total order: a number every event takes as it is written, larger than any before it.

Neither the random UUID pk nor ``occurred_at`` orders events: two events of one transaction may
share a timestamp, and the clocks of two processes disagree. PostgreSQL draws the number from a
sequence, the column's DEFAULT. SQLite has no sequences but writes one transaction at a time, so
its INSERT takes one more than the largest number so far, inside the same statement.

For one aggregate the numbers follow commit order too: its events are written under the
aggregate's row lock (or while the aggregate is being created), so a later event's transaction
draws its number only after the earlier one committed.
"""

from typing import Any

from django.db import NotSupportedError
from django.db.models import BigIntegerField, Expression
from django.db.models.sql.compiler import SQLInsertCompiler

SEQUENCE_NAME = "events_domainevent_sequence_seq"  # created by events/migrations/0003 on PostgreSQL


class NextEventSequence(Expression):
    """The ``db_default`` of DomainEvent.sequence."""

    output_field = BigIntegerField()
    allowed_default = True  # Django's check (fields.E012) takes expressions as column defaults only when told so

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        raise NotSupportedError(f"no event sequence on {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        return f"nextval('{SEQUENCE_NAME}')", []

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list]:
        if isinstance(compiler, SQLInsertCompiler):  # SQLite has no DEFAULT keyword in VALUES: this is the value
            return "(SELECT COALESCE(MAX(sequence), 0) + 1 FROM events_domainevent)", []
        return "0", []  # the column's DDL default must be constant; no INSERT ever leaves it to the DDL
