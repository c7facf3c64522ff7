"""Possession of PHONE and EMAIL keys (DICT_RULES §1): the challenge service, its limits, the proof it
gives, and the key and REST edges that require it. Codes are read where they were delivered."""

import logging
import re
import socket
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dict_rules.errors import (
    BadRequest,
    NotFound,
    PossessionChallengeExpired,
    PossessionCodeInvalid,
    PossessionNotProven,
    RateLimited,
    ServiceUnavailable,
)
from keys.models import Entry
from keys.services import entry_create
from possession.delivery import MemorySmsSender
from possession.domain import (
    CODE_TTL,
    MAX_ATTEMPTS,
    MAX_SENDS_PER_DESTINATION,
    MAX_SENDS_PER_HOLDER,
    MAX_SENDS_PER_KEY,
    PROOF_TTL,
    SEND_WINDOW,
)
from possession.models import PossessionChallenge
from possession.services import challenge_confirm, challenge_start, proof_use
from tests.factories import new_phone, possession_proof, refusal, sent_code

pytestmark = pytest.mark.django_db

SMTP = "django.core.mail.backends.smtp.EmailBackend"

# Six digits standing alone: a code, not a run of digits inside an id.
CODE_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def start(user, key_type: str = "PHONE", key: str | None = None, **kwargs) -> PossessionChallenge:
    return challenge_start(user=user, key_type=key_type, key=key or new_phone(), **kwargs)


def create_key(account, key_type: str, key: str, proof: uuid.UUID | None, request_id: uuid.UUID | None = None):
    return entry_create(
        user=account.holder.user,
        account_id=account.pk,
        key_type=key_type,
        key_value=key,
        request_id=request_id or uuid.uuid4(),
        possession_challenge_id=proof,
    )


# --- sending and confirming ------------------------------------------------------------------------------


def test_a_code_goes_to_the_phone_by_sms_and_to_the_email_by_mail_and_is_stored_only_hashed(make_account) -> None:
    user = make_account().holder.user
    phone = new_phone()
    by_sms = start(user, "PHONE", phone)
    by_mail = start(user, "EMAIL", "Someone@Example.com")

    assert [m.phone for m in MemorySmsSender.outbox] == [phone]
    assert [m.to for m in mail.outbox] == [["someone@example.com"]]  # the key as DICT stores it
    for challenge, key in ((by_sms, phone), (by_mail, "someone@example.com")):
        code = sent_code(key)
        stored = PossessionChallenge.objects.filter(pk=challenge.pk).values().get()
        assert code not in "".join(str(value) for value in stored.values())
        assert len(stored["code_hash"]) == 64


def test_the_right_code_confirms_the_challenge(make_account) -> None:
    user = make_account().holder.user
    challenge = start(user)

    confirmed = challenge_confirm(user=user, challenge_id=challenge.pk, code=sent_code(challenge.key))

    assert (confirmed.attempts, confirmed.confirmed_at is not None) == (1, True)


@pytest.mark.parametrize("spent", [False, True], ids=["confirmed", "used"])
def test_a_challenge_no_longer_pending_answers_one_refusal_whatever_the_code(make_account, spent) -> None:
    """No oracle: once confirmed (or its proof used), a right and a wrong code get the same answer and
    neither spends an attempt, so guesses against it cost nothing and tell nothing."""
    user = make_account().holder.user
    challenge = start(user)
    code = sent_code(challenge.key)
    challenge_confirm(user=user, challenge_id=challenge.pk, code=code)
    if spent:
        proof_use(
            holder_id=challenge.holder_id, key_type="PHONE", key=challenge.key, challenge_id=challenge.pk, used_for="t"
        )

    right = refusal(lambda: challenge_confirm(user=user, challenge_id=challenge.pk, code=code))
    guess = refusal(lambda: challenge_confirm(user=user, challenge_id=challenge.pk, code=wrong(code)))

    assert type(right) is type(guess) is PossessionChallengeExpired
    assert (right.message, right.fields) == (guess.message, guess.fields)
    challenge.refresh_from_db()
    assert challenge.attempts == 1


