"""Closing an account (accounts.services.account_close and its steps in claims and keys) and a holder's
rename reaching its keys at DICT (the owner refresh, keys.updates), against the simulated directory; and the
back-office's actions for both, through the same services."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Holder
from accounts.services import account_close, account_close_by_staff, holder_upsert
from claims.models import Claim
from claims.services import claim_start, claims_poll
from dict_rules.errors import Forbidden
from dictsim.models import DirCidEvent, DirEntry
from events.models import DomainEvent
from keys.models import Entry
from keys.services import entry_register
from keys.updates import holder_keys_refresh
from tests.factories import incoming_claim, key_at_other_psp, new_phone, own_entry_view, stranger
from tests.test_sync import closed_port_url, use_directory  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.django_db(transaction=True)


def events_of(aggregate_type: str, aggregate_id: object) -> list[str]:
    events = DomainEvent.objects.filter(aggregate_type=aggregate_type, aggregate_id=str(aggregate_id))
    return list(events.order_by("sequence").values_list("event_type", flat=True))


# --- closing an account -------------------------------------------------------------------------


def test_closing_an_account_deletes_its_keys_at_dict_and_refuses_new_ones(make_account, make_entry, client_for) -> None:
    account = make_account()
    keys = [make_entry(account, "CPF", account.holder.tax_id), make_entry(account, "EVP")]
    out = StringIO()

    call_command("close_account", str(account.pk), stdout=out)

    account.refresh_from_db()
    assert account.closed_at is not None
    assert "keys sent for deletion: 2, keys left: 0" in out.getvalue()
    for key in keys:
        key.refresh_from_db()
        assert (key.status, key.delete_reason) == ("DELETED", "ACCOUNT_CLOSURE")
        assert not DirEntry.objects.filter(key=key.key_value).exists()
    assert events_of("account", account.pk)[-1] == "AccountClosed"
    new_key = client_for(account.holder.user).post(
        "/api/v1/keys/", {"account_id": account.pk, "key_type": "EVP", "request_id": str(uuid.uuid4())}, format="json"
    )
    assert (new_key.status_code, new_key.json()["code"]) == (409, "EntryStateInvalid")


def test_closing_a_closed_account_again_changes_nothing(make_account, make_entry) -> None:
    account = make_account()
    make_entry(account, "EVP")
    account_close(account_id=account.pk)
    before = DomainEvent.objects.count()

    again = account_close(account_id=account.pk)

    assert (again.newly_closed, again.keys_deleting, again.keys_left, again.finished) == (False, 0, 0, True)
    assert DomainEvent.objects.count() == before


def registering(make_entry, monkeypatch, account) -> Entry:
    """A key whose registration has not run yet (PENDING), as when the account closes."""
    from keys import services

    with monkeypatch.context() as patched:
        patched.setattr(services, "register_created", lambda entry: None)
        return make_entry(account, "EVP", register=False)


def closed_before_its_steps_ran(account) -> None:
    """The account's closure committed, but its steps never ran (a crash in between): its keys stay ACTIVE."""
    from django.utils import timezone

    from accounts.models import Account

    Account.objects.filter(pk=account.pk).update(closed_at=timezone.now())


def test_a_key_registered_after_the_closure_is_deleted_as_it_becomes_active(
    make_account, make_entry, monkeypatch
) -> None:
    """A key being registered when the account closed: DICT's answer makes it ACTIVE and asks its deletion
    (ACCOUNT_CLOSURE) in the same commit, so it is gone at DICT with no closure job run and nothing is left."""
    from keys.selectors import closed_accounts_unfinished

    account = make_account()
    in_flight = registering(make_entry, monkeypatch, account)
    assert account_close(account_id=account.pk).keys_left == 1

    assert entry_register(entry_id=in_flight.pk).status == "DELETE_PENDING"  # DICT answered after the closure

    in_flight.refresh_from_db()  # the worker (eager here) asked DICT once the activation committed
    assert (in_flight.status, in_flight.delete_reason) == ("DELETED", "ACCOUNT_CLOSURE")
    assert not DirEntry.objects.filter(key=in_flight.key_value).exists()
    assert events_of("entry", in_flight.pk)[-3:] == ["EntryActivated", "EntryDeleteRequested", "EntryDeleted"]
    assert not closed_accounts_unfinished().exists()


