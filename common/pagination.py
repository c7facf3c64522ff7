"""Keyset (cursor) pagination for every list: stable under inserts, no OFFSET scans.

gRPC's page tokens (``grpc_pages.Keyset``) take their orderings and sizes from these classes.
"""

from rest_framework.pagination import CursorPagination


class _Pages(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class NewestFirstCursorPagination(_Pages):
    ordering = ("-created_at", "-id")


class DeadlineFirstCursorPagination(_Pages):
    """Incoming claims: the most urgent deadline first."""

    ordering = ("resolution_period_end", "id")


class IdCursorPagination(_Pages):
    ordering = ("id",)
