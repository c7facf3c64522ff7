"""The keys' CoreDictService methods (CreateKey, ListKeys, GetKey, DeleteKey, UpdateKey) and their mappers.

Each method parses the request, calls the same service or selector as REST and maps the entry
back. The kernel's ``key_from_pb`` reads a key field here, in claims, portabilities and possession.
"""

from django.contrib.auth.models import AbstractBaseUser

from common.grpc_fields import account_id_from_pb, enum_from_pb, key_from_pb, present, resource_id_from_pb
from common.grpc_pages import Keyset
from common.grpc_service import rpc
from common.pagination import NewestFirstCursorPagination
from common.pb_util import enum_value, to_timestamp, uuid_field
from dict_rules.keys import DeleteReason, KeyType, UpdateReason
from keys import selectors as key_selectors
from keys import services as key_services
from keys import updates as key_updates
from keys.domain import EntryStatus
from keys.models import Entry
from protos.dict.core.v1 import core_dict_pb2 as pb

KEY_NOT_FOUND = "Key not found."
KEYS = Keyset("keys", NewestFirstCursorPagination)


# --- mappers --------------------------------------------------------------------------------------


def create_key_args(request: pb.CreateKeyRequest) -> dict:
    """keys.services.entry_create's arguments."""
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type"),
        "key_value": key_from_pb(request.key_value, "key_value", required=False) or None,
        "request_id": uuid_field(request.request_id, "request_id"),
        "possession_challenge_id": (
            uuid_field(request.possession_challenge_id, "possession_challenge_id")
            if request.possession_challenge_id
            else None
        ),
    }


def key_filters(request: pb.ListKeysRequest) -> dict:
    """keys.selectors.entry_list's filters."""
    return {
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type", required=False),
        "status": enum_from_pb(pb.EntryStatus, request.status, EntryStatus, "status", required=False),
    }


def delete_reason_from_pb(value: int) -> DeleteReason | None:
    return enum_from_pb(pb.Reason, value, DeleteReason, "reason", required=False)


def update_key_args(request: pb.UpdateKeyRequest) -> dict:
    """keys.updates.entry_update's arguments."""
    return {
        "entry_id": resource_id_from_pb(request.id, KEY_NOT_FOUND),
        "account_id": account_id_from_pb(request.account_id),
        "reason": enum_from_pb(pb.Reason, request.reason, UpdateReason, "reason", required=False),
        "request_id": uuid_field(request.request_id, "request_id"),
    }


def entry_to_pb(entry: Entry) -> pb.Entry:
    return pb.Entry(
        **present(
            id=str(entry.pk),
            account_id=entry.account_id,
            key_type=enum_value(pb.KeyType, entry.key_type),
            key_value=entry.key_value or "",
            status=enum_value(pb.EntryStatus, entry.status),
            failure_code=entry.failure_code,
            delete_reason=enum_value(pb.Reason, entry.delete_reason),
            request_id=str(entry.request_id),
            cid=entry.cid,
            created_at=to_timestamp(entry.created_at),
            updated_at=to_timestamp(entry.updated_at),
            registered_at=to_timestamp(entry.registered_at),
            key_ownership_date=to_timestamp(entry.key_ownership_date),
            deleted_at=to_timestamp(entry.deleted_at),
            update_pending=entry.update_pending,
            update_account_id=entry.update_account_id,
            update_reason=enum_value(pb.Reason, entry.update_reason),
        )
    )


# --- methods --------------------------------------------------------------------------------------


class KeyMethods:
    @rpc
    def CreateKey(self, request: pb.CreateKeyRequest, user: AbstractBaseUser) -> pb.CreateKeyResponse:
        entry, replayed = key_services.entry_create(user=user, **create_key_args(request))
        return pb.CreateKeyResponse(entry=entry_to_pb(entry), replayed=replayed)

    @rpc
    def ListKeys(self, request: pb.ListKeysRequest, user: AbstractBaseUser) -> pb.ListKeysResponse:
        qs = key_selectors.entry_list(user=user, **key_filters(request))
        rows, token = KEYS.page(qs, request.page_size, request.page_token)
        return pb.ListKeysResponse(entries=[entry_to_pb(e) for e in rows], next_page_token=token)

    @rpc
    def GetKey(self, request: pb.GetKeyRequest, user: AbstractBaseUser) -> pb.Entry:
        entry_id = resource_id_from_pb(request.id, KEY_NOT_FOUND)
        return entry_to_pb(key_selectors.entry_get(user=user, entry_id=entry_id))

    @rpc
    def DeleteKey(self, request: pb.DeleteKeyRequest, user: AbstractBaseUser) -> pb.Entry:
        entry_id = resource_id_from_pb(request.id, KEY_NOT_FOUND)
        reason = delete_reason_from_pb(request.reason)
        key_services.entry_delete(user=user, entry_id=entry_id, reason=reason)
        return entry_to_pb(key_selectors.entry_get(user=user, entry_id=entry_id))

    @rpc
    def UpdateKey(self, request: pb.UpdateKeyRequest, user: AbstractBaseUser) -> pb.UpdateKeyResponse:
        entry, replayed = key_updates.entry_update(user=user, **update_key_args(request))
        entry = key_selectors.entry_get(user=user, entry_id=entry.pk)
        return pb.UpdateKeyResponse(entry=entry_to_pb(entry), replayed=replayed)
