"""Keyset (cursor) pagination for every list: stable under inserts, no OFFSET scans."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class IdCursorPagination(CursorPagination):
    ordering = ("id",)
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
