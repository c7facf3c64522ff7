"""Claims end to end against the in-process directory: we as claimer and as donor, the poll, the
deadline sweep on the directory's advanced clock, concurrent sweeps, and refused moves.

Another PSP (participant 99999901) is played by calling dictsim directly.
"""

import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django_otp.oath import totp

from accounts import dict_view
from accounts.models import Account
from claims.models import Claim
from claims.services import (
    claim_cancel,
    claim_complete,
    claim_respond,
    claims_poll,
    claims_sweep,
    ownership_claim_start,
)
from connect.client import get_client
from dict_rules.directory import ClaimRequest
from dict_rules.errors import (
    ClaimCompletionPeriodNotEnded,
    ClaimKeyNotFound,
    ClaimOperationInvalid,
    EntryLimitExceeded,
    InvalidReason,
    PossessionNotProven,
    ServiceUnavailable,
)
from dictsim import claims as dir_claims
from dictsim import clock
from dictsim.models import DirClaim
from events.models import DomainEvent
from keys.models import Entry
from keys.services import entry_create
from keys.sync import sync_check
from portability.services import portability_start
from possession.models import PossessionChallenge
from tests.factories import (
    DAY,
    OTHER_PSP,
    claim_events,
    claim_on_our_key,
    confirmed_device,
    key_at_other_psp,
    new_phone,
    our_key,
    owner_of,
    possession_proof,
    refusal,
    stranger,
)

pytestmark = pytest.mark.django_db


def at_dict(claim: Claim):
    return dir_claims.claim_get(participant=OTHER_PSP, claim_id=claim.dict_id)


def test_portability_we_claim_is_completed_by_our_poll_once_the_donor_confirms(make_account) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "maria@example.com", owner_of(account))
    claim, replayed = portability_start(
        user=account.holder.user,
        account_id=account.pk,
        key_type="EMAIL",
        key="Maria@Example.com",
        request_id=uuid.uuid4(),
    )
    assert (replayed, claim.role, claim.status, claim.key) == (False, "CLAIMER", "OPEN", "maria@example.com")
    assert claim.donor_participant == OTHER_PSP and claim.completion_period_end is None
    dir_claims.claim_acknowledge(participant=OTHER_PSP, claim_id=claim.dict_id)
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=claim.dict_id, reason="USER_REQUESTED")

    claims_poll()

    claim.refresh_from_db()
    assert (claim.status, claim.confirm_reason) == ("COMPLETED", "USER_REQUESTED")
    entry = claim.entry
    assert (entry.status, entry.key_value, entry.account_id) == ("ACTIVE", "maria@example.com", account.pk)
    assert entry.dict_request_id == claim.complete_request_id
    assert len(entry.cid) == 64 and int(entry.cid, 16) >= 0
    assert all(report.ok for report in sync_check())
    assert claim_events(claim) == ["ClaimStarted", "ClaimConfirmed", "ClaimCompleted"]  # one poll saw both moves
    claims_poll()  # replaying DICT's state changes nothing
    assert Entry.objects.filter(key_value="maria@example.com").count() == 1


def test_portability_start_is_idempotent_and_dict_refusals_propagate(make_account) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", "same@example.com", owner_of(account))
    request_id = uuid.uuid4()
    first, _ = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key="same@example.com", request_id=request_id
    )
    again, replayed = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key="SAME@example.com", request_id=request_id
    )
    assert (again.pk, replayed) == (first.pk, True)
    with pytest.raises(ClaimKeyNotFound):
        portability_start(
            user=user, account_id=account.pk, key_type="EMAIL", key="nobody@example.com", request_id=uuid.uuid4()
        )
    assert Claim.objects.count() == 1


def test_a_claim_in_progress_holds_one_of_the_accounts_key_slots(make_account) -> None:
    account = make_account()  # a natural person's: 5 keys
    user = account.holder.user
    for n in range(4):
        our_key(account, "EMAIL", f"slot{n}.{account.pk}@example.com")
    key_at_other_psp("EMAIL", wanted := f"wanted.{account.pk}@example.com", owner_of(account))
    claim, _ = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key=wanted, request_id=uuid.uuid4()
    )

    with pytest.raises(EntryLimitExceeded):  # the fifth slot is the claim's
        entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
    key_at_other_psp("PHONE", phone := new_phone(), stranger())
    with pytest.raises(EntryLimitExceeded):  # refused before DICT is asked
        ownership_claim_start(user=user, account_id=account.pk, key=phone, request_id=uuid.uuid4())
    assert not DirClaim.objects.filter(key=phone).exists()

    claim_cancel(user=user, claim_id=claim.pk, otp=f"{totp(confirmed_device(user).bin_key):06d}")
    entry, _ = entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
    assert entry.status == "PENDING"  # the cancelled claim gave its slot back


