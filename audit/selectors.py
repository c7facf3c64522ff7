"""Reads for the LGPD audit trail's back-office."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet


def staff_user_list() -> QuerySet:
    """The users who can open the admin (so may have seen PII): the audit's filter choices.

    Read from the (small) user table, not as distinct values of the (large) audit table.
    """
    return get_user_model().objects.filter(is_staff=True).order_by("pk")
