"""The simulated directory's claims (dictsim.claims), called directly, with its clock advanced instead of sleeping.

DICT_RULES §4: portability and ownership lifecycles, who may do what, the periods, the key lock,
listing. A refused operation also asserts that the directory did not change at all.
"""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dict_rules.directory import ClaimRequest, DirectoryClaim, Owner
from dict_rules.errors import (
    BadRequest,
    ClaimAlreadyExistsForKey,
    ClaimCompletionPeriodNotEnded,
    ClaimInvalid,
    ClaimKeyNotFound,
    ClaimOperationInvalid,
    ClaimResolutionPeriodNotEnded,
    ClaimTypeInconsistent,
    DomainError,
    EntryLockedByClaim,
    InvalidReason,
    NotFound,
    ParticipantInvalid,
)
from dictsim import claims, clock, services
from dictsim.models import DirCidEvent, DirClaim, DirEntry
from tests.factories import OTHER, OURS, ZERO, account, person, snapshot
from tests.factories import dir_create as create

pytestmark = pytest.mark.django_db

THIRD = "22222222"
PAYER = "12345678901"
PHONE = "+5511987650042"
DAYS7 = timedelta(days=7)


def claim_request(claim_type: str, key: str, key_type: str, claimer: Owner, participant: str = OURS) -> ClaimRequest:
    return ClaimRequest(claim_type, key, key_type, account(participant), claimer)


def state() -> tuple:
    """The directory's entries, CID history, VSyncs and claims, to show that a refusal changed nothing."""
    return snapshot(), sorted(DirClaim.objects.values_list("id", "status", "last_modified", "completion_period_end"))


def refused(error: type[DomainError], call) -> DomainError:
    before = state()
    with pytest.raises(error) as raised:
        call()
    assert type(raised.value) is error
    assert state() == before
    return raised.value


def portability() -> tuple[Owner, DirectoryClaim]:
    """Maria's CPF key held at OTHER, claimed by OURS for Maria's account here."""
    maria = person()
    create(OTHER, "CPF", maria.tax_id, maria, account(OTHER))
    return maria, claims.claim_create(
        participant=OURS, request=claim_request("PORTABILITY", maria.tax_id, "CPF", maria)
    )


def ownership(claimer_participant: str = OURS, key: str = PHONE) -> DirectoryClaim:
    """Maria's phone held at OTHER, claimed by João at ``claimer_participant``."""
    maria, joao = person(), person(name="Joao Souza")
    create(OTHER, "PHONE", key, maria, account(OTHER))
    request = claim_request("OWNERSHIP", key, "PHONE", joao, claimer_participant)
    return claims.claim_create(participant=claimer_participant, request=request)


def ack(claim: DirectoryClaim) -> DirectoryClaim:
    return claims.claim_acknowledge(participant=claim.donor_participant, claim_id=claim.id)


def test_portability_runs_open_acknowledged_confirmed_completed_and_moves_the_key() -> None:
    start = clock.now()
    maria, claim = portability()
    donor_entry = DirEntry.objects.get(key=maria.tax_id)
    assert (claim.status, claim.donor_participant, claim.claim_type, claim.key_type) == (
        "OPEN",
        OTHER,
        "PORTABILITY",
        "CPF",
    )
    assert start <= claim.created_at == claim.last_modified <= clock.now()
    assert (claim.resolution_period_end, claim.completion_period_end) == (claim.created_at + DAYS7, None)
    assert (
        claims.claim_get(participant=OTHER, claim_id=claim.id)
        == claim
        == claims.claim_get(participant=OURS, claim_id=claim.id)
    )

    acknowledged = ack(claim)
    assert acknowledged.status == "WAITING_RESOLUTION" and acknowledged.last_modified > claim.last_modified
    assert ack(claim) == acknowledged  # idempotent while WAITING_RESOLUTION

    confirmed = claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    assert (confirmed.status, confirmed.confirm_reason, confirmed.completion_period_end) == (
        "CONFIRMED",
        "USER_REQUESTED",
        None,
    )
    assert not DirEntry.objects.filter(key=maria.tax_id).exists()
    removed = DirCidEvent.objects.get(participant=OTHER, event="REMOVED")
    assert removed.cid == donor_entry.cid and removed.occurred_at >= confirmed.last_modified
    assert services.vsync_get(participant=OTHER, key_type="CPF") == ZERO

    request_id = uuid.uuid4()
    done = claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=request_id)
    entry = DirEntry.objects.get(key=maria.tax_id)
    assert done.claim.status == "COMPLETED"
    assert (entry.participant, entry.request_id, entry.owner_tax_id, entry.account_number) == (
        OURS,
        request_id,
        maria.tax_id,
        claim.claimer_account.number,
    )
    assert entry.cid == entry.content_id() != donor_entry.cid
    assert services.vsync_get(participant=OURS, key_type="CPF") == entry.cid
    assert DirCidEvent.objects.get(participant=OURS, event="ADDED").cid == entry.cid
    assert done.key_ownership_date == entry.key_ownership_date == donor_entry.key_ownership_date  # same owner
    assert done.entry_created_at == entry.created_at == done.claim.last_modified

    assert claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=request_id) == done
    refused(
        ClaimOperationInvalid,
        lambda: claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4()),
    )


