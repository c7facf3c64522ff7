"""Write use cases for possession: send a code to a phone or e-mail, confirm it, use the proof once.

A challenge is written (the code only as an HMAC under the secret key, salted with the challenge's id)
under the holder's row lock, which serialises the send limits, and the code is sent once that commits.
Confirming counts every attempt under the challenge's row lock and compares in constant time. A confirmed
challenge is a proof, bound to its holder, key type and key: ``proof_use`` spends it inside the caller's
transaction (creating the entry, binding the claim), so a refusal later in that transaction gives it back.
"""

import logging
import secrets
from datetime import datetime
from math import ceil
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Holder
from dict_rules.errors import (
    BadRequest,
    DomainError,
    NotFound,
    PossessionChallengeExpired,
    PossessionCodeInvalid,
    PossessionNotProven,
    RateLimited,
    ServiceUnavailable,
)
from dict_rules.keys import normalize_key
from dict_rules.possession import needs_possession_proof
from possession.delivery import deliver
from possession.domain import (
    CODE_DIGITS,
    CODE_TTL,
    MAX_SENDS_PER_DESTINATION,
    MAX_SENDS_PER_HOLDER,
    MAX_SENDS_PER_KEY,
    SEND_WINDOW,
    ChallengeStatus,
    attempts_left,
    challenge_status,
)
from possession.models import PossessionChallenge
from possession.selectors import challenge_list

logger = logging.getLogger(__name__)

PROOF_FIELD = "possession_challenge_id"


def _code_hash(challenge_id: UUID, code: str) -> str:
    return salted_hmac("possession.code", f"{challenge_id}:{code}", algorithm="sha256").hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _check_send_limits(holder: Holder, key_type: str, key: str, now: datetime) -> None:
    """Per SEND_WINDOW (rolling): at most MAX_SENDS_PER_KEY codes from a holder to one key,
    MAX_SENDS_PER_HOLDER from a holder in all, and MAX_SENDS_PER_DESTINATION to one key from everyone,
    so the API floods no phone or mailbox; the refusal says when the oldest send leaves the window.
    The holder's row lock serialises one holder's sends; sends of different holders to one key racing
    each other may pass the last limit by the few that raced, never by a flood."""
    recent = PossessionChallenge.objects.filter(created_at__gt=now - SEND_WINDOW)
    to_key = recent.filter(key_type=key_type, key=key)
    for sent, limit in (
        (to_key.filter(holder=holder), MAX_SENDS_PER_KEY),
        (recent.filter(holder=holder), MAX_SENDS_PER_HOLDER),
        (to_key, MAX_SENDS_PER_DESTINATION),
    ):
        times = list(sent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            wait = (times[-1] + SEND_WINDOW - now).total_seconds()
            raise RateLimited("too many verification codes were sent; try again later.", retry_after=max(1, ceil(wait)))


def challenge_start(
    *, user: AbstractBaseUser, key_type: str, key: str | None, now: datetime | None = None
) -> PossessionChallenge:
    """Send a new code to the phone or e-mail ``key`` for the user's holder (DICT_RULES §1, MAN §2.1)."""
    if not needs_possession_proof(key_type):
        raise BadRequest.on_field("key_type", "possession is proven with a code for PHONE and EMAIL keys only.")
    key = normalize_key(key_type, key, field="key")
    now = now or timezone.now()
    code = _new_code()
    with transaction.atomic():
        holder = Holder.objects.select_for_update().filter(user=user).first() if user.is_authenticated else None
        if holder is None:
            raise NotFound("No customer acts through this login.")
        _check_send_limits(holder, key_type, key, now)
        challenge = PossessionChallenge(holder=holder, key_type=key_type, key=key, created_at=now)
        challenge.expires_at = now + CODE_TTL
        challenge.code_hash = _code_hash(challenge.pk, code)
        challenge.save()
    try:
        deliver(key_type=key_type, key=key, code=code)
    except Exception as error:  # its type only: a channel's message or traceback may quote the text, and the code
        logger.warning("could not deliver the code of possession challenge %s: %s", challenge.pk, type(error).__name__)
        raise ServiceUnavailable("the code could not be sent; try again shortly.") from None
    return challenge


# The one refusal for a challenge no longer PENDING, whatever the code: it neither spends an attempt nor
# tells whether a guess matched (no oracle once the right code was entered, or the proof spent).
_NOT_PENDING = "this challenge takes no more codes; start a new challenge."


def challenge_confirm(
    *, user: AbstractBaseUser, challenge_id: UUID, code: str, now: datetime | None = None
) -> PossessionChallenge:
    """The holder enters the code: right, the challenge becomes a proof; wrong, one attempt is spent.

    Only a PENDING challenge compares codes. Any other (confirmed, used, expired, locked) answers one
    fixed refusal whatever the code, so a guess costs nothing there and is told nothing: otherwise a
    confirmed challenge would confirm right guesses for free. The attempt is committed before a wrong
    code is refused, so refusals cannot be retried for free.
    """
    now = now or timezone.now()
    with transaction.atomic():
        challenge = challenge_list(user=user).select_for_update().filter(pk=challenge_id).first()
        if challenge is None:
            raise NotFound("Possession challenge not found.")
        if challenge_status(challenge.facts, now=now) is not ChallengeStatus.PENDING:
            refusal: DomainError = PossessionChallengeExpired(_NOT_PENDING)
        else:
            matches = constant_time_compare(challenge.code_hash, _code_hash(challenge.pk, code))
            challenge.attempts += 1
            if matches:
                challenge.confirmed_at = now
            challenge.save(update_fields=["attempts", "confirmed_at"])
            if matches:
                return challenge
            left = attempts_left(challenge.facts)
            refusal = PossessionCodeInvalid.on_field("code", f"the code is wrong; {left} attempts left.")
    raise refusal


def proof_use(
    *,
    holder_id: int,
    key_type: str,
    key: str,
    challenge_id: UUID | None,
    used_for: str,
    confirmed_after: datetime | None = None,
    now: datetime | None = None,
) -> PossessionChallenge:
    """Spend the holder's confirmed proof of ``key`` on ``used_for`` ("entry:<id>", "claim:<id>").

    Call it inside the transaction that makes the use (it locks the challenge): a refusal later in that
    transaction rolls the spending back. A proof already spent on this very use is returned (a retry).
    ``confirmed_after``: the proof must be newer (a claim's CompletionPeriodEnd). Anything else is
    PossessionNotProven naming the field, alike for a challenge of another holder or key, so the answer
    tells nothing of other people's challenges.
    """
    if challenge_id is None:
        raise PossessionNotProven.on_field(PROOF_FIELD, f"a {key_type} key needs a confirmed possession challenge.")
    now = now or timezone.now()
    challenge = PossessionChallenge.objects.select_for_update().filter(pk=challenge_id, holder_id=holder_id).first()
    if challenge is None or (challenge.key_type, challenge.key) != (key_type, key):
        raise PossessionNotProven.on_field(PROOF_FIELD, "no confirmed possession challenge of yours for this key.")
    if challenge.used_for == used_for:
        return challenge
    status = challenge_status(challenge.facts, now=now)
    if status is not ChallengeStatus.CONFIRMED:
        raise PossessionNotProven.on_field(PROOF_FIELD, f"the possession challenge is {status}, not a proof to use.")
    if confirmed_after is not None and challenge.confirmed_at < confirmed_after:
        raise PossessionNotProven.on_field(PROOF_FIELD, "possession must be proven again after this deadline.")
    challenge.used_at, challenge.used_for = now, used_for
    challenge.save(update_fields=["used_at", "used_for"])
    return challenge
