"""UpdateKey (keys.updates) against the simulated directory: moving a key to another account, the
reasons each caller may give, idempotent retries, the intent surviving an outage, and the lookup's
view of our own key. CPF and EVP keys: their type does not matter here and needs no possession proof.
"""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account
from connect.local import LocalDirectoryClient
from dict_rules.errors import Forbidden, InvalidReason
from dictsim.models import DirCidEvent, DirEntry
from events.models import DomainEvent
from keys.models import Entry
from keys.updates import entry_update_by_staff
from tests.factories import own_entry_view
from tests.test_sync import closed_port_url, use_directory  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.django_db(transaction=True)


def entry_events(entry: Entry) -> list[str]:
    events = DomainEvent.objects.filter(aggregate_type="entry", aggregate_id=str(entry.pk)).order_by("sequence")
    return list(events.values_list("event_type", flat=True))


def patch(client, entry: Entry, account, request_id: str | None = None, **body):
    body = {"account_id": account.pk, "request_id": request_id or str(uuid.uuid4()), **body}
    return client.patch(f"/api/v1/keys/{entry.pk}/", body, format="json")


@pytest.fixture
def two_accounts(make_account):
    """Two accounts of one natural person."""
    first = make_account()
    return first, make_account(holder=first.holder)


def test_update_moves_the_key_at_dict_with_a_new_cid_and_our_lookup_shows_the_new_account(
    two_accounts, make_entry, client_for
) -> None:
    first, second = two_accounts
    entry = make_entry(first, "CPF", first.holder.tax_id)
    assert own_entry_view(entry.key_value).account_number == first.number  # cached now
    old_cid = entry.cid

    answer = patch(client_for(first.holder.user), entry, second)

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["account_id"], body["update_pending"], body["update_reason"]) == (second.pk, False, "USER_REQUESTED")
    at_dict = DirEntry.objects.get(key=entry.key_value)
    assert (at_dict.account_number, at_dict.cid) == (second.number, body["cid"])
    assert body["cid"] != old_cid
    cid_events = DirCidEvent.objects.filter(key_type="CPF", cid__in=[old_cid, body["cid"]]).order_by("occurred_at")
    assert [(e.event, e.cid) for e in cid_events] == [("ADDED", old_cid), ("REMOVED", old_cid), ("ADDED", body["cid"])]
    assert own_entry_view(entry.key_value).account_number == second.number
    assert entry_events(entry)[-2:] == ["EntryUpdateRequested", "EntryUpdated"]


def test_a_retry_is_replayed_and_the_request_id_with_other_data_refused(
    two_accounts, make_account, make_entry, client_for
) -> None:
    first, second = two_accounts
    third = make_account(holder=first.holder)
    entry = make_entry(first, "CPF", first.holder.tax_id)
    client, request_id = client_for(first.holder.user), str(uuid.uuid4())
    assert patch(client, entry, second, request_id).status_code == 200

    again = patch(client, entry, second, request_id)
    other = patch(client, entry, third, request_id)

    assert (again.status_code, again.headers["Idempotent-Replayed"], again.json()["account_id"]) == (
        200,
        "true",
        second.pk,
    )
    assert (other.status_code, other.json()["code"]) == (409, "RequestIdAlreadyUsed")
    assert entry_events(entry).count("EntryUpdated") == 1


def test_an_earlier_updates_request_id_retried_after_a_later_update_is_refused_not_applied_again(
    two_accounts, make_entry, client_for
) -> None:
    """The entry keeps only the last update's request id: the earlier one's retry must not move the key back."""
    first, second = two_accounts
    entry = make_entry(first, "CPF", first.holder.tax_id)
    client, earlier = client_for(first.holder.user), str(uuid.uuid4())
    assert patch(client, entry, second, earlier).status_code == 200
    assert patch(client, entry, first).status_code == 200  # a later update moves it back, another request id

    retried = patch(client, entry, second, earlier)

    assert (retried.status_code, retried.json()["code"]) == (409, "RequestIdAlreadyUsed")
    entry.refresh_from_db()
    assert entry.account_id == first.pk
    assert DirEntry.objects.get(key=entry.key_value).account_number == first.number
    assert entry_events(entry).count("EntryUpdated") == 2


def test_an_update_that_changes_nothing_asks_dict_nothing(make_account, make_entry, client_for) -> None:
    account = make_account()
    entry = make_entry(account, "CPF", account.holder.tax_id)

    answer = patch(client_for(account.holder.user), entry, account)

    assert (answer.status_code, answer.json()["update_pending"], answer.json()["cid"]) == (200, False, entry.cid)
    assert "EntryUpdateRequested" not in entry_events(entry)


def test_customers_update_for_their_own_reason_only_so_never_an_evp(two_accounts, make_entry, client_for) -> None:
    first, second = two_accounts
    client = client_for(first.holder.user)
    evp = make_entry(first, "EVP")
    cpf = make_entry(first, "CPF", first.holder.tax_id)

    refusals = [
        patch(client, evp, second),
        patch(client, evp, second, reason="RFB_VALIDATION"),
        patch(client, cpf, second, reason="BRANCH_TRANSFER"),
        patch(client, cpf, second, reason="FRAUD"),  # a delete reason, not an update's
    ]

    assert [(r.status_code, r.json()["code"]) for r in refusals] == [(400, "InvalidReason")] * 3 + [(400, "BadRequest")]
    assert Entry.objects.get(pk=evp.pk).account_id == first.pk


