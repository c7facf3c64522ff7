"""CreateKey's hot path, ours and the simulated directory's: what one create costs in SQL statements, a
retry found by the unique indexes rather than by a read first, and a create's answer given from the
entry it registered, with no second read of its row.

The statement counts are upper bounds (as assertNumQueries): a change that adds a statement to a create
fails here. Nothing is timed: speed is measured in bench/.
"""

import uuid
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from connect.local import LocalDirectoryClient
from dict_rules.errors import EntryKeyOwnedByDifferentPerson, EntryLimitExceeded
from dict_rules.possession import needs_possession_proof
from dictsim import services as directory
from dictsim.models import DirEntry
from events.models import DomainEvent
from keys import services as key_services
from keys.grpc import entry_to_pb
from keys.models import Entry
from keys.serializers import EntryOut
from keys.services import entry_create, entry_register
from rfb.services import simulated_registration_set
from tests.factories import account, create_entry, person, possession_proof, request

# Real commits: the create registers its entry at the (in-process) directory once its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

# What a create may cost us, the directory's statements apart: the owner's check at Receita Federal (4, in
# its own transaction), the insert's transaction (lock, slots and duplicate in one read, entry, event), the
# answer's (entry, event, the account's closure) and the lookups' view of the new key; an e-mail key also
# spends its proof of possession (2).
CORE_EVP_STATEMENTS, CORE_EMAIL_STATEMENTS, CORE_TRANSACTIONS = 12, 14, 3
# The directory's: the clock, the key's claims (not for an EVP), the account's lock and count, three inserts.
DIRECTORY_EVP_STATEMENTS, DIRECTORY_KEY_STATEMENTS = 6, 7


@pytest.fixture
def directory_spans(monkeypatch) -> Iterator[list[tuple[int, int]]]:
    """Where in the connection's query log each call to the in-process directory began and ended (it
    still answers), so a count can leave the directory's statements out of ours."""
    spans: list[tuple[int, int]] = []
    original = LocalDirectoryClient.create_entry

    def spy(self, request):
        start = len(connection.queries_log)
        try:
            return original(self, request)
        finally:
            spans.append((start, len(connection.queries_log)))

    monkeypatch.setattr(LocalDirectoryClient, "create_entry", spy)
    return spans


def statements(sql: list[str]) -> tuple[int, int]:
    """How many statements (transaction control apart) and transactions ``sql`` holds."""
    return sum(q not in ("BEGIN", "COMMIT") for q in sql), sql.count("BEGIN")


def ours_and_directorys(captured: CaptureQueriesContext, spans: list[tuple[int, int]]) -> tuple[list[str], list[str]]:
    directorys = {i - captured.initial_queries for start, end in spans for i in range(start, end)}
    sql = [q["sql"] for q in captured.captured_queries]
    return [q for i, q in enumerate(sql) if i not in directorys], [q for i, q in enumerate(sql) if i in directorys]


def create(acct: Account, key_type: str, key: str | None = None, **kwargs) -> tuple[Entry, bool]:
    """The holder's create through the service, with a fresh request id and the key's proof unless given."""
    user = acct.holder.user
    if "possession_challenge_id" not in kwargs and needs_possession_proof(key_type):
        kwargs["possession_challenge_id"] = possession_proof(user, key_type, key)
    arguments = {"request_id": uuid.uuid4()} | kwargs
    return entry_create(user=user, account_id=acct.pk, key_type=key_type, key_value=key, **arguments)


@pytest.mark.parametrize(("key_type", "most"), [("EVP", CORE_EVP_STATEMENTS), ("EMAIL", CORE_EMAIL_STATEMENTS)])
def test_a_create_costs_us_a_bounded_number_of_statements(make_account, directory_spans, key_type, most) -> None:
    acct = make_account()
    create(acct, "EVP")  # the first create of a process pays for lookups of its own
    key = f"{uuid.uuid4().hex[:12]}@example.com" if key_type == "EMAIL" else None
    proof = possession_proof(acct.holder.user, key_type, key) if key else None
    with CaptureQueriesContext(connection) as captured:
        entry, _ = create(acct, key_type, key, possession_challenge_id=proof)
    assert entry.status == "ACTIVE"
    ours, directorys = ours_and_directorys(captured, directory_spans)
    assert directorys, "the directory was asked in this process"
    count, transactions = statements(ours)
    assert count <= most, "\n".join(ours)
    assert transactions <= CORE_TRANSACTIONS, "\n".join(ours)


