"""The PSP's own rules for possession challenges (BCB leaves code, expiry and limits to the PSP: MAN §2.1).

Pure: the status a challenge is in, and the limits, chosen strict: a 6-digit code lives 10 minutes and
takes 5 attempts; a confirmed proof must be used within 30 minutes; a holder may have at most 3 codes
sent to one key, and 10 in all, in any hour (so the API cannot be used to flood someone's phone).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CODE_DIGITS = 6
# The one shape of a code, for every interface that takes one (REST serializers, gRPC mappers).
CODE_PATTERN = rf"^[0-9]{{{CODE_DIGITS}}}$"
CODE_RE = re.compile(CODE_PATTERN)
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PROOF_TTL = timedelta(minutes=30)
SEND_WINDOW = timedelta(hours=1)
MAX_SENDS_PER_KEY = 3
MAX_SENDS_PER_HOLDER = 10
# From every customer together: N logins must not make the PSP send N × 3 codes an hour to a stranger.
MAX_SENDS_PER_DESTINATION = 5


class ChallengeStatus(StrEnum):
    PENDING = "PENDING"  # the code was sent; waiting for the holder to enter it
    CONFIRMED = "CONFIRMED"  # a proof, not used yet
    USED = "USED"  # the proof registered a key or completed a claim
    EXPIRED = "EXPIRED"  # the code, or the unused proof, outlived its time
    LOCKED = "LOCKED"  # every attempt was a wrong code


@dataclass(frozen=True)
class ChallengeFacts:
    expires_at: datetime
    attempts: int
    confirmed_at: datetime | None
    used_at: datetime | None


def challenge_status(facts: ChallengeFacts, *, now: datetime) -> ChallengeStatus:
    if facts.used_at is not None:
        return ChallengeStatus.USED
    if facts.confirmed_at is not None:
        return ChallengeStatus.CONFIRMED if now < facts.confirmed_at + PROOF_TTL else ChallengeStatus.EXPIRED
    if facts.attempts >= MAX_ATTEMPTS:
        return ChallengeStatus.LOCKED
    return ChallengeStatus.PENDING if now < facts.expires_at else ChallengeStatus.EXPIRED


def attempts_left(facts: ChallengeFacts) -> int:
    return max(MAX_ATTEMPTS - facts.attempts, 0)