def test_each_wrong_code_spends_an_attempt_and_then_even_the_right_one_is_refused(make_account) -> None:
    user = make_account().holder.user
    challenge = start(user)
    code = sent_code(challenge.key)
    for left in range(MAX_ATTEMPTS - 1, -1, -1):
        error = refusal(lambda: challenge_confirm(user=user, challenge_id=challenge.pk, code=wrong(code)))
        assert isinstance(error, PossessionCodeInvalid)
        assert f"{left} attempts left" in error.message

    error = refusal(lambda: challenge_confirm(user=user, challenge_id=challenge.pk, code=code))

    assert isinstance(error, PossessionChallengeExpired)
    challenge.refresh_from_db()
    assert (challenge.attempts, challenge.confirmed_at) == (MAX_ATTEMPTS, None)


def test_a_code_expires(make_account) -> None:
    user = make_account().holder.user
    challenge = start(user)
    late = challenge.created_at + CODE_TTL

    error = refusal(
        lambda: challenge_confirm(user=user, challenge_id=challenge.pk, code=sent_code(challenge.key), now=late)
    )

    assert isinstance(error, PossessionChallengeExpired)


def test_another_holders_challenge_does_not_exist_for_the_caller(make_account) -> None:
    owner, other = make_account().holder.user, make_account().holder.user
    challenge = start(owner)

    error = refusal(lambda: challenge_confirm(user=other, challenge_id=challenge.pk, code=sent_code(challenge.key)))

    assert isinstance(error, NotFound)
    challenge.refresh_from_db()
    assert challenge.attempts == 0


def test_only_phone_and_email_keys_take_a_challenge(make_account) -> None:
    account = make_account()
    error = refusal(lambda: start(account.holder.user, "CPF", account.holder.tax_id))
    assert isinstance(error, BadRequest)
    assert [f.field for f in error.fields] == ["key_type"]
    assert PossessionChallenge.objects.count() == 0


def test_codes_to_one_key_and_from_one_holder_are_limited_per_rolling_hour(make_account) -> None:
    user = make_account().holder.user
    now = timezone.now()
    phone = new_phone()
    for _ in range(MAX_SENDS_PER_KEY):
        start(user, "PHONE", phone, now=now)

    error = refusal(lambda: start(user, "PHONE", phone, now=now + timedelta(minutes=30)))

    assert isinstance(error, RateLimited)
    assert error.retry_after == int((SEND_WINDOW - timedelta(minutes=30)).total_seconds())
    assert len([m for m in MemorySmsSender.outbox if m.phone == phone]) == MAX_SENDS_PER_KEY
    start(user, "PHONE", phone, now=now + SEND_WINDOW)  # the first send has left the window
    for _ in range(MAX_SENDS_PER_HOLDER - 1):  # one key each
        start(user, now=now + SEND_WINDOW)
    assert isinstance(refusal(lambda: start(user, now=now + SEND_WINDOW)), RateLimited)  # any other key too


def test_codes_to_one_key_from_every_customer_together_are_limited(make_account) -> None:
    """Many logins cannot make the PSP flood a stranger's phone: the key's own limit counts every sender."""
    phone, now = new_phone(), timezone.now()
    senders = [make_account().holder.user for _ in range(MAX_SENDS_PER_DESTINATION)]
    for user in senders:  # one code each, under every holder's own limit
        start(user, "PHONE", phone, now=now)

    error = refusal(lambda: start(make_account().holder.user, "PHONE", phone, now=now))

    assert isinstance(error, RateLimited)
    assert len([m for m in MemorySmsSender.outbox if m.phone == phone]) == MAX_SENDS_PER_DESTINATION
    start(senders[0], "PHONE", new_phone(), now=now)  # the limit is the key's: other keys still get codes


def test_a_code_with_spaces_is_malformed_over_rest_and_spends_no_attempt(make_account, client_for) -> None:
    user = make_account().holder.user
    challenge = start(user, "PHONE")
    code = sent_code(challenge.key)

    answer = client_for(user).post(
        f"/api/v1/keys/possession-challenges/{challenge.pk}/confirm/", {"code": f" {code}"}, format="json"
    )

    assert answer.status_code == 400, answer.content
    challenge.refresh_from_db()
    assert challenge.attempts == 0


def test_the_code_never_reaches_a_log_line(make_account, settings, caplog) -> None:
    """The logging SMS adapter (a deployment without a gateway) says a code was sent, never which."""
    settings.POSSESSION_SMS_SENDER = "possession.delivery.LoggingSmsSender"
    user = make_account().holder.user
    with caplog.at_level(logging.DEBUG):
        start(user)

    assert "verification code" in caplog.text
    assert not [r for r in caplog.records if CODE_LIKE.search(r.getMessage())]
    assert MemorySmsSender.outbox == []


