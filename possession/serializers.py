"""Input and output shapes for possession challenges."""

from django.utils import timezone
from rest_framework import serializers

from common.strict_input import StrictSerializer
from dict_rules.keys import KEY_MAX_LENGTH
from dict_rules.possession import POSSESSION_KEY_TYPES
from possession.domain import CODE_PATTERN, attempts_left, challenge_status
from possession.models import PossessionChallenge


class ChallengeStartIn(StrictSerializer):
    key_type = serializers.ChoiceField(choices=sorted(POSSESSION_KEY_TYPES))
    key = serializers.CharField(max_length=KEY_MAX_LENGTH)


class ChallengeConfirmIn(StrictSerializer):
    # Not trimmed: " 123456" is malformed here as over gRPC, not a wrong code spending an attempt.
    code = serializers.RegexField(
        CODE_PATTERN, trim_whitespace=False, help_text="The 6-digit code sent to the phone or e-mail."
    )


class ChallengeOut(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    attempts_left = serializers.SerializerMethodField()

    class Meta:
        model = PossessionChallenge
        fields = ["id", "key_type", "key", "status", "attempts_left", "created_at", "expires_at", "confirmed_at"]

    def get_status(self, challenge: PossessionChallenge) -> str:
        return challenge_status(challenge.facts, now=timezone.now())

    def get_attempts_left(self, challenge: PossessionChallenge) -> int:
        return attempts_left(challenge.facts)