def test_staff_update_an_evp_key_with_rfb_validation_only_and_only_with_the_permission(
    two_accounts, make_entry, make_staff
) -> None:
    first, second = two_accounts
    evp = make_entry(first, "EVP")
    unentitled, staff = make_staff(), make_staff("keys.change_entry")

    with pytest.raises(Forbidden):
        entry_update_by_staff(user=unentitled, entry_id=evp.pk, reason="RFB_VALIDATION", account_id=second.pk)
    for reason in ("USER_REQUESTED", "BRANCH_TRANSFER"):
        with pytest.raises(InvalidReason):
            entry_update_by_staff(user=staff, entry_id=evp.pk, reason=reason, account_id=second.pk)
    entry_update_by_staff(user=staff, entry_id=evp.pk, reason="RFB_VALIDATION", account_id=second.pk)

    evp.refresh_from_db()
    assert (evp.account_id, evp.update_reason) == (second.pk, "RFB_VALIDATION")
    assert DirEntry.objects.get(key=evp.key_value).account_number == second.number
    assert DomainEvent.objects.filter(aggregate_id=str(evp.pk), event_type="EntryUpdateRequested").get().actor == staff


def test_the_target_must_be_an_open_account_of_the_caller_with_a_free_slot(
    two_accounts, make_account, make_entry, client_for
) -> None:
    first, second = two_accounts
    client = client_for(first.holder.user)
    deleted = make_entry(first, "CPF", first.holder.tax_id)
    client.delete(f"/api/v1/keys/{deleted.pk}/")
    entry = make_entry(first, "CPF", first.holder.tax_id)
    for _ in range(5):
        make_entry(second, "EVP")
    closed = make_account(holder=first.holder)
    closed.closed_at = closed.opening_date
    closed.save(update_fields=["closed_at"])

    answers = [
        patch(client, entry, make_account()),  # someone else's
        patch(client, entry, closed),
        patch(client, entry, second),  # full
        patch(client, deleted, first),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, "NotFound"),
        (409, "EntryStateInvalid"),
        (422, "EntryLimitExceeded"),
        (409, "EntryStateInvalid"),
    ]
    assert DirEntry.objects.get(key=entry.key_value).account_number == first.number


def test_a_pending_update_holds_a_slot_on_its_target(
    two_accounts,
    make_entry,
    client_for,
    use_directory,  # noqa: F811
) -> None:
    first, second = two_accounts
    entry = make_entry(first, "CPF", first.holder.tax_id)
    for _ in range(4):
        make_entry(second, "EVP")
    use_directory(closed_port_url())
    assert patch(client_for(first.holder.user), entry, second).status_code == 202  # DICT has not moved it yet

    fifth = client_for(first.holder.user).post(
        "/api/v1/keys/", {"account_id": second.pk, "key_type": "EVP", "request_id": str(uuid.uuid4())}, format="json"
    )

    assert (fifth.status_code, fifth.json()["code"]) == (422, "EntryLimitExceeded")


def test_an_update_the_directory_did_not_answer_stays_pending_until_sync_pending(
    two_accounts,
    make_entry,
    client_for,
    use_directory,  # noqa: F811
) -> None:
    first, second = two_accounts
    entry = make_entry(first, "CPF", first.holder.tax_id)
    client = client_for(first.holder.user)
    use_directory(closed_port_url())

    waiting = patch(client, entry, second)
    retried_too_soon = patch(client, entry, second)
    use_directory("")
    call_command("sync_pending", "--older-than", "0", stdout=StringIO())

    assert (waiting.status_code, waiting.json()["update_pending"], waiting.json()["account_id"]) == (
        202,
        True,
        first.pk,
    )
    assert (retried_too_soon.status_code, retried_too_soon.json()["code"]) == (409, "EntryStateInvalid")
    entry.refresh_from_db()
    assert (entry.account_id, entry.update_pending) == (second.pk, False)
    assert DirEntry.objects.get(key=entry.key_value).cid == entry.cid


def test_a_key_moved_onto_an_account_that_closed_while_dict_was_asked_is_deleted_at_once(
    two_accounts, make_entry, client_for, monkeypatch
) -> None:
    """The target was open when the update was checked and closed while DICT moved the key (the closure's
    keys step found nothing of ours on it yet): applying DICT's answer requests the key's deletion."""
    first, second = two_accounts
    entry = make_entry(first, "CPF", first.holder.tax_id)
    dict_update = LocalDirectoryClient.update_entry

    def closed_meanwhile(self, **kwargs):
        Account.objects.filter(pk=second.pk).update(closed_at=timezone.now())  # another process's closure
        return dict_update(self, **kwargs)

    monkeypatch.setattr(LocalDirectoryClient, "update_entry", closed_meanwhile)
    answer = patch(client_for(first.holder.user), entry, second)

    entry.refresh_from_db()
    assert answer.status_code in (200, 202), answer.content
    assert (entry.account_id, entry.status, entry.delete_reason) == (second.pk, "DELETED", "ACCOUNT_CLOSURE")
    assert not DirEntry.objects.filter(key=entry.key_value).exists()
