"""Input and output shapes for keys. Formats are checked here at the edge and again by the domain."""

from rest_framework import serializers

from common.strict_input import StrictSerializer, StrictUUIDField
from dict_rules.keys import KEY_MAX_LENGTH, DeleteReason, KeyType, normalize_key
from keys.models import Entry


class EntryCreateIn(StrictSerializer):
    account_id = serializers.IntegerField(min_value=1)
    key_type = serializers.ChoiceField(choices=[t.value for t in KeyType])
    key_value = serializers.CharField(max_length=KEY_MAX_LENGTH, required=False, allow_blank=True, allow_null=True)
    request_id = StrictUUIDField()

    def validate(self, data: dict) -> dict:
        data["key_value"] = normalize_key(data["key_type"], data.get("key_value"))
        return data


class EntryDeleteIn(StrictSerializer):
    reason = serializers.ChoiceField(choices=[r.value for r in DeleteReason], required=False)


class EntryOut(serializers.ModelSerializer):
    account_id = serializers.IntegerField()

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
        ]
