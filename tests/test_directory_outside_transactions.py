"""No call to the directory inside a database transaction or under a row lock.

The guard: the client get_client() returns refuses a directory call while its caller has a
transaction open (the test's own, opened by pytest-django, does not count). The shape: while a
directory call hangs, another connection can lock every row the use case touches (NOWAIT), and
the intent is already committed. A crash between the call and the answer's transaction is
settled by the re-drive (entries) and the poll (claims).
"""

import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Account
from claims import services as claim_services
from claims.models import Claim, ClaimStart
from claims.services import claim_respond, claims_poll, claims_sweep
from connect.breaker import Bulkhead
from connect.client import (
    DIRECTORY_CALLS,
    DirectoryCalledInTransaction,
    TransactionFreeClient,
    connect_state,
    get_client,
)
from connect.local import LocalDirectoryClient
from connect.ports import DirectoryNotAsked
from dict_rules.errors import RequestIdAlreadyUsed, ServiceUnavailable
from dictsim import clock
from dictsim.models import DirEntry
from events.models import DomainEvent
from keys import services as key_services
from keys import updates as key_updates
from keys.models import Entry
from keys.services import entries_redrive, entry_delete, entry_register, entry_unregister
from med.models import InfractionReport
from med.services import med_poll, report_close
from portability.services import portability_start
from tests.factories import (
    DAY,
    claim_events,
    create_entry,
    incoming,
    key_at_other_psp,
    key_slots_held_by_claims,
    otp,
    owner_of,
)
from tests.med_support import fraud_team, paid_to_our_customer, reported_by_other_psp

pytestmark = pytest.mark.django_db


def pending_entry(account: Account, key: str | None = None, monkeypatch=None) -> Entry:
    """A PENDING entry, its registration not run and no later work handed to a worker (so nothing else
    calls the directory)."""
    if monkeypatch is not None:
        monkeypatch.setattr(key_services, "register_created", lambda entry: None)
        monkeypatch.setattr(key_services, "enqueue_task", lambda task_name, entry_id: None)
    return create_entry(account, "EMAIL", key or f"{uuid.uuid4().hex}@example.com")


# --- the guard ---------------------------------------------------------------------------------


def test_every_directory_call_is_guarded_and_the_rest_passes_through() -> None:
    used = {"create_entry", "get_entry", "update_entry", "delete_entry", "check_sync", "list_cids", "health"}
    used |= {"create_claim", "get_claim", "list_claims", "acknowledge_claim", "confirm_claim", "cancel_claim"}
    assert used | {"complete_claim"} <= DIRECTORY_CALLS
    assert "close" not in DIRECTORY_CALLS  # the gRPC adapter's own methods are not calls to the directory
    assert connect_state() == "in-process"  # an attribute the port does not name (breaker) still reads


def test_a_directory_call_inside_a_transaction_is_refused() -> None:
    client = get_client()
    assert client.health()  # inside only the test's own transaction: allowed
    with pytest.raises(DirectoryCalledInTransaction, match=r"health\(\) inside a transaction"), transaction.atomic():
        client.health()
    with pytest.raises(DirectoryCalledInTransaction), transaction.atomic(), transaction.atomic():
        client.list_claims(as_donor=True, as_claimer=False)  # a savepoint inside: still a transaction
    assert client.health()


def test_a_service_shaped_the_old_way_fails(make_account, monkeypatch) -> None:
    entry = pending_entry(make_account(), monkeypatch=monkeypatch)

    def register_under_the_row_lock(entry_id) -> None:  # how entry_register was written before
        with transaction.atomic():
            locked = Entry.objects.select_for_update().select_related("account__holder").get(pk=entry_id)
            get_client().create_entry(key_services._entry_request(locked))

    with pytest.raises(DirectoryCalledInTransaction, match="create_entry"):
        register_under_the_row_lock(entry.pk)
    with pytest.raises(DirectoryCalledInTransaction), transaction.atomic():
        entry_register(entry_id=entry.pk)  # today's service, called by someone inside a transaction
    assert not DirEntry.objects.filter(key=entry.key_value).exists()
    assert entry_register(entry_id=entry.pk).status == "ACTIVE"


