"""The FRAUD win-back: the old holder proves possession in days 8-14 of an ownership claim and keeps
its phone key (DICT_RULES §4.4, top-10 fact 5; dict_rules.claims.is_win_back), against the
in-process directory. The other PSP (participant 99999901) is played by calling dictsim directly."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Q

from claims.models import Claim
from claims.services import claim_respond, claims_poll, claims_sweep
from dict_rules.claims import WIN_BACK_RESERVATION
from dict_rules.errors import ClaimOperationInvalid, EntryLockedByClaim, PossessionNotProven
from dictsim import claims as dir_claims
from dictsim import clock
from dictsim import services as dir_entries
from dictsim.models import DirEntry
from keys import services as key_services
from keys.models import Entry, requester_fields
from keys.sync import sync_check
from rfb.services import simulated_registration_set
from tests.factories import (
    DAY,
    OTHER_ACCOUNT,
    OTHER_PSP,
    claim_on_our_key,
    code,
    confirmed_device,
    new_phone,
    our_key,
    possession_proof,
    refusal,
    request,
    stranger,
)

pytestmark = pytest.mark.django_db


def confirmed_by_default(make_account):
    """Our customer's phone key, claimed by a stranger at the other PSP; day 7 passed unanswered, so our
    sweep confirmed it (DEFAULT_OPERATION) and our entry is deleted. Returns the claim, the entry and
    the stranger."""
    account = make_account()
    entry = our_key(account, "PHONE", new_phone())
    claimer = stranger()
    claim_on_our_key(entry, "OWNERSHIP", claimer)
    claims_poll()
    assert claims_sweep(now=clock.advance(7 * DAY + timedelta(seconds=1))) == {"confirm_ownership": 1}
    entry.refresh_from_db()
    assert entry.status == "DELETED"
    return Claim.objects.get(role="DONOR", key=entry.key_value), entry, claimer


def test_a_fraud_cancel_in_days_8_to_14_gives_the_old_holder_an_active_key_and_no_one_else(
    make_account, django_capture_on_commit_callbacks
) -> None:
    claim, gone, claimer = confirmed_by_default(make_account)
    user = gone.account.holder.user
    phone = gone.key_value
    clock.advance(3 * DAY)  # day 10
    with pytest.raises(EntryLockedByClaim):  # the claim holds the key: no one registers it
        dir_entries.entry_create(participant=OTHER_PSP, request=request("PHONE", phone, claimer, OTHER_ACCOUNT))

    proof = possession_proof(user, "PHONE", phone)  # the code sent to the phone, entered by the old holder
    with django_capture_on_commit_callbacks() as registrations:
        claim = claim_respond(
            user=user, claim_id=claim.pk, accept=False, otp=code(confirmed_device(user)), possession_challenge_id=proof
        )
    assert (claim.status, claim.cancel_reason, claim.cancelled_by) == ("CANCELLED", "FRAUD", "DONOR")
    restored = Entry.objects.get(key_value=phone, status="PENDING")
    assert (restored.account_id, restored.requested_by_kind) == (gone.account_id, "SYSTEM")
    # DICT cancelled the claim and we have not registered the key yet: it is kept for us meanwhile.
    with pytest.raises(EntryLockedByClaim):
        dir_entries.entry_create(participant=OTHER_PSP, request=request("PHONE", phone, claimer, OTHER_ACCOUNT))

    assert registrations  # the registration is handed to a worker once the cancel commits; the worker's call:
    restored = key_services.entry_register(entry_id=restored.pk)

    at_dict = DirEntry.objects.get(key=phone)
    assert restored.status == "ACTIVE"
    assert (at_dict.participant, at_dict.owner_tax_id) == (settings.DICT_ISPB, gone.account.holder.tax_id)
    assert restored.cid == at_dict.cid != gone.cid  # DICT's CID, of the new registration
    gone.refresh_from_db()
    assert gone.status == "DELETED"
    assert all(report.ok for report in sync_check())
    claims_poll()  # replaying DICT's state restores nothing twice
    assert Entry.objects.filter(key_value=phone).count() == 2


def test_a_key_won_back_onto_an_account_closed_meanwhile_is_deleted_as_it_becomes_active(
    make_account, django_capture_on_commit_callbacks
) -> None:
    """The account closed after the win-back stored the restored entry (PENDING) but before the worker
    registered it: DICT's answer makes it ACTIVE and asks its deletion with ACCOUNT_CLOSURE in one commit."""
    from accounts.services import account_close

    claim, gone, _ = confirmed_by_default(make_account)
    user = gone.account.holder.user
    clock.advance(3 * DAY)  # day 10
    proof = possession_proof(user, "PHONE", gone.key_value)
    with django_capture_on_commit_callbacks():  # the registration's worker has not run yet
        claim_respond(
            user=user, claim_id=claim.pk, accept=False, otp=code(confirmed_device(user)), possession_challenge_id=proof
        )
    restored = Entry.objects.get(key_value=gone.key_value, status="PENDING")
    assert account_close(account_id=gone.account_id).keys_left == 1

    with django_capture_on_commit_callbacks(execute=True) as deletions:
        assert key_services.entry_register(entry_id=restored.pk).status == "DELETE_PENDING"

    assert len(deletions) >= 1  # the deletion is handed to a worker once the activation commits
    restored.refresh_from_db()
    assert (restored.status, restored.delete_reason) == ("DELETED", "ACCOUNT_CLOSURE")
    assert not DirEntry.objects.filter(key=gone.key_value).exists()


