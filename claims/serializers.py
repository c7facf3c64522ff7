"""Input and output shapes for claims and portabilities (both are claims underneath)."""

from rest_framework import serializers

from accounts.second_factor import OTP_PATTERN
from claims.models import Claim
from claims.selectors import claim_time_left
from common.strict_input import StrictSerializer, StrictUUIDField
from dict_rules.claims import OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE, ClaimReason
from dict_rules.keys import KEY_MAX_LENGTH, KeyType

OTP_FIELD = serializers.RegexField(OTP_PATTERN, help_text="The current 6-digit code of the caller's TOTP app.")


class OwnershipClaimIn(StrictSerializer):
    account_id = serializers.IntegerField(min_value=1)
    key = serializers.CharField(max_length=KEY_MAX_LENGTH)
    key_type = serializers.ChoiceField(choices=[t.value for t in KeyType], default=OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE)
    request_id = StrictUUIDField()


class PortabilityIn(StrictSerializer):
    account_id = serializers.IntegerField(min_value=1)
    key_type = serializers.ChoiceField(choices=[t.value for t in KeyType])
    key = serializers.CharField(max_length=KEY_MAX_LENGTH)
    request_id = StrictUUIDField()


class OtpIn(StrictSerializer):
    otp = OTP_FIELD


def proof_field() -> StrictUUIDField:
    """The donor's proof for a FRAUD cancel of an ownership claim: the code sent to the phone is the proof."""
    return StrictUUIDField(
        default=None,
        allow_null=True,
        help_text="Rejecting an ownership claim on the caller's phone key: a possession challenge for that "
        "phone, confirmed after the claim was opened.",
    )


class RespondIn(OtpIn):
    decision = serializers.ChoiceField(choices=["accept", "reject"])
    possession_challenge_id = proof_field()


class CompleteIn(StrictSerializer):
    possession_challenge_id = StrictUUIDField(
        help_text="A possession challenge for the claimed phone, confirmed after the completion period ended."
    )


class CancelIn(OtpIn):
    reason = serializers.ChoiceField(choices=[r.value for r in ClaimReason], required=False)
    possession_challenge_id = proof_field()


class ClaimOut(serializers.ModelSerializer):
    account_id = serializers.IntegerField(allow_null=True)
    entry_id = serializers.UUIDField(allow_null=True)
    type = serializers.CharField(source="claim_type")
    time_left_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "dict_id",
            "type",
            "role",
            "status",
            "key_type",
            "key",
            "account_id",
            "entry_id",
            "donor_participant",
            "claimer_participant",
            "dict_created_at",
            "resolution_period_end",
            "completion_period_end",
            "last_modified",
            "time_left_seconds",
            "confirm_reason",
            "cancel_reason",
            "cancelled_by",
            "request_id",
        ]

    def get_time_left_seconds(self, claim: Claim) -> int | None:
        left = claim_time_left(claim)
        return None if left is None else int(left.total_seconds())