@pytest.mark.django_db(transaction=True)
def test_the_guard_without_a_test_transaction_around(make_account) -> None:
    client = get_client()
    assert client.health()
    with pytest.raises(DirectoryCalledInTransaction), transaction.atomic(durable=True):
        client.health()
    transaction.set_autocommit(False)  # a transaction opened by hand counts too
    try:
        with pytest.raises(DirectoryCalledInTransaction):
            client.health()
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
    assert client.health()


# --- while the directory hangs, no row is locked -----------------------------------------------


class Held:
    """One directory call, the first of its kind, waiting until released."""

    def __init__(self) -> None:
        self.entered, self.release, self.calls = threading.Event(), threading.Event(), 0
        self._lock = threading.Lock()

    def first(self) -> bool:
        with self._lock:
            self.calls += 1
            return self.calls == 1


@pytest.fixture
def hold_directory(monkeypatch) -> Callable[[str], Held]:
    def hold(method: str) -> Held:
        held, real = Held(), getattr(LocalDirectoryClient, method)

        def waiting(self, *args, **kwargs):
            if held.first():
                held.entered.set()
                assert held.release.wait(timeout=30), "the test never released the directory"
            return real(self, *args, **kwargs)

        monkeypatch.setattr(LocalDirectoryClient, method, waiting)
        return held

    return hold


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list]:
    """Run ``work`` on its own thread (its own database connection); the outcome lands in the list."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def lockable_now(model, pk) -> bool:
    """Whether this connection can take the row's lock at once (NOWAIT) in a transaction of its own."""
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(pk=pk)
    except DatabaseError:
        return False
    return True


def finish(held: Held, thread: threading.Thread, outcome: list) -> object:
    held.release.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    [result] = outcome
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.mark.django_db(transaction=True)
def test_the_probe_sees_a_lock_held_across_a_wait(make_account) -> None:
    """The control: a row locked while something waits is seen as locked (so the tests below can fail)."""
    entry = pending_entry(make_account())
    entered, release = threading.Event(), threading.Event()

    def lock_and_wait() -> None:
        with transaction.atomic():
            Entry.objects.select_for_update().get(pk=entry.pk)
            entered.set()
            release.wait(timeout=30)

    thread, outcome = in_thread(lock_and_wait)
    assert entered.wait(timeout=30)
    assert not lockable_now(Entry, entry.pk)
    release.set()
    thread.join(timeout=30)
    assert lockable_now(Entry, entry.pk)


@pytest.mark.django_db(transaction=True)
def test_registering_a_key_locks_nothing_while_the_directory_answers(make_account, hold_directory, monkeypatch) -> None:
    account = make_account()
    entry = pending_entry(account, monkeypatch=monkeypatch)
    held = hold_directory("create_entry")
    thread, outcome = in_thread(lambda: entry_register(entry_id=entry.pk))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Entry, entry.pk)
    assert lockable_now(Account, account.pk)
    assert Entry.objects.get(pk=entry.pk).status == "PENDING"

    assert finish(held, thread, outcome).status == "ACTIVE"
    assert Entry.objects.get(pk=entry.pk).status == "ACTIVE"


@pytest.mark.django_db(transaction=True)
def test_two_registrations_of_one_entry_ask_twice_and_apply_once(make_account, hold_directory, monkeypatch) -> None:
    entry = pending_entry(make_account(), monkeypatch=monkeypatch)
    held = hold_directory("create_entry")
    thread, outcome = in_thread(lambda: entry_register(entry_id=entry.pk))
    assert held.entered.wait(timeout=30)

    assert entry_register(entry_id=entry.pk).status == "ACTIVE"  # e.g. sync_pending, while a worker waits
    assert finish(held, thread, outcome).status == "ACTIVE"  # DICT replayed the RequestId; nothing to apply
    assert held.calls == 2
    assert DirEntry.objects.filter(key=entry.key_value).count() == 1
    events = DomainEvent.objects.filter(aggregate_id=str(entry.pk)).values_list("event_type", flat=True)
    assert list(events) == ["EntryCreated", "EntryActivated"]


