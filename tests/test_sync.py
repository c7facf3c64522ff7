"""Our keys against the directory: VSync checks, listings of the CIDs that differ, and re-driving stuck DICT work.

The directory is the in-process adapter (CONNECT_URL empty, the simulated DICT on this
database); "unavailable" is the gRPC adapter pointed at a closed port.
"""

import socket
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from connect.client import get_client
from dict_rules.cid import vsync
from dict_rules.directory import BankAccount, EntryRequest, Owner
from dictsim import services as directory
from dictsim.models import DirEntry
from dictsim.seeding import seed_entries
from keys import tasks
from keys.domain import EntryStatus
from keys.models import Entry
from keys.services import entry_delete, entry_register
from keys.sync import sync_check
from tests.factories import create_entry, new_cpf

# An eager result is already computed. Celery refuses .get() while *any* thread of the process runs an
# eager task (a process-global flag), which a server thread of another test may be doing.
EAGER = {"disable_sync_subtasks": False}

pytestmark = pytest.mark.django_db

ZERO = "0" * 64
ALL_QUIET = {"registered": 0, "failed": 0, "deleted": 0, "delete_refused": 0, "still_pending": 0}
ALL_QUIET |= {"updated": 0, "update_refused": 0, "owner_refreshed": 0, "update_still_pending": 0}  # keys.updates


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def use_directory(settings):
    """Switch the adapter get_client() returns: '' for in-process, or a gRPC address."""

    def close_cached() -> None:
        if get_client.cache_info().currsize:
            client = get_client()
            if hasattr(client, "close"):
                client.close()
        get_client.cache_clear()

    def use(url: str) -> None:
        close_cached()
        settings.CONNECT_URL = url

    settings.CONNECT_RETRY_ATTEMPTS = 1  # retries are counted in test_connect_grpc
    settings.CONNECT_DEADLINE_SEC = 2
    use("")
    yield use
    close_cached()


def pending(account, key_type: str, key: str | None = None) -> Entry:
    """An entry saved here as PENDING (its on-commit registration never runs in these tests)."""
    entry = create_entry(account, key_type, key)
    assert entry.status == EntryStatus.PENDING
    return entry


def registered(account, key_type: str, key: str | None = None) -> Entry:
    entry = entry_register(entry_id=pending(account, key_type, key).pk)
    assert entry.status == EntryStatus.ACTIVE
    return entry


def our_rows() -> list[tuple]:
    return list(Entry.objects.order_by("pk").values_list("pk", "status", "key_value", "cid", "updated_at"))


def directory_rows() -> list[tuple]:
    return sorted(DirEntry.objects.values_list("key", "participant", "cid"))


def redrive(*args: str) -> str:
    out = StringIO()
    call_command("sync_pending", *args, stdout=out)
    return out.getvalue()


def counts(**nonzero: int) -> str:
    return ", ".join(f"{name}: {n}" for name, n in {**ALL_QUIET, **nonzero}.items()) + "\n"


def test_check_sync_is_ok_for_every_key_type_after_registration(use_directory, make_account, settings) -> None:
    natural, legal = make_account(), make_account(legal=True)
    entries = [
        registered(natural, "CPF", natural.holder.tax_id),
        registered(natural, "PHONE", "+5511987650021"),
        registered(natural, "EMAIL", "Sync@Example.com"),
        registered(natural, "EVP"),
        registered(legal, "CNPJ", legal.holder.tax_id),
        registered(legal, "EVP"),
    ]
    seed_entries(count=30)  # other participants' keys do not touch our VSyncs
    assert {(e.key_value, e.cid) for e in entries} == set(
        DirEntry.objects.filter(participant=settings.DICT_ISPB).values_list("key", "cid")
    )
    reports = sync_check()
    assert [(r.key_type, r.ok, r.count) for r in reports] == [
        ("CPF", True, 1),
        ("CNPJ", True, 1),
        ("PHONE", True, 1),
        ("EMAIL", True, 1),
        ("EVP", True, 2),
    ]
    for report in reports:
        expected = vsync([e.cid for e in entries if e.key_type == report.key_type])
        assert (report.ours, report.theirs) == (expected, expected) != (ZERO, ZERO)
        assert (report.missing_at_dict, report.unknown_here) == ([], [])
    out = StringIO()
    call_command("check_sync", stdout=out)
    assert out.getvalue().splitlines() == [f"{r.key_type:<6} OK  {r.count} keys  vsync {r.ours}" for r in reports]