# --- the proof, spent on a key -----------------------------------------------------------------------------


def test_a_phone_or_email_key_is_refused_without_a_proof_and_nothing_is_written(make_account) -> None:
    account = make_account()
    for key_type, key in (("PHONE", new_phone()), ("EMAIL", "mine@example.com")):
        error = refusal(lambda key_type=key_type, key=key: create_key(account, key_type, key, None))
        assert isinstance(error, PossessionNotProven)
        assert [f.field for f in error.fields] == ["possession_challenge_id"]
    unconfirmed = start(account.holder.user, "EMAIL", "mine@example.com").pk
    assert isinstance(
        refusal(lambda: create_key(account, "EMAIL", "mine@example.com", unconfirmed)), PossessionNotProven
    )
    assert not Entry.objects.exists()


def test_a_proof_registers_its_key_once_and_a_retry_of_that_call_needs_no_other(make_account) -> None:
    account = make_account()
    phone, request_id = new_phone(), uuid.uuid4()
    proof = possession_proof(account.holder.user, "PHONE", phone)

    entry, replayed = create_key(account, "PHONE", phone, proof, request_id)
    again, replayed_again = create_key(account, "PHONE", phone, None, request_id)

    assert (replayed, replayed_again, again.pk) == (False, True, entry.pk)
    assert PossessionChallenge.objects.get(pk=proof).used_for == f"entry:{entry.pk}"
    entry.status = "DELETED"
    entry.save(update_fields=["status"])
    error = refusal(lambda: create_key(account, "PHONE", phone, proof))  # single use, even for the same key
    assert isinstance(error, PossessionNotProven)


def test_a_proof_is_bound_to_its_holder_key_type_and_key(make_account) -> None:
    account, other = make_account(), make_account()
    phone = new_phone()
    proof = possession_proof(account.holder.user, "PHONE", phone)

    for owner, key_type, key in (
        (other, "PHONE", phone),
        (account, "PHONE", new_phone()),
        (account, "EMAIL", "x@a.com"),
    ):
        error = refusal(lambda owner=owner, key_type=key_type, key=key: create_key(owner, key_type, key, proof))
        assert isinstance(error, PossessionNotProven)
    assert PossessionChallenge.objects.get(pk=proof).used_at is None
    create_key(account, "PHONE", phone, proof)


def test_an_unused_proof_expires(make_account) -> None:
    account = make_account()
    phone = new_phone()
    proof = possession_proof(account.holder.user, "PHONE", phone)
    confirmed_at = PossessionChallenge.objects.get(pk=proof).confirmed_at

    def use(now):
        return proof_use(
            holder_id=account.holder_id, key_type="PHONE", key=phone, challenge_id=proof, used_for="test", now=now
        )

    assert isinstance(refusal(lambda: use(confirmed_at + PROOF_TTL)), PossessionNotProven)
    assert use(confirmed_at + PROOF_TTL - timedelta(seconds=1)).used_for == "test"


def test_a_proof_older_than_the_deadline_given_is_refused(make_account) -> None:
    account = make_account()
    phone = new_phone()
    proof = possession_proof(account.holder.user, "PHONE", phone)
    confirmed_at = PossessionChallenge.objects.get(pk=proof).confirmed_at
    args = {"holder_id": account.holder_id, "key_type": "PHONE", "key": phone, "challenge_id": proof, "used_for": "x"}

    assert isinstance(
        refusal(lambda: proof_use(**args, confirmed_after=confirmed_at + timedelta(seconds=1))), PossessionNotProven
    )
    assert proof_use(**args, confirmed_after=confirmed_at).used_for == "x"


def test_a_code_that_cannot_be_sent_is_a_retryable_refusal_logged_without_the_message(
    make_account, settings, caplog
) -> None:
    with socket.socket() as closed:  # an SMTP server that is not there
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = closed.getsockname()[1]
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = SMTP, "127.0.0.1", 1
    user = make_account().holder.user
    with caplog.at_level(logging.WARNING):
        error = refusal(lambda: start(user, "EMAIL", "down@example.com"))

    assert isinstance(error, ServiceUnavailable)
    assert "ConnectionRefusedError" in caplog.text
    assert not [r for r in caplog.records if r.exc_info or CODE_LIKE.search(r.getMessage())]