@pytest.mark.django_db(transaction=True)
def test_deleting_a_key_locks_nothing_while_the_directory_answers(make_account, hold_directory, monkeypatch) -> None:
    account = make_account()
    entry = entry_register(entry_id=pending_entry(account, monkeypatch=monkeypatch).pk)
    entry_delete(user=account.holder.user, entry_id=entry.pk)  # DELETE_PENDING; its task is not enqueued
    held = hold_directory("delete_entry")
    thread, outcome = in_thread(lambda: entry_unregister(entry_id=entry.pk))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Entry, entry.pk)
    assert Entry.objects.get(pk=entry.pk).status == "DELETE_PENDING"

    assert finish(held, thread, outcome).status == "DELETED"


@pytest.mark.django_db(transaction=True)
def test_updating_a_key_locks_nothing_while_the_directory_answers(make_account, hold_directory, monkeypatch) -> None:
    account = make_account()
    savings = make_account(holder=account.holder)
    for module in (key_services, key_updates):  # no worker: this test asks the directory itself
        monkeypatch.setattr(module, "enqueue_task", lambda task_name, entry_id: None)
    entry = entry_register(entry_id=create_entry(account, "CPF", account.holder.tax_id).pk)
    move = {"entry_id": entry.pk, "account_id": savings.pk, "request_id": uuid.uuid4()}
    key_updates.entry_update(user=account.holder.user, **move)  # the intent, committed
    held = hold_directory("update_entry")
    thread, outcome = in_thread(lambda: key_updates.entry_apply_update(entry_id=entry.pk))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Entry, entry.pk) and lockable_now(Account, savings.pk)
    assert Entry.objects.get(pk=entry.pk).update_pending

    assert finish(held, thread, outcome).account_id == savings.pk


@pytest.mark.django_db(transaction=True)
def test_starting_a_claim_commits_its_intent_and_locks_nothing_while_the_directory_answers(
    make_account, hold_directory
) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", f"start.{account.pk}@example.com", owner_of(account))
    start = {"user": user, "account_id": account.pk, "key_type": "EMAIL", "key": f"start.{account.pk}@example.com"}
    request_id = uuid.uuid4()
    held = hold_directory("create_claim")
    thread, outcome = in_thread(lambda: portability_start(**start, request_id=request_id))
    assert held.entered.wait(timeout=30)

    intent = ClaimStart.objects.get(requested_by=user, request_id=request_id)  # committed before the call
    assert lockable_now(ClaimStart, intent.pk)
    assert lockable_now(Account, account.pk)
    assert lockable_now(get_user_model(), user.pk)
    assert key_slots_held_by_claims(account) == 1  # the start holds the account's slot
    with pytest.raises(ServiceUnavailable, match="still waiting for DICT"):  # a retry meanwhile: try again
        portability_start(**start, request_id=request_id)
    with pytest.raises(RequestIdAlreadyUsed):
        portability_start(**start | {"key": "other@example.com"}, request_id=request_id)

    claim, replayed = finish(held, thread, outcome)
    assert replayed is False
    assert (claim.request_id, claim.status, held.calls) == (request_id, "OPEN", 1)
    assert not ClaimStart.objects.exists()
    assert key_slots_held_by_claims(account) == 1
    assert portability_start(**start, request_id=request_id) == (claim, True)


@pytest.mark.django_db(transaction=True)
def test_closing_an_infraction_report_commits_its_intent_and_locks_nothing_while_the_directory_answers(
    make_account, make_entry, hold_directory
) -> None:
    tx = paid_to_our_customer(make_entry(make_account()))
    reported_by_other_psp(tx)
    med_poll()  # stored and acknowledged
    report = InfractionReport.objects.get(transaction_id=tx)
    analyst = fraud_team(make_account().holder.user)
    held = hold_directory("close_infraction_report")
    close = {"analysis_result": "AGREED", "fraud_type": "MULE_ACCOUNT"}
    thread, outcome = in_thread(lambda: report_close(user=analyst, report_id=report.pk, **close))
    assert held.entered.wait(timeout=30)

    assert lockable_now(InfractionReport, report.pk)
    assert InfractionReport.objects.get(pk=report.pk).intent == "close"  # committed before DICT was asked

    closed = finish(held, thread, outcome)
    assert (closed.status, closed.intent) == ("CLOSED", "")