@pytest.mark.parametrize(("key_type", "most"), [("EVP", DIRECTORY_EVP_STATEMENTS), ("EMAIL", DIRECTORY_KEY_STATEMENTS)])
def test_a_create_at_the_directory_costs_a_bounded_number_of_statements(key_type, most) -> None:
    owner, acct = person(), account()
    directory.entry_create(participant=acct.participant, request=request("EVP", None, owner, acct))
    key = f"{uuid.uuid4().hex[:12]}@example.com" if key_type == "EMAIL" else None
    with CaptureQueriesContext(connection) as captured:
        directory.entry_create(participant=acct.participant, request=request(key_type, key, owner, acct))
    sql = [q["sql"] for q in captured.captured_queries]
    count, transactions = statements(sql)
    assert (count <= most, transactions) == (True, 1), "\n".join(sql)


def test_a_create_answers_with_the_entry_as_registered_with_no_second_read(make_account) -> None:
    entry, replayed = create(make_account(), "EVP")
    stored = Entry.objects.get(pk=entry.pk)
    assert (entry.status, replayed) == ("ACTIVE", False)
    assert entry_to_pb(entry) == entry_to_pb(stored)
    assert EntryOut(entry).data == EntryOut(stored).data


def test_the_retry_of_the_create_that_filled_the_account_is_replayed_not_refused(make_account) -> None:
    acct = make_account()  # a natural person: 5 keys
    for _ in range(4):
        create(acct, "EVP")
    request_id = uuid.uuid4()
    last, _ = create(acct, "EVP", request_id=request_id)
    with pytest.raises(EntryLimitExceeded):
        create(acct, "EVP")
    again, replayed = create(acct, "EVP", request_id=request_id)
    assert (again.pk, again.key_value, replayed) == (last.pk, last.key_value, True)


def test_the_retry_of_a_create_is_replayed_though_receita_federal_now_refuses_the_owner(make_account) -> None:
    acct = make_account()
    request_id = uuid.uuid4()
    first, _ = create(acct, "CPF", acct.holder.tax_id, request_id=request_id)
    simulated_registration_set(tax_id=acct.holder.tax_id, status="SUSPENDED")
    again, replayed = create(acct, "CPF", acct.holder.tax_id, request_id=request_id)
    assert (again.pk, replayed) == (first.pk, True)


def test_a_registration_that_finds_its_entry_moved_on_applies_nothing_and_says_how_it_is(
    make_account, monkeypatch
) -> None:
    acct = make_account()
    with monkeypatch.context() as patched:  # the create's own registration is lost (a crash after the commit)
        patched.setattr(key_services, "register_created", lambda entry: None)
        stale = create_entry(acct, "EVP", None)
    assert entry_register(entry_id=stale.pk).status == "ACTIVE"  # the re-drive registered it meanwhile

    key_services.register_created(stale)  # DICT replays the RequestId; the row is no longer PENDING

    assert (stale.status, stale.key_value) == ("ACTIVE", Entry.objects.get(pk=stale.pk).key_value)
    events = DomainEvent.objects.filter(aggregate_id=str(stale.pk)).values_list("event_type", flat=True)
    assert list(events.order_by("sequence")) == ["EntryCreated", "EntryActivated"]


def test_a_key_registered_as_its_account_closes_is_answered_as_deleted(make_account, monkeypatch) -> None:
    acct = make_account()
    with monkeypatch.context() as patched:
        patched.setattr(key_services, "register_created", lambda entry: None)
        entry = create_entry(acct, "EVP", None)
    Account.objects.filter(pk=acct.pk).update(closed_at=entry.created_at)

    key_services.register_created(entry)

    stored = Entry.objects.get(pk=entry.pk)  # DELETED already: the deletion's task ran here too
    assert (entry.status, entry.delete_reason) == (stored.status, "ACCOUNT_CLOSURE")
    assert stored.status == "DELETED"


def test_the_directory_replays_a_repeat_of_the_create_that_filled_the_account() -> None:
    owner, acct = person(), account()
    for _ in range(4):
        directory.entry_create(participant=acct.participant, request=request("EVP", None, owner, acct))
    last = request("EVP", None, owner, acct)
    first = directory.entry_create(participant=acct.participant, request=last)
    with pytest.raises(EntryLimitExceeded):
        directory.entry_create(participant=acct.participant, request=request("EVP", None, owner, acct))
    assert directory.entry_create(participant=acct.participant, request=last) == first


def test_the_directory_answers_a_key_held_elsewhere_before_the_full_account() -> None:
    owner, acct = person(), account()
    for _ in range(5):
        directory.entry_create(participant=acct.participant, request=request("EVP", None, owner, acct))
    taken = request("EMAIL", f"{uuid.uuid4().hex[:12]}@example.com", person(), account())
    directory.entry_create(participant=taken.account.participant, request=taken)
    with pytest.raises(EntryKeyOwnedByDifferentPerson):
        directory.entry_create(participant=acct.participant, request=request("EMAIL", taken.key, owner, acct))
    assert DirEntry.objects.filter(owner_tax_id=owner.tax_id).count() == 5