def test_ownership_default_confirm_and_complete_wait_for_the_periods_on_the_directory_clock() -> None:
    claim = ack(ownership())
    assert claim.completion_period_end == claim.created_at + 2 * DAYS7
    donor_entry = DirEntry.objects.get(key=PHONE)
    refused(
        ClaimResolutionPeriodNotEnded,
        lambda: claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="DEFAULT_OPERATION"),
    )

    clock.advance(DAYS7)
    confirmed = claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="DEFAULT_OPERATION")
    assert (confirmed.status, confirmed.completion_period_end) == ("CONFIRMED", claim.completion_period_end)
    assert confirmed.last_modified >= claim.created_at + DAYS7
    # Days 8-14: the key is "not registered" for lookups, and locked for everyone else.
    with pytest.raises(NotFound):
        services.entry_get(participant=THIRD, key=PHONE, payer_id=PAYER, end_to_end_id="E1")
    maria = Owner(donor_entry.owner_type, donor_entry.owner_tax_id, donor_entry.owner_name, "")
    refused(EntryLockedByClaim, lambda: create(THIRD, "PHONE", PHONE, person(), account(THIRD)))
    refused(
        EntryLockedByClaim,
        lambda: services.entry_update(
            participant=OTHER, key=PHONE, account=account(OTHER), owner=maria, reason="USER_REQUESTED"
        ),
    )
    refused(EntryLockedByClaim, lambda: services.entry_delete(participant=OTHER, key=PHONE, reason="USER_REQUESTED"))
    refused(
        ClaimCompletionPeriodNotEnded,
        lambda: claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4()),
    )

    clock.advance(DAYS7)
    done = claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4())
    entry = DirEntry.objects.get(key=PHONE)
    assert (entry.participant, entry.owner_tax_id, entry.owner_name) == (OURS, claim.claimer.tax_id, "Joao Souza")
    assert done.key_ownership_date == entry.key_ownership_date == entry.created_at == done.claim.last_modified
    assert done.key_ownership_date >= claim.completion_period_end  # a new owner: ownership starts now


def test_user_requested_ownership_confirm_moves_the_completion_end_so_complete_works_at_once() -> None:
    claim = ack(ownership())
    confirmed = claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    assert confirmed.completion_period_end == confirmed.last_modified < claim.completion_period_end
    done = claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4())
    assert done.claim.status == "COMPLETED"
    late = ack(ownership(key="+5511987650043"))
    clock.advance(DAYS7)  # days 8-14: the donor's user can no longer confirm
    refused(
        ClaimOperationInvalid,
        lambda: claims.claim_confirm(participant=OTHER, claim_id=late.id, reason="USER_REQUESTED"),
    )


def test_one_participant_as_donor_and_claimer_acts_in_the_role_each_step_needs() -> None:
    claim = ownership(claimer_participant=OTHER)
    assert claim.donor_participant == claim.claimer_account.participant == OTHER
    assert ack(claim).status == "WAITING_RESOLUTION"
    claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    done = claims.claim_complete(participant=OTHER, claim_id=claim.id, request_id=uuid.uuid4())
    assert (done.claim.status, DirEntry.objects.get(key=PHONE).owner_tax_id) == ("COMPLETED", claim.claimer.tax_id)

    other = ownership(claimer_participant=OTHER, key="+5511987650044")
    cancelled = claims.claim_cancel(participant=OTHER, claim_id=other.id, reason="FRAUD")
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == ("CANCELLED", "FRAUD", "CLAIMER")


def test_a_portability_to_the_participant_holding_the_key_is_invalid() -> None:
    maria = person()
    create(OURS, "CPF", maria.tax_id, maria, account(OURS))
    refused(
        ClaimInvalid,
        lambda: claims.claim_create(participant=OURS, request=claim_request("PORTABILITY", maria.tax_id, "CPF", maria)),
    )