def test_we_as_donor_acknowledge_at_once_and_the_customer_accepts_with_totp(make_account) -> None:
    account = make_account()
    entry = our_key(account, "EMAIL", "ana@example.com")
    remote = claim_on_our_key(entry, "PORTABILITY", owner_of(account))

    assert claims_poll()["seen_as_donor"] == 1

    claim = Claim.objects.get(dict_id=remote.id, role="DONOR")
    assert (claim.status, claim.entry_id) == ("WAITING_RESOLUTION", entry.pk)
    assert at_dict(claim).status == "WAITING_RESOLUTION"
    user = account.holder.user
    device = confirmed_device(user)
    claim_respond(user=user, claim_id=claim.pk, accept=True, otp=f"{totp(device.bin_key):06d}")
    claim.refresh_from_db()
    entry.refresh_from_db()
    assert (claim.status, claim.confirm_reason, entry.status) == ("CONFIRMED", "USER_REQUESTED", "DELETED")
    assert at_dict(claim).status == "CONFIRMED"
    assert claim_events(claim) == ["ClaimReceived", "ClaimAcknowledged", "ClaimConfirmed"]
    assert all(report.ok for report in sync_check())


def test_unanswered_portability_is_cancelled_by_our_sweep_after_seven_days(make_account) -> None:
    account = make_account()
    entry = our_key(account, "EMAIL", "bia@example.com")
    claim_on_our_key(entry, "PORTABILITY", owner_of(account))
    claims_poll()
    assert claims_sweep(now=clock.now()) == {}
    now = clock.advance(7 * DAY + timedelta(seconds=1))

    assert claims_sweep(now=now) == {"cancel_portability": 1}

    claim = Claim.objects.get(role="DONOR")
    assert (claim.status, claim.cancel_reason, claim.cancelled_by) == ("CANCELLED", "DEFAULT_OPERATION", "DONOR")
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"
    assert claims_sweep(now=now) == {}


def test_unanswered_ownership_claim_is_confirmed_by_our_sweep_at_day_seven(make_account) -> None:
    account = make_account()
    entry = our_key(account, "PHONE", new_phone())
    claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    now = clock.advance(7 * DAY + timedelta(seconds=1))

    assert claims_sweep(now=now) == {"confirm_ownership": 1}

    claim = Claim.objects.get(role="DONOR")
    entry.refresh_from_db()
    assert (claim.status, claim.confirm_reason, entry.status) == ("CONFIRMED", "DEFAULT_OPERATION", "DELETED")
    assert at_dict(claim).status == "CONFIRMED"


def ownership_we_claim(account: Account) -> Claim:
    """An ownership claim our customer made on a stranger's phone at the other PSP, acknowledged there."""
    phone = new_phone()
    key_at_other_psp("PHONE", phone, stranger())
    claim, _ = ownership_claim_start(
        user=account.holder.user, account_id=account.pk, key=phone, request_id=uuid.uuid4()
    )
    dir_claims.claim_acknowledge(participant=OTHER_PSP, claim_id=claim.dict_id)
    return claim


def test_ownership_claimer_completes_only_after_the_completion_period(make_account) -> None:
    account = make_account()
    claim = ownership_we_claim(account)
    clock.advance(7 * DAY + timedelta(seconds=1))
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=claim.dict_id, reason="DEFAULT_OPERATION")
    claims_poll(now=clock.now())
    claim.refresh_from_db()
    assert claim.status == "CONFIRMED"
    user = account.holder.user
    early_proof = possession_proof(user, "PHONE", claim.key, now=clock.now())
    early = refusal(lambda: claim_complete(user=user, claim_id=claim.pk, possession_challenge_id=early_proof))
    assert isinstance(early, ClaimCompletionPeriodNotEnded)
    assert claims_sweep(now=clock.now()) == {}

    now = clock.advance(7 * DAY)
    assert claims_sweep(now=now) == {}  # DICT would allow it: the sweep waits for our customer's proof
    claims_poll(now=now)
    unproven = refusal(lambda: claim_complete(user=user, claim_id=claim.pk, possession_challenge_id=None, now=now))
    stale = refusal(lambda: claim_complete(user=user, claim_id=claim.pk, possession_challenge_id=early_proof, now=now))
    assert isinstance(unproven, PossessionNotProven) and isinstance(stale, PossessionNotProven)  # proven too early
    claim.refresh_from_db()
    assert (claim.status, at_dict(claim).status) == ("CONFIRMED", "CONFIRMED")

    proof = possession_proof(user, "PHONE", claim.key, now=now)
    claim_complete(user=user, claim_id=claim.pk, possession_challenge_id=proof, now=now)

    claim.refresh_from_db()
    assert claim.status == "COMPLETED"
    assert (claim.entry.status, claim.entry.key_value) == ("ACTIVE", claim.key)
    assert PossessionChallenge.objects.get(pk=proof).used_for == f"claim:{claim.pk}"
    assert all(report.ok for report in sync_check())