def test_the_kept_key_is_free_again_once_the_reservation_ends_if_the_donor_never_came_back(make_account) -> None:
    claim, gone, claimer = confirmed_by_default(make_account)
    dir_claims.claim_cancel(participant=settings.DICT_ISPB, claim_id=claim.dict_id, reason="FRAUD")
    assert dir_entries.won_back_by(gone.key_value, clock.now()) == settings.DICT_ISPB
    clock.advance(WIN_BACK_RESERVATION + timedelta(seconds=1))
    entry_request = request("PHONE", gone.key_value, claimer, OTHER_ACCOUNT)
    assert dir_entries.entry_create(participant=OTHER_PSP, request=entry_request).key == gone.key_value


def test_after_day_14_possession_can_no_longer_be_proven(make_account) -> None:
    claim, gone, _ = confirmed_by_default(make_account)
    clock.advance(7 * DAY)  # day 14 and a second
    user = gone.account.holder.user
    with pytest.raises(ClaimOperationInvalid):
        claim_respond(user=user, claim_id=claim.pk, accept=False, otp=code(confirmed_device(user)), now=clock.now())
    with pytest.raises(ClaimOperationInvalid):  # DICT refuses it too
        dir_claims.claim_cancel(participant=settings.DICT_ISPB, claim_id=claim.dict_id, reason="FRAUD")
    assert not Entry.objects.filter(key_value=gone.key_value, status__in=["PENDING", "ACTIVE"]).exists()


def test_the_totp_alone_does_not_win_the_key_back_nor_a_proof_older_than_the_claim(make_account) -> None:
    """The TOTP authenticates the customer; only the code sent to the phone proves it still has it
    (DICT_RULES §4.4). Without that proof, or with one confirmed before DICT opened the claim, the
    cancel is refused before DICT is asked: the claim stays CONFIRMED and no entry comes back."""
    account = make_account()
    phone = new_phone()
    stale = possession_proof(account.holder.user, "PHONE", phone, now=clock.now() - timedelta(minutes=1))
    entry = our_key(account, "PHONE", phone)
    claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    claims_sweep(now=clock.advance(7 * DAY + timedelta(seconds=1)))
    claim = Claim.objects.get(role="DONOR", key=phone)
    user, device = account.holder.user, confirmed_device(account.holder.user)
    clock.advance(DAY)

    for proof, drift in ((None, -1), (stale, 0)):
        error = refusal(
            lambda proof=proof, drift=drift: claim_respond(
                user=user, claim_id=claim.pk, accept=False, otp=code(device, drift), possession_challenge_id=proof
            )
        )
        assert isinstance(error, PossessionNotProven)

    claim.refresh_from_db()
    assert claim.status == "CONFIRMED"
    assert dir_claims.claim_get(participant=settings.DICT_ISPB, claim_id=claim.dict_id).status == "CONFIRMED"
    assert not Entry.objects.filter(key_value=phone, status__in=["PENDING", "ACTIVE"]).exists()


def test_a_live_entry_committed_meanwhile_wins_and_the_cancel_is_still_stored(make_account, monkeypatch) -> None:
    """The restore's "live here already?" read takes no lock: another live entry for the key may be
    committed before its insert. The unique index then refuses the insert inside a savepoint, so the
    cancel DICT accepted is stored all the same, and the other entry stays."""
    claim, gone, _ = confirmed_by_default(make_account)
    user = gone.account.holder.user
    other = Entry.objects.create(
        account=make_account(),
        key_type="PHONE",
        key_value=gone.key_value,
        request_id=uuid.uuid4(),
        **requester_fields(None),
    )
    monkeypatch.setattr(key_services, "LIVE", Q(pk__in=[]))  # the read that misses the concurrent commit

    proof = possession_proof(user, "PHONE", gone.key_value)
    claim = claim_respond(
        user=user, claim_id=claim.pk, accept=False, otp=code(confirmed_device(user)), possession_challenge_id=proof
    )

    claim.refresh_from_db()
    assert (claim.status, claim.cancel_reason) == ("CANCELLED", "FRAUD")
    assert list(Entry.objects.filter(key_value=gone.key_value, status="PENDING")) == [other]


def test_the_won_back_key_is_registered_again_only_if_its_owner_passes_receita_federal(
    make_account, django_capture_on_commit_callbacks
) -> None:
    """The restore is a registration no customer call made, so no one checked the owner: entry_register
    checks it at RFB before DICT is asked, and an irregular CPF leaves the entry FAILED, not at DICT."""
    claim, gone, _ = confirmed_by_default(make_account)
    user = gone.account.holder.user
    simulated_registration_set(tax_id=gone.account.holder.tax_id, status="SUSPENDED")

    proof = possession_proof(user, "PHONE", gone.key_value)
    with django_capture_on_commit_callbacks() as registrations:
        claim_respond(
            user=user, claim_id=claim.pk, accept=False, otp=code(confirmed_device(user)), possession_challenge_id=proof
        )
    assert registrations  # the registration is handed to a worker once the cancel commits; the worker's call:
    restored = Entry.objects.get(key_value=gone.key_value, requested_by_kind="SYSTEM")
    restored = key_services.entry_register(entry_id=restored.pk)
    assert (restored.status, restored.failure_code) == ("FAILED", "OwnerTaxIdIrregular")
    assert not DirEntry.objects.filter(key=gone.key_value).exists()