@pytest.mark.parametrize(
    ("claim_type", "key_type"), [("OWNERSHIP", "EVP"), ("OWNERSHIP", "EMAIL"), ("PORTABILITY", "EVP")]
)
def test_keys_that_cannot_be_claimed(claim_type: str, key_type: str) -> None:
    maria = person()
    key = create(OTHER, key_type, "maria@example.com" if key_type == "EMAIL" else None, maria, account(OTHER)).key
    claimer = maria if claim_type == "PORTABILITY" else person()
    request = claim_request(claim_type, key, key_type, claimer)
    refused(ClaimInvalid, lambda: claims.claim_create(participant=OURS, request=request))


def test_claim_type_must_match_who_owns_the_key() -> None:
    maria = person()
    create(OTHER, "PHONE", PHONE, maria, account(OTHER))
    own_key = claim_request("OWNERSHIP", PHONE, "PHONE", maria)
    someone_elses = claim_request("PORTABILITY", PHONE, "PHONE", person())
    refused(ClaimTypeInconsistent, lambda: claims.claim_create(participant=OURS, request=own_key))
    refused(ClaimTypeInconsistent, lambda: claims.claim_create(participant=OURS, request=someone_elses))


def test_create_refusals() -> None:
    maria = person()
    refused(
        ClaimKeyNotFound,
        lambda: claims.claim_create(participant=OURS, request=claim_request("OWNERSHIP", PHONE, "PHONE", maria)),
    )
    foreign = claim_request("OWNERSHIP", PHONE, "PHONE", maria, participant=THIRD)
    refused(ParticipantInvalid, lambda: claims.claim_create(participant=OURS, request=foreign))


def test_only_one_open_claim_per_key_and_a_new_one_after_cancel() -> None:
    claim = ownership()
    again = claim_request("OWNERSHIP", PHONE, "PHONE", person(), THIRD)
    refused(ClaimAlreadyExistsForKey, lambda: claims.claim_create(participant=THIRD, request=again))
    claims.claim_cancel(participant=OURS, claim_id=claim.id, reason="USER_REQUESTED")
    assert claims.claim_create(participant=THIRD, request=again).status == "OPEN"


def test_the_partial_unique_index_holds_when_the_check_is_raced(monkeypatch) -> None:
    ownership()
    monkeypatch.setattr(services, "claim_status", lambda key: None)  # as if a concurrent create had not committed
    again = claim_request("OWNERSHIP", PHONE, "PHONE", person(), THIRD)
    refused(ClaimAlreadyExistsForKey, lambda: claims.claim_create(participant=THIRD, request=again))


def test_an_open_claim_locks_delete_and_create_but_the_donor_may_still_update() -> None:
    maria, claim = portability()
    refused(
        EntryLockedByClaim, lambda: services.entry_delete(participant=OTHER, key=maria.tax_id, reason="USER_REQUESTED")
    )
    refused(EntryLockedByClaim, lambda: create(THIRD, "CPF", maria.tax_id, maria, account(THIRD)))
    moved = services.entry_update(
        participant=OTHER, key=maria.tax_id, account=account(OTHER), owner=maria, reason="BRANCH_TRANSFER"
    )
    assert moved.account.participant == OTHER
    claims.claim_cancel(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    services.entry_delete(participant=OTHER, key=maria.tax_id, reason="USER_REQUESTED")
    assert not DirEntry.objects.filter(key=maria.tax_id).exists()


def test_a_stranger_does_not_see_the_claim_and_each_party_only_its_actions() -> None:
    _, claim = portability()
    for call in (
        lambda: claims.claim_get(participant=THIRD, claim_id=claim.id),
        lambda: claims.claim_acknowledge(participant=THIRD, claim_id=claim.id),
        lambda: claims.claim_confirm(participant=THIRD, claim_id=claim.id, reason="USER_REQUESTED"),
        lambda: claims.claim_cancel(participant=THIRD, claim_id=claim.id, reason="USER_REQUESTED"),
        lambda: claims.claim_complete(participant=THIRD, claim_id=claim.id, request_id=uuid.uuid4()),
        lambda: claims.claim_get(participant=OURS, claim_id=uuid.uuid4()),
    ):
        refused(NotFound, call)
    refused(ClaimOperationInvalid, lambda: claims.claim_acknowledge(participant=OURS, claim_id=claim.id))
    refused(
        ClaimOperationInvalid,
        lambda: claims.claim_confirm(participant=OURS, claim_id=claim.id, reason="USER_REQUESTED"),
    )
    refused(InvalidReason, lambda: claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="BOGUS"))
    refused(
        ClaimOperationInvalid,
        lambda: claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED"),
    )


