"""DICT's list pages (claims, infraction reports, refunds): the caller's rows by LastModified ascending
(then id), both window ends inclusive, at most LIST_MAX, with whether more follow."""

from datetime import datetime

from django.db.models import QuerySet

from dict_rules.errors import BadRequest

LIST_DEFAULT, LIST_MAX = 20, 200


def page(
    rows: QuerySet,
    *,
    statuses: tuple[str, ...],
    known_statuses: tuple[str, ...],
    modified_after: datetime | None,
    modified_before: datetime | None,
    limit: int,
) -> tuple[list, bool]:
    if not 1 <= limit <= LIST_MAX:
        raise BadRequest.on_field("limit", f"limit must be between 1 and {LIST_MAX}.")
    if any(status not in known_statuses for status in statuses):
        raise BadRequest.on_field("status", f"status must be among {', '.join(known_statuses)}.")
    if statuses:
        rows = rows.filter(status__in=statuses)
    if modified_after is not None:
        rows = rows.filter(last_modified__gte=modified_after)
    if modified_before is not None:
        rows = rows.filter(last_modified__lte=modified_before)
    found = list(rows.order_by("last_modified", "id")[: limit + 1])
    return found[:limit], len(found) > limit
