"""Input and output shapes for keys. A key's format is the domain's check (keys.services.entry_create)."""

from rest_framework import serializers

from common.strict_input import StrictSerializer, StrictUUIDField
from dict_rules.keys import KEY_MAX_LENGTH, DeleteReason, KeyType, UpdateReason
from keys.models import Entry


class EntryCreateIn(StrictSerializer):
    account_id = serializers.IntegerField(min_value=1)
    key_type = serializers.ChoiceField(choices=[t.value for t in KeyType])
    # Read and checked against its type by the service (dict_rules.keys.normalize_key), as on gRPC.
    key_value = serializers.CharField(max_length=KEY_MAX_LENGTH, default=None, allow_blank=True, allow_null=True)
    request_id = StrictUUIDField()
    # A confirmed possession challenge for this key; required for PHONE and EMAIL keys (keys.services.entry_create).
    possession_challenge_id = StrictUUIDField(default=None, allow_null=True)


class EntryDeleteIn(StrictSerializer):
    reason = serializers.ChoiceField(choices=[r.value for r in DeleteReason], required=False)


class EntryUpdateIn(StrictSerializer):
    """PATCH on a key: the account it moves to (its own: send DICT the holder's current names)."""

    account_id = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=[r.value for r in UpdateReason], required=False)
    request_id = StrictUUIDField()


class EntryOut(serializers.ModelSerializer):
    account_id = serializers.IntegerField()
    update_account_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "account_id",
            "key_type",
            "key_value",
            "status",
            "failure_code",
            "delete_reason",
            "request_id",
            "cid",
            "created_at",
            "updated_at",
            "registered_at",
            "key_ownership_date",
            "deleted_at",
            "update_pending",
            "update_account_id",
            "update_reason",
        ]
