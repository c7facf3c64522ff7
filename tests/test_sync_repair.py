"""Sync repair (keys.sync): each kind of divergence the directory can hold, made with dictsim's tamper
tools, is found by check_sync --repair, fixed on the side keys.sync says holds the truth, and the next
check is OK. Also getEntryByCid over the Connect gRPC API, the scheduled task, the recorded results,
their metrics and admin page.

The directory is the in-process adapter (the simulated DICT on this database) unless said otherwise.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.dict_view import bank_account
from accounts.models import Account
from common import connect_codec
from common.leases import release_lease, take_lease
from connect.client import get_client
from dict_rules.directory import EntryByCid
from dict_rules.errors import BadRequest, NotFound, ServiceUnavailable
from dictsim import services as directory
from dictsim.models import DirEntry
from dictsim.tamper import tamper_change, tamper_drop, tamper_insert
from events.models import DomainEvent
from keys import services, tasks
from keys.domain import EntryStatus
from keys.metrics import read_sync_checks
from keys.models import Entry, SyncCheck
from keys.services import entry_register
from keys.sync import REPAIR_LEASE, Fix, sync_check
from tests.factories import OURS, create_entry, dead_port, our_key, owner_of, refusal, request

pytestmark = pytest.mark.django_db

EAGER = {"disable_sync_subtasks": False}  # see tests/test_sync.py


@pytest.fixture(autouse=True)
def in_process_directory(settings):
    settings.CONNECT_URL = ""
    get_client.cache_clear()
    yield
    get_client.cache_clear()


def repair(key_type: str) -> tuple[str, str]:
    """check_sync --repair for one type: its exit (OK, or the CommandError) and its output."""
    out, err = StringIO(), StringIO()
    try:
        call_command("check_sync", "--repair", "--key-type", key_type, stdout=out, stderr=err)
    except CommandError as error:
        return str(error), out.getvalue()
    return "OK", out.getvalue()


def fixes_of(key_type: str) -> dict[str, int]:
    check = SyncCheck.objects.filter(key_type=key_type).first()
    return {fix.value: getattr(check, fix.value) for fix in Fix if getattr(check, fix.value)}


def dir_row(key: str) -> DirEntry:
    return DirEntry.objects.get(key=key)


def reconciled(entry: Entry) -> list[dict]:
    return list(
        DomainEvent.objects.filter(aggregate_id=str(entry.pk), event_type="EntryReconciled").values_list(
            "payload", flat=True
        )
    )


def test_dicts_account_that_is_not_ours_is_corrected_at_dict_with_reconciliation(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "CPF", acct.holder.tax_id)
    tamper_change(key=entry.key_value, account_number="9999999", owner_name="Maria Silva Souza")
    assert not sync_check(key_types=["CPF"])[0].ok

    result, out = repair("CPF")

    assert result == "OK"
    assert "was NOK, 2 CIDs differed; updated_at_dict: 1" in out
    row = dir_row(entry.key_value)
    assert (row.account_number, row.owner_name) == (acct.number, acct.holder.name)  # ours was the truth
    entry.refresh_from_db()
    assert (entry.status, entry.cid, entry.account_id) == ("ACTIVE", row.cid, acct.pk)
    assert reconciled(entry) == [{"status": "ACTIVE", "key_type": "CPF", "fix": "updated_at_dict", "cid": row.cid}]
    check = SyncCheck.objects.filter(key_type="CPF").first()  # the last: the check before it is kept too
    assert (check.ok_before, check.repair, check.ok, check.differences, check.entries) == (False, True, True, 2, 1)
    assert all(r.ok for r in sync_check())


def test_dicts_account_that_is_another_of_ours_corrects_our_copy(make_account) -> None:
    acct = make_account()
    savings = make_account(holder=acct.holder, account_type="SVGS")
    entry = our_key(acct, "EVP", None)
    # DICT holds the key on the holder's savings account: DICT's values are ours too.
    row = dir_row(entry.key_value)
    row.account_number, row.account_type = savings.number, "SVGS"
    row.save()  # an operator's edit by hand: its save recomputes the CID

    assert repair("EVP")[0] == "OK"
    entry.refresh_from_db()
    assert (entry.account_id, entry.cid) == (savings.pk, dir_row(entry.key_value).cid)
    assert dir_row(entry.key_value).account_number == savings.number  # DICT untouched
    assert [p["fix"] for p in reconciled(entry)] == ["corrected_here"]


def test_an_evp_key_whose_data_differs_at_dict_is_left_for_staff(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_change(key=entry.key_value, account_number="8888888")
    before = dir_row(entry.key_value).cid

    result, out = repair("EVP")

    assert result == "out of sync: EVP"  # exit 1: DICT takes EVP updates only with RFB_VALIDATION
    assert fixes_of("EVP") == {"unresolved": 1}
    assert dir_row(entry.key_value).cid == before
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"
    assert SyncCheck.objects.get(key_type="EVP").ok is False


def test_a_key_dict_dropped_is_removed_here(make_account) -> None:
    acct = make_account()
    gone, kept = our_key(acct, "EVP", None), our_key(acct, "EVP", None)
    tamper_drop(key=gone.key_value)

    out, err = StringIO(), StringIO()
    call_command("check_sync", "--repair", stdout=out, stderr=err)
    assert err.getvalue() == "EVP: 1/1 differences handled\n"  # progress, every 200 and at the end
    assert f"EVP    OK  1 keys  vsync {kept.cid}" in out.getvalue().splitlines()
    assert fixes_of("EVP") == {"removed_here": 1}
    gone.refresh_from_db()
    assert (gone.status, gone.delete_reason) == ("DELETED", "RECONCILIATION")
    assert Entry.objects.get(pk=kept.pk).status == "ACTIVE"


def test_a_key_dict_holds_on_one_of_our_accounts_is_added_here_as_dict_has_it(make_account) -> None:
    acct = make_account(legal=True)
    holder = acct.holder
    tampered = tamper_insert(
        participant=OURS,
        key_type="CNPJ",
        key=holder.tax_id,
        tax_id=holder.tax_id,
        owner_name=holder.name,
        trade_name=holder.trade_name,
        branch=acct.branch,
        account_number=acct.number,
        account_type=acct.account_type,
    )
    assert acct.ispb == OURS

    assert repair("CNPJ")[0] == "OK"
    added = Entry.objects.get(key_value=holder.tax_id)
    row = dir_row(holder.tax_id)
    assert (added.status, added.account_id, added.cid, added.dict_request_id) == (
        "ACTIVE",
        acct.pk,
        tampered.new_cid,
        row.request_id,
    )
    assert (added.requested_by_kind, added.requested_by_id, added.registered_at) == ("SYSTEM", None, row.created_at)
    assert [p["fix"] for p in reconciled(added)] == ["added_here"]


def test_a_key_dict_holds_on_no_account_of_ours_is_deleted_at_dict(make_account) -> None:
    stranger = make_account()  # a holder of ours, but DICT names an account we do not have
    tamper_insert(
        participant=OURS,
        key_type="CPF",
        key=stranger.holder.tax_id,
        tax_id=stranger.holder.tax_id,
        owner_name=stranger.holder.name,
        trade_name="",
        branch="1",
        account_number="4444444",
        account_type="CACC",
    )
    assert repair("CPF")[0] == "OK"
    assert fixes_of("CPF") == {"deleted_at_dict": 1}
    assert not DirEntry.objects.filter(key=stranger.holder.tax_id).exists()
    assert not Entry.objects.filter(key_value=stranger.holder.tax_id).exists()


def test_a_key_our_customer_deleted_but_dict_kept_is_deleted_at_dict(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "CPF", acct.holder.tax_id)
    Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.DELETED, delete_reason="USER_REQUESTED")

    assert repair("CPF")[0] == "OK"
    assert fixes_of("CPF") == {"deleted_at_dict": 1}
    assert not DirEntry.objects.filter(key=entry.key_value).exists()
    assert reconciled(entry) == [{"status": "DELETED", "key_type": "CPF", "fix": "deleted_at_dict"}]


def test_our_corrupt_cid_is_corrected_to_dicts(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    Entry.objects.filter(pk=entry.pk).update(cid="f" * 64)

    assert repair("EVP")[0] == "OK"
    assert Entry.objects.get(pk=entry.pk).cid == entry.cid
    assert fixes_of("EVP") == {"corrected_here": 1}


def test_a_registration_in_flight_is_skipped_and_settled_by_its_own_answer(make_account) -> None:
    acct = make_account()
    pending = create_entry(acct, "EVP", None)
    # DICT registered it; its answer has not reached us yet.
    sent = request("EVP", None, owner_of(acct), bank_account(acct), request_id=pending.dict_request_id)
    directory.entry_create(participant=OURS, request=sent)
    result, _ = repair("EVP")
    assert result == "out of sync: EVP"
    assert fixes_of("EVP") == {"skipped": 1}
    assert Entry.objects.get(pk=pending.pk).status == "PENDING"  # untouched: its registration settles it
    entry_register(entry_id=pending.pk)  # DICT replays the RequestId
    assert all(r.ok for r in sync_check())


def test_check_only_and_listing_change_nothing_and_record_the_check(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_drop(key=entry.key_value)
    out = StringIO()
    with pytest.raises(CommandError, match=r"^out of sync: EVP$"):
        call_command("check_sync", "--list-differences", stdout=out)
    assert f"    ours, not at DICT: {entry.cid}" in out.getvalue()
    assert Entry.objects.get(pk=entry.pk).status == "ACTIVE"
    checks = {c.key_type: (c.ok_before, c.repair, c.ok, c.differences) for c in SyncCheck.objects.all()}
    assert checks == {
        "CPF": (True, False, True, 0),
        "CNPJ": (True, False, True, 0),
        "PHONE": (True, False, True, 0),
        "EMAIL": (True, False, True, 0),
        "EVP": (False, False, False, 1),
    }


def test_the_scheduled_task_repairs_and_its_results_reach_the_metrics(make_account, settings, start_server) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["check-sync"]["task"] == "keys.tasks.check_sync"
    assert settings.CELERY_BEAT_SCHEDULE["check-sync"]["schedule"] <= 18 * 3600  # two chances within 36 h
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_drop(key=entry.key_value)

    assert tasks.check_sync.apply().get(**EAGER) == dict.fromkeys(["CPF", "CNPJ", "PHONE", "EMAIL", "EVP"], "OK")
    assert Entry.objects.get(pk=entry.pk).status == "DELETED"
    samples = {(m.name, s.labels["key_type"]): s.value for m in read_sync_checks() for s in m.samples}
    evp = SyncCheck.objects.get(key_type="EVP")
    assert samples[("coredict_keys_sync_in_sync", "EVP")] == 1
    assert samples[("coredict_keys_sync_last_check_timestamp_seconds", "EVP")] == evp.checked_at.timestamp()
    assert samples[("coredict_keys_sync_last_ok_timestamp_seconds", "EVP")] == evp.checked_at.timestamp()
    assert samples[("coredict_keys_sync_unresolved", "EVP")] == 0

    settings.CONNECT_URL = f"127.0.0.1:{dead_port(start_server)}"
    settings.CONNECT_DEADLINE_SEC, settings.CONNECT_RETRY_ATTEMPTS = 1, 1
    get_client.cache_clear()
    assert tasks.check_sync.apply().get(**EAGER) == {}  # the directory is down: nothing recorded, next run
    assert SyncCheck.objects.count() == 5


def test_never_ok_is_exposed_as_zero_so_the_alert_fires(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_change(key=entry.key_value, account_number="8888888")
    sync_check(repair=True, key_types=["EVP"])
    samples = {(m.name, s.labels["key_type"]): s.value for m in read_sync_checks() for s in m.samples}
    assert samples[("coredict_keys_sync_in_sync", "EVP")] == 0
    assert samples[("coredict_keys_sync_last_ok_timestamp_seconds", "EVP")] == 0
    assert samples[("coredict_keys_sync_unresolved", "EVP")] == 1
    assert ("coredict_keys_sync_in_sync", "CPF") not in samples  # never checked: no series


def test_get_entry_by_cid_answers_only_the_callers_own_entries(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "CPF", acct.holder.tax_id)
    found = get_client().get_entry_by_cid(entry.cid)
    assert isinstance(found, EntryByCid)
    assert (found.cid, found.request_id, found.entry.key) == (entry.cid, entry.dict_request_id, entry.key_value)
    assert isinstance(refusal(lambda: directory.entry_by_cid(participant="87654321", cid=entry.cid)), NotFound)
    error = refusal(lambda: get_client().get_entry_by_cid("F" * 64))
    assert isinstance(error, BadRequest) and error.fields[0].field == "cid"


def test_an_accounts_holder_must_match_for_dicts_account_to_count_as_ours(make_account) -> None:
    acct, other = make_account(), make_account()
    entry = our_key(acct, "CPF", acct.holder.tax_id)
    # DICT names another holder's account of ours for acct's CPF key: not ours to move it to.
    tamper_change(key=entry.key_value, account_number=other.number)
    assert repair("CPF")[0] == "OK"
    assert fixes_of("CPF") == {"updated_at_dict": 1}
    assert dir_row(entry.key_value).account_number == acct.number
    assert Entry.objects.get(pk=entry.pk).account_id == acct.pk
    assert Account.objects.get(pk=other.pk).entries.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_key_type_out_of_sync_over_grpc_is_repaired_the_same_way(make_account, start_server, settings) -> None:
    """The gRPC adapter, GetEntryByCid included, against run_dictsim's servicer on this database."""
    acct = make_account()
    entry = our_key(acct, "CPF", acct.holder.tax_id)
    tamper_change(key=entry.key_value, owner_name="Maria Silva Souza")
    _, port = start_server()
    settings.CONNECT_URL = f"127.0.0.1:{port}"
    get_client.cache_clear()
    report = sync_check(repair=True, key_types=["CPF"])[0]
    get_client().close()
    assert (report.ok_before, report.ok, report.fixes[Fix.UPDATED_AT_DICT]) == (False, True, 1)
    assert dir_row(entry.key_value).owner_name == acct.holder.name
    assert Entry.objects.get(pk=entry.pk).cid == dir_row(entry.key_value).cid