@pytest.mark.django_db(transaction=True)
def test_answering_a_claim_locks_nothing_while_the_directory_answers(make_account, hold_directory) -> None:
    account = make_account()
    incoming(account, f"donor.{account.pk}@example.com")
    claims_poll()  # we acknowledge as donor
    claim = Claim.objects.get(role="DONOR")
    held = hold_directory("confirm_claim")
    user = account.holder.user
    code = otp(user)
    thread, outcome = in_thread(lambda: claim_respond(user=user, claim_id=claim.pk, accept=True, otp=code))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Claim, claim.pk)
    assert lockable_now(Entry, claim.entry_id)

    assert finish(held, thread, outcome).status == "CONFIRMED"
    assert Entry.objects.get(pk=claim.entry_id).status == "DELETED"
    assert claim_events(claim) == ["ClaimReceived", "ClaimAcknowledged", "ClaimConfirmed"]


@pytest.mark.django_db(transaction=True)
def test_a_sweep_locks_nothing_while_the_directory_answers_and_a_second_sweep_skips(
    make_account, hold_directory
) -> None:
    account = make_account()
    incoming(account, f"sweep.{account.pk}@example.com")
    claims_poll()
    claim = Claim.objects.get(role="DONOR")
    now = clock.advance(7 * DAY + timedelta(seconds=1))  # unanswered portability: we cancel it
    held = hold_directory("cancel_claim")
    thread, outcome = in_thread(lambda: claims_sweep(now=now))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Claim, claim.pk)
    assert claims_sweep(now=now) == {}  # the first sweep holds the claim's lease: this one skips it

    assert finish(held, thread, outcome) == {"cancel_portability": 1}
    assert held.calls == 1
    assert Claim.objects.get(pk=claim.pk).status == "CANCELLED"


# --- a crash between the call and its answer ----------------------------------------------------


class Crash(Exception):
    """The process dies here."""


def crash(*args, **kwargs):
    raise Crash


def test_a_registration_dict_answered_but_we_lost_is_redriven(make_account, monkeypatch) -> None:
    entry = pending_entry(make_account(), monkeypatch=monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(key_services, "entry_cid", crash)  # right after DICT's answer
        with pytest.raises(Crash):
            entry_register(entry_id=entry.pk)
    assert Entry.objects.get(pk=entry.pk).status == "PENDING"
    assert DirEntry.objects.filter(key=entry.key_value).count() == 1

    assert entries_redrive(older_than=timedelta(0))["registered"] == 1  # DICT replays the RequestId
    assert Entry.objects.get(pk=entry.pk).status == "ACTIVE"
    assert DirEntry.objects.filter(key=entry.key_value).count() == 1


def crashed_start(account, key: str, monkeypatch) -> tuple[dict, uuid.UUID]:
    """A portability of a key held elsewhere whose process crashed after DICT opened the claim, before
    the claim was stored: its start row is left for the poll. Returns the start's arguments and request id."""
    key_at_other_psp("EMAIL", key, owner_of(account))
    start = {"user": account.holder.user, "account_id": account.pk, "key_type": "EMAIL", "key": key}
    request_id = uuid.uuid4()
    with monkeypatch.context() as patched:
        patched.setattr("claims.services._store_started", crash)
        with pytest.raises(Crash):
            portability_start(**start, request_id=request_id)
    return start, request_id


def test_a_claim_dict_opened_but_we_lost_is_adopted_into_its_start(make_account, monkeypatch) -> None:
    account = make_account()
    start, request_id = crashed_start(account, "lost.start@example.com", monkeypatch)
    assert ClaimStart.objects.filter(request_id=request_id).exists()

    claims_poll()

    claim = Claim.objects.get(role="CLAIMER")
    assert (claim.request_id, claim.requested_by, claim.account_id) == (request_id, account.holder.user, account.pk)
    assert claim_events(claim) == ["ClaimAdopted"]
    assert not ClaimStart.objects.exists()
    assert portability_start(**start, request_id=request_id) == (claim, True)


def test_a_start_dict_never_saw_is_dropped_by_the_poll(make_account, monkeypatch) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "never@example.com", owner_of(account))
    start = {"user": account.holder.user, "account_id": account.pk, "key_type": "EMAIL", "key": "never@example.com"}
    request_id = uuid.uuid4()
    with monkeypatch.context() as patched:
        patched.setattr(LocalDirectoryClient, "create_claim", crash)  # dies before DICT is reached
        with pytest.raises(Crash):
            portability_start(**start, request_id=request_id)
    with pytest.raises(ServiceUnavailable):  # its request id waits while the start may still be answered
        portability_start(**start, request_id=request_id)
    assert "starts_dropped" not in claims_poll()  # too young to be abandoned

    ClaimStart.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert claims_poll()["starts_dropped"] == 1
    claim, replayed = portability_start(**start, request_id=request_id)
    assert (replayed, claim.request_id) == (False, request_id)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_start_or_one_never_sent_leaves_no_intent(make_account, make_client, monkeypatch) -> None:
    account = make_account()
    start = {"user": account.holder.user, "account_id": account.pk, "key_type": "EMAIL"}
    with pytest.raises(Exception) as refused:  # noqa: PT011 - DICT's refusal, whatever its code
        portability_start(**start, key="nobody@example.com", request_id=uuid.uuid4())  # no such key at DICT
    assert refused.value.code == "ClaimKeyNotFound"
    assert not ClaimStart.objects.exists()

    full = Bulkhead(limit=1, wait=0)
    assert full.acquire()  # every slot in use: the gRPC adapter refuses before sending anything
    grpc_client = make_client(closed_port(), attempts=1, deadline=0.5, bulkhead=full)
    monkeypatch.setattr(claim_services, "get_client", lambda: TransactionFreeClient(grpc_client))
    with pytest.raises(DirectoryNotAsked):
        portability_start(**start, key="nobody@example.com", request_id=uuid.uuid4())
    assert not ClaimStart.objects.exists()
    assert key_slots_held_by_claims(account) == 0


