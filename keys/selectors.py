"""Read use cases for entries: a customer sees the keys of its own accounts, staff see all."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from dict_project.errors import BadRequest, NotFound
from keys.domain import EntryStatus, KeyType
from keys.models import Entry


def entry_list(*, user: AbstractBaseUser, key_type: str | None = None, status: str | None = None) -> QuerySet[Entry]:
    qs = Entry.objects.select_related("account__holder")
    if not user.is_staff:
        qs = qs.filter(account__holder__user=user)
    if key_type:
        if key_type not in KeyType.__members__:
            raise BadRequest.on_field("key_type", f"key_type must be one of {', '.join(KeyType)}.")
        qs = qs.filter(key_type=key_type)
    if status:
        if status not in EntryStatus.__members__:
            raise BadRequest.on_field("status", f"status must be one of {', '.join(EntryStatus)}.")
        qs = qs.filter(status=status)
    return qs


def entry_get(*, user: AbstractBaseUser, entry_id: UUID) -> Entry:
    """The entry if it belongs to one of the user's accounts; anyone else's is not found (404)."""
    entry = entry_list(user=user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("Key not found.")
    return entry