def test_a_portability_completed_onto_a_closed_account_has_its_key_deleted_at_once(make_account) -> None:
    """The donor confirmed our portability at DICT before the account closed: the closure cannot cancel it
    (DICT refuses), so the poll completes it and the key it brings is deleted with ACCOUNT_CLOSURE at once."""
    from dictsim import claims as dir_claims
    from keys.selectors import closed_accounts_unfinished
    from portability.services import portability_start
    from tests.factories import OTHER_PSP, owner_of

    account = make_account()
    key_at_other_psp("EMAIL", email := f"{uuid.uuid4().hex[:12]}@example.com", owner_of(account))
    claim, _ = portability_start(
        user=account.holder.user, account_id=account.pk, key_type="EMAIL", key=email, request_id=uuid.uuid4()
    )
    dir_claims.claim_acknowledge(participant=OTHER_PSP, claim_id=claim.dict_id)
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=claim.dict_id, reason="USER_REQUESTED")
    assert account_close(account_id=account.pk).claims_left == 1

    claims_poll()

    claim.refresh_from_db()
    assert claim.status == "COMPLETED"
    entry = claim.entry
    assert (entry.status, entry.delete_reason, entry.account_id) == ("DELETED", "ACCOUNT_CLOSURE", account.pk)
    assert not DirEntry.objects.filter(key=email).exists()
    assert events_of("entry", entry.pk) == ["EntryActivated", "EntryDeleteRequested", "EntryDeleted"]
    assert not closed_accounts_unfinished().exists()


def test_the_closure_job_deletes_a_key_left_active_on_a_closed_account(make_account, make_entry, settings) -> None:
    """The safety net: a key left ACTIVE on a closed account (here its closure's steps never ran) is found by
    the beat job and deleted with ACCOUNT_CLOSURE without anyone closing the account again; a second run has
    nothing left."""
    from keys.tasks import finish_account_closures

    account = make_account()
    left = make_entry(account, "EVP")
    closed_before_its_steps_ran(account)

    first = finish_account_closures.delay().get()

    left.refresh_from_db()
    assert (left.status, left.delete_reason) == ("DELETED", "ACCOUNT_CLOSURE")
    assert not DirEntry.objects.filter(key=left.key_value).exists()
    assert (first["accounts"], first["keys_deleting"], first["unfinished"]) == (1, 1, 0)
    assert finish_account_closures.delay().get()["accounts"] == 0
    job = settings.CELERY_BEAT_SCHEDULE["finish-account-closures"]
    assert job["task"] == "keys.tasks.finish_account_closures"