def test_an_unreachable_directory_keeps_the_start(make_account, make_client, monkeypatch) -> None:
    """A closed port is UNAVAILABLE, a plain ServiceUnavailable for the gRPC adapter, not DirectoryNotAsked:
    the start is kept although DICT never saw it. Stricter than needed for a refused connection, but
    correct: the adapter cannot tell it from a timeout, and the poll drops the start once abandoned."""
    account = make_account()
    start = {"user": account.holder.user, "account_id": account.pk, "key_type": "EMAIL", "key": "x@example.com"}
    grpc_client = make_client(closed_port(), attempts=1, deadline=0.5)
    monkeypatch.setattr(claim_services, "get_client", lambda: TransactionFreeClient(grpc_client))
    request_id = uuid.uuid4()
    with pytest.raises(ServiceUnavailable) as unreachable:
        portability_start(**start, request_id=request_id)
    assert type(unreachable.value) is ServiceUnavailable
    assert ClaimStart.objects.filter(request_id=request_id).exists()
    assert key_slots_held_by_claims(account) == 1
    monkeypatch.undo()

    ClaimStart.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert claims_poll()["starts_dropped"] == 1
    assert key_slots_held_by_claims(account) == 0


def test_a_start_dict_opened_but_whose_answer_timed_out_keeps_its_request_id(make_account, monkeypatch) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "timeout@example.com", owner_of(account))
    user = account.holder.user
    start = {"user": user, "account_id": account.pk, "key_type": "EMAIL", "key": "timeout@example.com"}
    request_id = uuid.uuid4()
    real = LocalDirectoryClient.create_claim

    def opened_then_timed_out(self, request):
        real(self, request)
        raise ServiceUnavailable("deadline exceeded")

    with monkeypatch.context() as patched:
        patched.setattr(LocalDirectoryClient, "create_claim", opened_then_timed_out)
        with pytest.raises(ServiceUnavailable):
            portability_start(**start, request_id=request_id)
    assert ClaimStart.objects.filter(request_id=request_id).exists()
    assert key_slots_held_by_claims(account) == 1  # the slot stays held meanwhile
    with pytest.raises(ServiceUnavailable, match="still waiting for DICT"):
        portability_start(**start, request_id=request_id)

    claims_poll()

    claim = Claim.objects.get(role="CLAIMER")
    assert (claim.request_id, claim.requested_by, claim.account_id) == (request_id, user, account.pk)
    assert not ClaimStart.objects.exists()
    assert portability_start(**start, request_id=request_id) == (claim, True)