def test_the_admin_lists_the_checks_read_only_with_the_last_per_key_type(client, make_staff, make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_change(key=entry.key_value, account_number="8888888")
    sync_check(repair=True)
    client.force_login(make_staff("keys.view_synccheck"))
    page = client.get(reverse("admin:keys_synccheck_changelist"))
    assert page.status_code == 200
    states = page.context["sync_states"]
    assert (states["EVP"].last.ok, states["EVP"].last.unresolved, states["EVP"].last_ok_at) == (False, 1, None)
    assert states["CPF"].last_ok_at == states["CPF"].last.checked_at
    assert '<table id="sync-state">' in page.content.decode()
    check = SyncCheck.objects.filter(key_type="EVP").first()
    assert client.get(reverse("admin:keys_synccheck_change", args=[check.pk])).status_code == 200
    assert client.get(reverse("admin:keys_synccheck_add")).status_code == 403
    assert client.post(reverse("admin:keys_synccheck_delete", args=[check.pk]), {"post": "yes"}).status_code == 403
    assert SyncCheck.objects.filter(pk=check.pk).exists()
    client.force_login(make_staff())
    assert client.get(reverse("admin:keys_synccheck_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"cid": "x" * 64}, "cid or request_id"),
        ({"request_id": "r-1"}, "cid or request_id"),
        ({"entry": None}, "entry"),
    ],
)
def test_a_malformed_entry_by_cid_from_the_directory_is_service_unavailable(
    make_account, changes: dict, problem: str
) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    message = connect_codec.entry_by_cid_to_pb(get_client().get_entry_by_cid(entry.cid), "c")
    assert connect_codec.entry_by_cid_from_pb(message).request_id == entry.dict_request_id
    for name, value in changes.items():
        if value is None:
            message.ClearField(name)
        else:
            setattr(message, name, value)
    with pytest.raises(ServiceUnavailable, match=f"malformed entry by CID: .*{problem}"):
        connect_codec.entry_by_cid_from_pb(message)


def move_at_dict(entry: Entry, to: Account) -> None:
    """An operator's edit by hand: DICT holds the key on ``to`` for ``to``'s holder (its save recomputes the CID)."""
    row = dir_row(entry.key_value)
    row.branch, row.account_number, row.account_type = to.branch, to.number, to.account_type
    row.owner_tax_id, row.owner_name = to.holder.tax_id, to.holder.name
    row.save()


def test_a_key_of_ours_dict_holds_for_another_customer_of_ours_is_left_for_staff(make_account) -> None:
    acct, other = make_account(), make_account()  # two holders, both "Maria da Silva"
    entry = our_key(acct, "EVP", None)
    move_at_dict(entry, other)  # DICT's data would be ours exactly, on the other customer's account
    at_dict = dir_row(entry.key_value).cid

    result, _ = repair("EVP")

    assert result == "out of sync: EVP"
    assert fixes_of("EVP") == {"unresolved": 1}
    entry.refresh_from_db()
    assert (entry.status, entry.account_id, entry.cid) == ("ACTIVE", acct.pk, entry.cid)  # not moved to other
    assert not other.entries.exists()
    assert dir_row(entry.key_value).cid == at_dict
    assert reconciled(entry) == []


def test_a_key_is_not_corrected_onto_an_account_of_ours_with_no_free_slot(make_account) -> None:
    acct = make_account()
    savings = make_account(holder=acct.holder, account_type="SVGS")
    full = [our_key(savings, "EVP", None) for _ in range(5)]  # a natural person's limit
    entry = our_key(acct, "EVP", None)
    move_at_dict(entry, savings)

    assert repair("EVP")[0] == "out of sync: EVP"
    assert fixes_of("EVP") == {"unresolved": 1}
    assert Entry.objects.get(pk=entry.pk).account_id == acct.pk
    assert savings.entries.count() == len(full)


def test_a_deletion_in_flight_keeps_its_cid_and_still_reaches_dict(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EMAIL", "maria@example.com")
    tamper_change(key=entry.key_value, owner_name="Maria Silva Souza")  # DICT: the key under another CID
    Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.DELETE_PENDING, delete_reason="USER_REQUESTED")

    assert repair("EMAIL")[0] == "out of sync: EMAIL"
    assert fixes_of("EMAIL") == {"skipped": 1}  # DICT's CID; ours is its counterpart, not one to remove
    assert Entry.objects.get(pk=entry.pk).status == "DELETE_PENDING"
    assert services.entry_unregister(entry_id=entry.pk).status == "DELETED"  # the customer's delete
    assert not DirEntry.objects.filter(key=entry.key_value).exists()
    assert all(r.ok for r in sync_check())


def test_a_deletion_in_flight_is_never_removed_here(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_drop(key=entry.key_value)
    Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.DELETE_PENDING, delete_reason="USER_REQUESTED")

    assert repair("EVP")[0] == "out of sync: EVP"
    assert fixes_of("EVP") == {"skipped": 1}
    assert Entry.objects.get(pk=entry.pk).status == "DELETE_PENDING"
    assert services.entry_unregister(entry_id=entry.pk).status == "DELETED"  # DICT's NotFound: done


def test_a_repair_fixes_at_most_the_cap_per_run_and_the_rest_next_run(make_account, settings) -> None:
    settings.SYNC_REPAIR_MAX_DIFFERENCES = 1
    acct = make_account()
    first, second = our_key(acct, "EMAIL", "a@example.com"), our_key(acct, "EMAIL", "b@example.com")
    for entry in (first, second):
        tamper_change(key=entry.key_value, owner_name="Maria Silva Souza")

    result, out = repair("EMAIL")

    assert result == "out of sync: EMAIL"
    assert "was NOK, 4 CIDs differed; updated_at_dict: 1" in out
    assert "    2 left for the next run (SYNC_REPAIR_MAX_DIFFERENCES)" in out
    # The DICT CID left for later may be the counterpart of our CID left: ours are not removed meanwhile.
    assert set(Entry.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"ACTIVE"}
    assert [dir_row(e.key_value).owner_name for e in (first, second)].count(acct.holder.name) == 1

    result, out = repair("EMAIL")

    assert result == "OK"
    assert "left for the next run" not in out
    assert all(dir_row(e.key_value).owner_name == acct.holder.name for e in (first, second))


def test_the_cap_is_shared_by_every_key_type_of_a_run(make_account, settings) -> None:
    settings.SYNC_REPAIR_MAX_DIFFERENCES = 1
    acct = make_account()
    evp, email = our_key(acct, "EVP", None), our_key(acct, "EMAIL", "c@example.com")
    tamper_drop(key=evp.key_value)
    tamper_drop(key=email.key_value)

    reports = {r.key_type: r for r in sync_check(repair=True)}

    assert (reports["EMAIL"].fixes[Fix.REMOVED_HERE], reports["EMAIL"].deferred) == (1, 0)
    assert (reports["EVP"].fixes[Fix.REMOVED_HERE], reports["EVP"].deferred, reports["EVP"].ok) == (0, 1, False)
    assert Entry.objects.get(pk=evp.pk).status == "ACTIVE"
    assert all(r.ok for r in sync_check(repair=True))


def test_two_repairs_never_overlap(make_account) -> None:
    acct = make_account()
    entry = our_key(acct, "EVP", None)
    tamper_drop(key=entry.key_value)
    token = take_lease(REPAIR_LEASE, 60)  # another repair is running
    assert token is not None
    try:
        assert take_lease(REPAIR_LEASE, 60) is None
        result, _ = repair("EVP")
        assert result == "another sync repair is running; try again when it is done"
        assert tasks.check_sync.apply().get(**EAGER) == {}
        assert Entry.objects.get(pk=entry.pk).status == "ACTIVE"
        assert not SyncCheck.objects.exists()
        assert not sync_check(key_types=["EVP"])[0].ok  # a check alone needs no lease
    finally:
        release_lease(REPAIR_LEASE, token)

    assert repair("EVP")[0] == "OK"  # released: the next run repairs
    token = take_lease(REPAIR_LEASE, 60)
    assert token is not None  # and that run released its own lease when done
    release_lease(REPAIR_LEASE, token)