def test_the_closure_job_is_bounded_per_run_and_goes_on_where_it_stopped(make_account, make_entry) -> None:
    from keys.updates import closed_accounts_finish

    accounts = [make_account() for _ in range(3)]
    entries = [make_entry(a, "EVP") for a in accounts]
    for account in accounts:
        closed_before_its_steps_ran(account)

    runs = [list(closed_accounts_finish(limit=2))[-1].accounts for _ in range(2)]

    assert runs == [2, 1]
    assert set(Entry.objects.filter(pk__in=[e.pk for e in entries]).values_list("status", flat=True)) == {"DELETED"}
    out = StringIO()
    call_command("finish_account_closures", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("accounts: 0, keys sent for deletion: 0")  # nothing left


def test_the_closure_job_settles_a_claim_left_open_on_a_closed_account(make_account) -> None:
    """A claim bringing a key to a closed account (the closure could not cancel it then): the account has no
    keys, but claims registers the claim with keys' selector, so the job cancels it with ACCOUNT_CLOSURE."""
    from django.utils import timezone

    from accounts.models import Account
    from keys.selectors import closed_accounts_unfinished
    from keys.updates import closed_accounts_finish

    account = make_account()
    key_at_other_psp("PHONE", phone := new_phone(), stranger())
    ours, _ = claim_start(
        user=account.holder.user,
        account_id=account.pk,
        key_type="PHONE",
        key=phone,
        claim_type="OWNERSHIP",
        request_id=uuid.uuid4(),
    )
    Account.objects.filter(pk=account.pk).update(closed_at=timezone.now())  # closed, its steps not run yet

    assert list(closed_accounts_unfinished()) == [account]
    assert list(closed_accounts_finish())[-1].claims_settled == 1

    ours.refresh_from_db()
    assert (ours.status, ours.cancel_reason) == ("CANCELLED", "ACCOUNT_CLOSURE")
    assert not closed_accounts_unfinished().exists()


def test_closure_confirms_portabilities_of_its_keys_and_cancels_its_own_claims(make_account, make_entry) -> None:
    """As donor: a portability is confirmed with ACCOUNT_CLOSURE; an ownership claim, which DICT lets the donor
    neither confirm with it nor cancel, holds its key. As claimer: our claim is cancelled with ACCOUNT_CLOSURE."""
    account = make_account()
    portability, ported_key = incoming_claim(account)
    ownership, claimed_key = incoming_claim(account, "PHONE", "OWNERSHIP")
    key_at_other_psp("PHONE", phone := new_phone(), stranger())
    ours, _ = claim_start(
        user=account.holder.user,
        account_id=account.pk,
        key_type="PHONE",
        key=phone,
        claim_type="OWNERSHIP",
        request_id=uuid.uuid4(),
    )

    report = account_close(account_id=account.pk)

    portability, ownership, ours = (Claim.objects.get(pk=c.pk) for c in (portability, ownership, ours))
    assert (portability.status, portability.confirm_reason) == ("CONFIRMED", "ACCOUNT_CLOSURE")
    assert (ours.status, ours.cancel_reason, ours.cancelled_by) == ("CANCELLED", "ACCOUNT_CLOSURE", "CLAIMER")
    assert ownership.status == "WAITING_RESOLUTION"
    assert Entry.objects.get(pk=ported_key.pk).status == "DELETED"
    assert Entry.objects.get(pk=claimed_key.pk).status == "ACTIVE"  # DICT would refuse: EntryLockedByClaim
    assert (report.claims_confirmed, report.claims_cancelled, report.claims_left) == (1, 1, 1)
    assert (report.keys_left, report.finished) == (1, False)


def test_only_staff_with_the_permission_close_an_account(make_account, make_entry, make_staff) -> None:
    account = make_account()
    make_entry(account, "EVP")

    with pytest.raises(Forbidden):
        account_close_by_staff(user=make_staff(), account_id=account.pk)
    staff = make_staff("accounts.change_account")
    account_close_by_staff(user=staff, account_id=account.pk)

    closed = DomainEvent.objects.get(aggregate_type="account", aggregate_id=str(account.pk), event_type="AccountClosed")
    assert closed.actor == staff


# --- a holder's new names ----------------------------------------------------------------------


def rename(account, name: str) -> None:
    """Core banking's mirror (import_accounts' service) brings the holder's new name."""
    holder = account.holder
    holder_upsert(tax_id=holder.tax_id, name=name, trade_name=holder.trade_name)


def test_a_rename_imported_from_core_banking_reaches_dict_on_every_live_key_with_new_cids(
    make_account, make_entry, tmp_path
) -> None:
    first = make_account()
    second = make_account(holder=first.holder)
    keys = [make_entry(first, "CPF", first.holder.tax_id), make_entry(second, "EVP")]
    old_cids = [key.cid for key in keys]
    export = tmp_path / "export.csv"
    export.write_text(
        "tax_id,name,branch,number,account_type,opening_date\n"
        f"{first.holder.tax_id},Maria Souza,{first.branch},{first.number},CACC,{first.opening_date.isoformat()}\n"
    )

    call_command("import_accounts", str(export), stdout=StringIO(), stderr=StringIO())

    for key, old_cid in zip(keys, old_cids, strict=True):
        key.refresh_from_db()
        at_dict = DirEntry.objects.get(key=key.key_value)
        assert (at_dict.owner_name, at_dict.cid) == ("Maria Souza", key.cid)
        assert key.cid != old_cid and not key.owner_refresh_due
        assert (key.update_reason, events_of("entry", key.pk)[-1]) == ("RFB_VALIDATION", "EntryUpdated")
    assert own_entry_view(keys[0].key_value).name == "Maria Souza"


def test_the_owner_refresh_can_be_killed_and_run_again_without_doing_anything_twice(
    make_account,
    make_entry,
    use_directory,  # noqa: F811
) -> None:
    account = make_account()
    keys = [make_entry(account, "CPF", account.holder.tax_id), make_entry(account, "EVP")]
    use_directory(closed_port_url())
    rename(account, "Maria Souza")  # the rename commits; its task finds DICT unavailable
    use_directory("")

    run = holder_keys_refresh(holder_id=account.holder_id)
    first = next(run)  # one key done, then the process is killed
    run.close()
    out = StringIO()
    call_command("refresh_holder_keys", "--holder", str(account.holder_id), stdout=out)
    third = list(holder_keys_refresh(holder_id=account.holder_id))

    assert (first.seen, first.updated) == (1, 1)
    assert "keys: 1, updated: 1" in out.getvalue()
    assert third == []
    for key in keys:
        key.refresh_from_db()
        added = DirCidEvent.objects.filter(cid=key.cid, event="ADDED").count()
        assert (DirEntry.objects.get(key=key.key_value).owner_name, added) == ("Maria Souza", 1)
        assert events_of("entry", key.pk).count("EntryUpdated") == 1


# --- the back-office ----------------------------------------------------------------------------


def test_the_admins_close_action_needs_the_permission_and_closes_through_the_service(
    client, make_staff, make_account, make_entry
) -> None:
    account = make_account()
    key = make_entry(account, "EVP")
    accounts = reverse("admin:accounts_account_changelist")
    close = {"action": "close_accounts", "_selected_action": [str(account.pk)]}
    client.force_login(make_staff("accounts.view_account"))
    assert "close_accounts" not in client.get(accounts).content.decode()
    client.post(accounts, close)
    assert Entry.objects.get(pk=key.pk).status == "ACTIVE"

    client.force_login(make_staff("accounts.view_account", "accounts.change_account"))
    response = client.post(accounts, close)

    assert response.status_code == 302
    assert Entry.objects.get(pk=key.pk).status == "DELETED"
    assert not DirEntry.objects.filter(key=key.key_value).exists()


def test_the_admins_update_action_sends_the_holders_current_names_to_dict(
    client, make_staff, make_account, make_entry
) -> None:
    account = make_account()
    evp = make_entry(account, "EVP")
    Holder.objects.filter(pk=account.holder_id).update(name="Maria Souza")  # a name DICT has not been sent
    client.force_login(make_staff("keys.view_entry", "keys.change_entry"))

    response = client.post(
        reverse("admin:keys_entry_changelist"),
        {"action": "update_owner_at_dict_rfb_validation", "_selected_action": [str(evp.pk)]},
    )

    assert response.status_code == 302
    evp.refresh_from_db()
    assert (evp.update_reason, DirEntry.objects.get(key=evp.key_value).owner_name) == ("RFB_VALIDATION", "Maria Souza")
    assert DirEntry.objects.get(key=evp.key_value).cid == evp.cid