@pytest.mark.parametrize(
    ("party", "reason", "cancelled_by"), [(OTHER, "USER_REQUESTED", "DONOR"), (OURS, "ACCOUNT_CLOSURE", "CLAIMER")]
)
def test_cancel_records_who_cancelled_and_a_repeat_changes_nothing(party: str, reason: str, cancelled_by: str) -> None:
    maria, claim = portability()
    cancelled = claims.claim_cancel(participant=party, claim_id=claim.id, reason=reason)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == ("CANCELLED", reason, cancelled_by)
    assert DirEntry.objects.get(key=maria.tax_id).participant == OTHER  # the key stays with the donor
    before = state()
    assert claims.claim_cancel(participant=party, claim_id=claim.id, reason=reason) == cancelled
    assert state() == before
    refused(ClaimOperationInvalid, lambda: claims.claim_cancel(participant=party, claim_id=claim.id, reason="FRAUD"))


def test_donor_default_cancel_of_a_portability_waits_for_the_resolution_period() -> None:
    _, claim = portability()
    ack(claim)
    refused(
        ClaimResolutionPeriodNotEnded,
        lambda: claims.claim_cancel(participant=OTHER, claim_id=claim.id, reason="DEFAULT_OPERATION"),
    )
    clock.advance(DAYS7)
    assert claims.claim_cancel(participant=OTHER, claim_id=claim.id, reason="DEFAULT_OPERATION").cancelled_by == "DONOR"


def test_list_filters_by_role_status_type_and_inclusive_window_in_last_modified_order() -> None:
    _, first = portability()
    second = ownership()
    third = ownership(claimer_participant=THIRD, key="+5511987650045")
    first = ack(first)  # now the most recently modified
    ids = lambda page: [c.id for c in page.claims]  # noqa: E731

    assert ids(claims.claim_list(participant=OURS)) == [second.id, first.id]
    assert ids(claims.claim_list(participant=OURS, as_claimer=True)) == [second.id, first.id]
    assert ids(claims.claim_list(participant=OURS, as_donor=True)) == []
    assert ids(claims.claim_list(participant=OTHER, as_donor=True)) == [second.id, third.id, first.id]
    assert ids(claims.claim_list(participant=OTHER, as_donor=True, statuses=("OPEN",))) == [second.id, third.id]
    assert ids(claims.claim_list(participant=OTHER, claim_type="PORTABILITY")) == [first.id]
    window = claims.claim_list(
        participant=OTHER, modified_after=second.last_modified, modified_before=third.last_modified
    )
    assert ids(window) == [second.id, third.id]  # both ends inclusive
    page = claims.claim_list(participant=OTHER, limit=2)
    assert (ids(page), page.has_more) == ([second.id, third.id], True)
    assert claims.claim_list(participant=OTHER, limit=3).has_more is False
    for bad in ({"limit": 201}, {"limit": 0}, {"statuses": ("DONE",)}, {"claim_type": "TRANSFER"}):
        with pytest.raises(BadRequest):
            claims.claim_list(participant=OTHER, **bad)


def test_the_directory_clock_moves_every_timestamp_it_sets() -> None:
    real = clock.now()
    assert clock.advance(timedelta(days=3)) - real >= timedelta(days=3)
    before, maria = clock.now(), person()
    entry = create(OURS, "CPF", maria.tax_id, maria, account())
    assert before <= entry.created_at <= clock.now()
    assert before - real >= timedelta(days=3)
    assert before <= DirCidEvent.objects.get(cid=DirEntry.objects.get(key=maria.tax_id).cid).occurred_at <= clock.now()


def test_the_clock_command_advances_resets_and_prints_the_directory_time() -> None:
    out = StringIO()
    call_command("dictsim_clock", "--advance", "7d", stdout=out)
    call_command("dictsim_clock", "--advance", "36h", stdout=out)
    call_command("dictsim_clock", "--advance", "90m", stdout=out)
    assert clock.offset() == timedelta(days=8, hours=13, minutes=30)
    assert out.getvalue().splitlines()[-1].endswith("(offset 8 days, 13:30:00)")
    call_command("dictsim_clock", "--reset", stdout=out)
    assert clock.offset() == timedelta(0)
    call_command("dictsim_clock", stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("(offset 0:00:00)")
    with pytest.raises(CommandError):
        call_command("dictsim_clock", "--advance", "7 weeks")
