"""Keyset (cursor) pagination for every list: stable under inserts, no OFFSET scans.

gRPC's page tokens (``grpc_pages.Keyset``) take their orderings and sizes from these classes.
"""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from dict_rules.errors import BadRequest


class _Pages(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        """A cursor this list did not give out is the caller's BadRequest, as gRPC's page_token is.

        DRF answers an undecodable cursor 404 "Invalid cursor", and a decodable one whose position
        is not a value of the ordering field (``p=x`` for a date) fails in the query, a 500. Only a
        request that sent a cursor is read this way: without one, any error is the server's.
        """
        if not request.query_params.get(self.cursor_query_param):
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, ValidationError, ValueError, TypeError):
            raise BadRequest.on_field("cursor", "cursor is not one this list gave out.") from None


class NewestFirstCursorPagination(_Pages):
    ordering = ("-created_at", "-id")


class DeadlineFirstCursorPagination(_Pages):
    """Incoming claims: the most urgent deadline first."""

    ordering = ("resolution_period_end", "id")


class IdCursorPagination(_Pages):
    ordering = ("id",)