def test_a_proven_claim_dict_could_not_complete_is_completed_by_the_sweep(make_account, settings) -> None:
    """The proof is bound to the claim before DICT is asked: if DICT is down then, the sweep completes it."""
    account = make_account()
    claim = ownership_we_claim(account)
    clock.advance(7 * DAY + timedelta(seconds=1))
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=claim.dict_id, reason="DEFAULT_OPERATION")
    now = clock.advance(7 * DAY)
    claims_poll(now=now)
    proof = possession_proof(account.holder.user, "PHONE", claim.key, now=now)
    settings.CONNECT_URL, settings.CONNECT_RETRY_ATTEMPTS = "127.0.0.1:1", 1  # a closed port: DICT unreachable
    get_client.cache_clear()
    try:
        down = refusal(
            lambda: claim_complete(user=account.holder.user, claim_id=claim.pk, possession_challenge_id=proof, now=now)
        )
    finally:
        settings.CONNECT_URL = ""
        get_client.cache_clear()
    assert isinstance(down, ServiceUnavailable)
    claim.refresh_from_db()
    assert claim.status == "CONFIRMED"

    assert claims_sweep(now=now) == {"complete_ownership": 1}

    claim.refresh_from_db()
    assert (claim.status, claim.entry.status) == ("COMPLETED", "ACTIVE")


def test_ownership_claimer_cancels_by_default_at_day_thirty(make_account) -> None:
    account = make_account()
    claim = ownership_we_claim(account)
    clock.advance(7 * DAY + timedelta(seconds=1))
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=claim.dict_id, reason="DEFAULT_OPERATION")
    claims_poll(now=clock.now())
    now = clock.advance(23 * DAY)

    assert claims_sweep(now=now) == {"cancel_ownership": 1}

    claim.refresh_from_db()
    assert (claim.status, claim.cancel_reason, claim.cancelled_by) == ("CANCELLED", "DEFAULT_OPERATION", "CLAIMER")
    assert claim.entry is None


def test_illegal_moves_are_refused_with_dicts_code_and_change_nothing(make_account) -> None:
    account = make_account()
    user = account.holder.user
    device = confirmed_device(user)
    entry = our_key(account, "PHONE", new_phone())
    claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    claim = Claim.objects.get(role="DONOR")
    # The donor refuses an ownership claim only by proving possession (FRAUD), never USER_REQUESTED.
    with pytest.raises(InvalidReason):
        claim_cancel(user=user, claim_id=claim.pk, otp=f"{totp(device.bin_key):06d}", reason="USER_REQUESTED")
    # Confirming is over once the resolution period has ended (then it is confirmed by default).
    with pytest.raises(ClaimOperationInvalid):
        claim_respond(
            user=user,
            claim_id=claim.pk,
            accept=True,
            otp=f"{totp(device.bin_key, drift=1):06d}",
            now=clock.now() + 8 * DAY,
        )
    claim.refresh_from_db()
    entry.refresh_from_db()
    assert (claim.status, at_dict(claim).status, entry.status) == ("WAITING_RESOLUTION", "WAITING_RESOLUTION", "ACTIVE")
    assert claim_events(claim) == ["ClaimReceived", "ClaimAcknowledged"]


@pytest.mark.django_db(transaction=True)  # the sweeps run on two threads, each with its own connection
def test_two_concurrent_sweeps_act_once_per_claim(make_account) -> None:
    for _ in range(4):
        account = make_account()
        claim_on_our_key(our_key(account, "EMAIL", f"{uuid.uuid4().hex}@example.com"), "PORTABILITY", owner_of(account))
    claims_poll()
    now = clock.advance(7 * DAY + timedelta(seconds=1))
    results, barrier = [], threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(claims_sweep(now=now, batch=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.get("cancel_portability", 0) for result in results) == 4
    assert not any(result.get("refused") for result in results)
    assert set(Claim.objects.values_list("status", flat=True)) == {"CANCELLED"}
    assert DomainEvent.objects.filter(aggregate_type="claim", event_type="ClaimCancelled").count() == 4


def test_a_claim_dict_accepted_but_we_lost_is_adopted_by_the_poll(make_account, settings) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "lost@example.com", owner_of(account))
    ours = dict_view.bank_account(account)
    request = ClaimRequest(
        claim_type="PORTABILITY",
        key="lost@example.com",
        key_type="EMAIL",
        claimer_account=ours,
        claimer=owner_of(account),
    )
    remote = dir_claims.claim_create(participant=settings.DICT_ISPB, request=request)

    claims_poll()

    claim = Claim.objects.get(dict_id=remote.id)
    assert (claim.role, claim.account_id, claim.requested_by) == ("CLAIMER", account.pk, account.holder.user)
    assert claim_events(claim) == ["ClaimAdopted"]


def test_sweep_command_acts_as_of_the_given_time(make_account) -> None:
    account = make_account()
    claim_on_our_key(our_key(account, "EMAIL", "cmd@example.com"), "PORTABILITY", owner_of(account))
    call_command("claims_poll", stdout=StringIO())
    out = StringIO()
    call_command("claims_sweep", "--now", clock.advance(8 * DAY).isoformat(), stdout=out)
    assert out.getvalue().strip() == "cancel_portability: 1"