def test_a_corrupt_cid_is_nok_for_its_type_and_the_listing_names_both_cids(use_directory, make_account) -> None:
    account = make_account()
    phone = registered(account, "PHONE", "+5511987650022")
    email = registered(account, "EMAIL", "kept@example.com")
    real, bad = phone.cid, "f" * 64
    Entry.objects.filter(pk=phone.pk).update(cid=bad)
    ours, theirs = our_rows(), directory_rows()
    reports = {r.key_type: r for r in sync_check()}
    assert [t for t, r in reports.items() if not r.ok] == ["PHONE"]
    assert (reports["PHONE"].ours, reports["PHONE"].theirs) == (bad, real)
    assert (reports["PHONE"].missing_at_dict, reports["PHONE"].unknown_here) == (
        [],
        [],
    )  # listed only on --list-differences
    out = StringIO()
    with pytest.raises(CommandError, match=r"^out of sync: PHONE$"):
        call_command("check_sync", "--list-differences", stdout=out)
    assert out.getvalue().splitlines() == [
        f"CPF    OK  0 keys  vsync {ZERO}",
        f"CNPJ   OK  0 keys  vsync {ZERO}",
        f"PHONE  NOK  1 keys  vsync {bad}",
        f"    ours, not at DICT: {bad}",
        f"    at DICT, not ours: {real}",
        f"EMAIL  OK  1 keys  vsync {email.cid}",
        f"EVP    OK  0 keys  vsync {ZERO}",
    ]
    assert (our_rows(), directory_rows()) == (ours, theirs)  # a check repairs nothing by itself


def test_stuck_work_waits_while_the_directory_is_down_and_is_redriven_when_it_is_back(
    use_directory, make_account
) -> None:
    account = make_account()
    leaving = registered(account, "EMAIL", "bye@example.com")
    use_directory(closed_port_url())
    waiting = [pending(account, "PHONE", "+5511987650023"), pending(account, "EVP")]
    assert entry_delete(user=account.holder.user, entry_id=leaving.pk).status == EntryStatus.DELETE_PENDING
    ours, theirs = our_rows(), directory_rows()

    assert redrive("--older-than", "0") == counts(still_pending=3)
    assert tasks.sync_pending.apply(kwargs={"older_than_seconds": 0}).get(**EAGER) == {**ALL_QUIET, "still_pending": 3}
    assert (our_rows(), directory_rows()) == (ours, theirs)

    use_directory("")
    # A DELETE_PENDING key is still at DICT, so it still counts in our VSync.
    assert all(r.ok for r in sync_check())
    assert redrive("--older-than", "60") == counts()  # none has waited a minute yet
    assert redrive("--older-than", "0") == counts(registered=2, deleted=1)
    statuses = dict(Entry.objects.values_list("pk", "status"))
    assert statuses == {waiting[0].pk: "ACTIVE", waiting[1].pk: "ACTIVE", leaving.pk: "DELETED"}
    assert Entry.objects.get(pk=leaving.pk).deleted_at is not None
    assert sorted((e.key_value, e.cid) for e in Entry.objects.filter(status="ACTIVE")) == sorted(
        (k, c) for k, _, c in directory_rows()
    )
    assert not DirEntry.objects.filter(key="bye@example.com").exists()
    assert all(r.ok for r in sync_check())
    assert redrive("--older-than", "0") == counts()


def test_redrive_settles_the_directorys_refusals(use_directory, make_account) -> None:
    account = make_account()
    stranger = Owner("NATURAL_PERSON", new_cpf(), "Joao Souza", "")
    elsewhere = BankAccount("87654321", "1", "99", "CACC", account.opening_date)
    request = EntryRequest("PHONE", "+5511987650024", stranger, elsewhere, uuid.uuid4())
    directory.entry_create(participant="87654321", request=request)  # DICT has it; we do not know
    taken = pending(account, "PHONE", "+5511987650024")
    vanished = registered(account, "EMAIL", "vanished@example.com")
    directory.entry_delete(participant=account.ispb, key="vanished@example.com", reason="RECONCILIATION")
    entry_delete(user=account.holder.user, entry_id=vanished.pk)

    assert redrive("--older-than", "0") == counts(failed=1, deleted=1)
    taken.refresh_from_db()
    assert (taken.status, taken.failure_code, taken.cid) == ("FAILED", "EntryKeyOwnedByDifferentPerson", "")
    assert Entry.objects.get(pk=vanished.pk).status == "DELETED"  # DICT no longer had it: NotFound is done
    assert DirEntry.objects.get(key="+5511987650024").owner_tax_id == stranger.tax_id


def test_an_eager_task_leaves_the_entry_pending_when_the_directory_is_down(
    use_directory, make_account, django_capture_on_commit_callbacks
) -> None:
    account = make_account()
    leaving = registered(account, "EVP")
    use_directory(closed_port_url())
    entry = pending(account, "EVP")
    result = tasks.register_entry.apply(args=[str(entry.pk)])
    assert (result.successful(), result.get(**EAGER)) == (True, "PENDING")
    entry.refresh_from_db()
    assert (entry.status, entry.key_value, entry.cid) == ("PENDING", None, "")

    entry_delete(user=account.holder.user, entry_id=leaving.pk)
    assert tasks.unregister_entry.apply(args=[str(leaving.pk)]).successful()
    assert Entry.objects.get(pk=leaving.pk).status == "DELETE_PENDING"

    # Through the API's path: the registration enqueued on commit runs eagerly and keeps it PENDING.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = pending(account, "EVP")
    assert len(callbacks) == 1
    assert Entry.objects.get(pk=created.pk).status == "PENDING"

    use_directory("")
    assert tasks.register_entry.apply(args=[str(entry.pk)]).get(**EAGER) == "ACTIVE"
    assert tasks.unregister_entry.apply(args=[str(leaving.pk)]).get(**EAGER) == "DELETED"
    assert not DirEntry.objects.filter(key=leaving.key_value).exists()