def test_a_claim_dict_accepted_but_we_could_not_store_is_try_again_not_a_500(make_account, monkeypatch) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "conflict@example.com", owner_of(account))
    user = account.holder.user
    start = {"user": user, "account_id": account.pk, "key_type": "EMAIL", "key": "conflict@example.com"}
    request_id = uuid.uuid4()
    real = LocalDirectoryClient.create_claim

    def create_then_conflict(self, request):
        remote = real(self, request)
        Claim.objects.create(  # a row for DICT's claim that holds no request id...
            dict_id=remote.id,
            role="CLAIMER",
            claim_type="PORTABILITY",
            requested_by_kind="SYSTEM",
            key=request.key,
            key_type=request.key_type,
            status=remote.status,
            donor_participant=remote.donor_participant,
            claimer_participant=remote.claimer_account.participant,
            dict_created_at=remote.created_at,
            resolution_period_end=remote.resolution_period_end,
            last_modified=remote.last_modified,
        )
        return remote

    with monkeypatch.context() as patched:
        patched.setattr(LocalDirectoryClient, "create_claim", create_then_conflict)
        patched.setattr(claim_services, "_adopted_meanwhile", lambda *args, **kwargs: None)  # ...that we miss
        with pytest.raises(ServiceUnavailable, match="try again shortly"):
            portability_start(**start, request_id=request_id)

    assert ClaimStart.objects.filter(request_id=request_id).exists()  # kept, for the poll to settle
    with pytest.raises(ServiceUnavailable, match="still waiting for DICT"):
        portability_start(**start, request_id=request_id)


def test_a_claimer_sync_that_failed_keeps_old_starts_for_the_next_poll(make_account, monkeypatch) -> None:
    account = make_account()
    start, request_id = crashed_start(account, "kept@example.com", monkeypatch)
    ClaimStart.objects.update(created_at=timezone.now() - timedelta(minutes=11))

    with monkeypatch.context() as patched:
        patched.setattr("claims.services._start_of", crash)  # adopting DICT's claim into the start fails
        counts = claims_poll()
    assert counts["failed"] == 1 and "starts_dropped" not in counts
    assert ClaimStart.objects.filter(request_id=request_id).exists()

    claims_poll()
    claim = Claim.objects.get(role="CLAIMER")
    assert claim.request_id == request_id
    assert not ClaimStart.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_sync_repair_locks_nothing_while_dict_answers_and_applies_only_to_an_entry_still_as_read(
    make_account, hold_directory, monkeypatch
) -> None:
    from dictsim.tamper import tamper_change
    from keys.sync import Fix, sync_check
    from tests.factories import our_key

    monkeypatch.setattr(key_services, "enqueue_task", lambda task_name, entry_id: None)
    account = make_account()
    entry = our_key(account, "CPF", account.holder.tax_id)
    tamper_change(key=entry.key_value, account_number="9999")
    held = hold_directory("update_entry")
    thread, outcome = in_thread(lambda: sync_check(repair=True, key_types=["CPF"]))
    assert held.entered.wait(timeout=30)

    assert lockable_now(Entry, entry.pk)
    assert lockable_now(Account, account.pk)
    entry_delete(user=account.holder.user, entry_id=entry.pk)  # the customer deletes it meanwhile

    [report] = finish(held, thread, outcome)
    assert (report.fixes[Fix.UPDATED_AT_DICT], report.fixes[Fix.SKIPPED]) == (0, 1)  # not applied over the delete
    assert Entry.objects.filter(pk=entry.pk).values_list("status", "cid").get() == ("DELETE_PENDING", entry.cid)
    assert not DomainEvent.objects.filter(aggregate_id=str(entry.pk), event_type="EntryReconciled").exists()
