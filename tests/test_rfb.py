"""Receita Federal conformity: the pure rules (statuses, MEI exception, names), the port and its
adapters (the simulated registry, HTTP with a timeout), the checks on register and claim, the
batch job that deletes nonconforming holders' keys, and the holder's admin page."""

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.urls import reverse

from claims.models import Claim, ClaimStart
from claims.services import ownership_claim_start
from dict_rules.errors import OwnerNameMismatch, OwnerTaxIdIrregular, ServiceUnavailable
from dict_rules.rfb import RegistryRecord, RfbStatus, check_owner, irregularity, name_matches
from dict_rules.tax_ids import PersonType
from dictsim.models import DirClaim, DirEntry
from events.models import DomainEvent
from keys.models import Entry
from keys.rfb_sweep import rfb_sweep
from keys.services import entry_create
from keys.updates import entry_update
from portability.services import portability_start
from rfb.client import RegistryCalledInTransaction, registry_lookup
from rfb.http_registry import HttpRegistry
from rfb.models import RfbCheck
from rfb.services import rfb_check, simulated_registration_set
from tests.factories import incoming_claim, key_at_other_psp, new_cpf, new_phone, our_key, owner_of, stranger

NATURAL, LEGAL = PersonType.NATURAL_PERSON, PersonType.LEGAL_PERSON
S = RfbStatus


# --- the pure rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person_type", "status", "irregular"),
    [
        (NATURAL, S.REGULAR, False),
        (NATURAL, S.PENDING_REGULARIZATION, False),
        (NATURAL, S.SUSPENDED, True),
        (NATURAL, S.CANCELLED, True),
        (NATURAL, S.DECEASED, True),
        (NATURAL, S.NULL, True),
        (NATURAL, S.UNFIT, True),  # not a CPF status: a status we cannot place is not a regular one
        (LEGAL, S.REGULAR, False),
        (LEGAL, S.SUSPENDED, True),
        (LEGAL, S.UNFIT, True),
        (LEGAL, S.CLOSED, True),
        (LEGAL, S.NULL, True),
        (LEGAL, S.DECEASED, True),
    ],
)
def test_irregular_statuses_per_person_type(person_type, status, irregular) -> None:
    record = RegistryRecord(tax_id="x", status=status)
    assert (irregularity(person_type, record) is not None) is irregular


def test_a_mei_suspended_under_cgsim_36_and_an_unfit_cnpj_under_art_38_i_stay_regular() -> None:
    mei = RegistryRecord(tax_id="x", status=S.SUSPENDED, mei=True, suspended_under_cgsim_36=True)
    assert irregularity(LEGAL, mei) is None
    assert irregularity(LEGAL, RegistryRecord(tax_id="x", status=S.SUSPENDED, mei=True)) == S.SUSPENDED
    not_mei = RegistryRecord(tax_id="x", status=S.SUSPENDED, suspended_under_cgsim_36=True)
    assert irregularity(LEGAL, not_mei) == S.SUSPENDED
    assert irregularity(LEGAL, RegistryRecord(tax_id="x", status=S.UNFIT, unfit_under_in_2119_art_38_i=True)) is None
    assert irregularity(NATURAL, RegistryRecord(tax_id="x", status=S.SUSPENDED, suspended_under_cgsim_36=True))


@pytest.mark.parametrize(
    ("person_type", "ours", "registered", "matches"),
    [
        (NATURAL, "maria da silva", "MARIA DA SILVA", True),  # case
        (NATURAL, "Joao Conceicao", "JOÃO CONCEIÇÃO", True),  # listed accents
        (NATURAL, "Joao D Avila", "JOAO D'AVILA", True),  # ' as a space
        (NATURAL, "Maria S. Souza", "MARIA SILVA SOUZA", True),  # a middle initial, with its dot
        (NATURAL, "Maria S Souza", "MARIA SILVA SOUZA", True),
        (NATURAL, "M Silva Souza", "MARIA SILVA SOUZA", False),  # the first word in full
        (NATURAL, "Maria Silva S", "MARIA SILVA SOUZA", False),  # the last word in full
        (NATURAL, "Maria Souza", "MARIA SILVA SOUZA", False),  # no word left out
        (NATURAL, "Maria Silva Souza Jr", "MARIA SILVA SOUZA", False),  # no word added
        (NATURAL, "Jose Jr Souza", "JOSE JUNIOR SOUZA", False),  # no multi-letter short forms
        (NATURAL, "Maria Sïlva Souza", "MARIA SILVA SOUZA", True),  # Ï is on the list
        (NATURAL, "Maria Śilva Souza", "MARIA SILVA SOUZA", False),  # Ś is not
        (LEGAL, "Silva & Filhos Ltda", "SILVA E FILHOS LTDA", True),  # & and E
        (LEGAL, "Silva/Filhos Ltda", "SILVA FILHOS LTDA", True),  # / as a space, legal persons only
        (NATURAL, "Maria/Silva", "MARIA SILVA", False),
        (LEGAL, "ACME Com. de Alimentos", "ACME COMERCIO DE ALIMENTOS", False),  # a legal name is never shortened
    ],
)
def test_names_match_up_to_the_accepted_differences(person_type, ours, registered, matches) -> None:
    assert name_matches(person_type, ours, registered) is matches


def test_owner_check_names_social_name_and_trade_name() -> None:
    person = RegistryRecord(tax_id="x", status=S.REGULAR, name="JOAO SOUZA", social_name="JOANA SOUZA")
    check_owner(person_type=NATURAL, name="Joana Souza", trade_name="", record=person)
    with pytest.raises(OwnerNameMismatch) as refused:
        check_owner(person_type=NATURAL, name="Joana Silva", trade_name="", record=person)
    assert refused.value.fields[0].field == "name"
    company = RegistryRecord(tax_id="x", status=S.REGULAR, name="ACME LTDA", trade_name="ACME")
    check_owner(person_type=LEGAL, name="Acme Ltda", trade_name="acme", record=company)
    check_owner(person_type=LEGAL, name="Acme Ltda", trade_name="", record=company)
    with pytest.raises(OwnerNameMismatch):
        check_owner(person_type=LEGAL, name="Acme Ltda", trade_name="Acme Foods", record=company)
    no_trade_name = RegistryRecord(tax_id="x", status=S.REGULAR, name="ACME LTDA")
    with pytest.raises(OwnerNameMismatch):  # a trade name only if the CNPJ record has one
        check_owner(person_type=LEGAL, name="Acme Ltda", trade_name="ACME", record=no_trade_name)
    mei = RegistryRecord(tax_id="x", status=S.REGULAR, name="JOAO SOUZA 12345678000199", trade_name="JS", mei=True)
    with pytest.raises(OwnerNameMismatch) as refused:  # a MEI gets no trade name
        check_owner(person_type=LEGAL, name="Joao Souza 12345678000199", trade_name="JS", record=mei)
    assert refused.value.fields[0].field == "trade_name"
    with pytest.raises(OwnerTaxIdIrregular):  # the status first, whatever the names
        check_owner(person_type=NATURAL, name="x", trade_name="", record=RegistryRecord(tax_id="x", status=S.NULL))
    check_owner(
        person_type=LEGAL, name="anything", trade_name="any", record=RegistryRecord(tax_id="x", status=S.REGULAR)
    )


# --- the port ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_simulated_registry_answers_what_was_set_and_regular_for_unknown_tax_ids() -> None:
    tax_id = new_cpf()
    assert registry_lookup(tax_id) == RegistryRecord(tax_id=tax_id, status=S.REGULAR)
    simulated_registration_set(tax_id=tax_id, status="DECEASED", name="Maria Souza")
    assert registry_lookup(tax_id) == RegistryRecord(tax_id=tax_id, status=S.DECEASED, name="Maria Souza")


@pytest.mark.django_db
def test_the_registry_is_never_called_inside_a_transaction() -> None:
    with pytest.raises(RegistryCalledInTransaction), transaction.atomic():
        registry_lookup(new_cpf())


class _Registry(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_registry() -> Iterator[tuple[str, dict]]:
    """A real HTTP registry on a loopback port; the test says what it answers per path."""
    answers: dict[str, tuple[int, bytes]] = {}
    handler = type("Registry", (_Registry,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", answers
    server.shutdown()
    server.server_close()


def test_the_http_registry_reads_the_contract_and_404_is_null(http_registry) -> None:
    url, answers = http_registry
    body = {"status": "SUSPENDED", "name": "ACME LTDA", "mei": True, "suspended_under_cgsim_36": True}
    answers["/tax-ids/11222333000181"] = (200, json.dumps(body).encode())
    answers["/tax-ids/00000000000"] = (200, b"not json")
    answers["/tax-ids/11111111111"] = (503, b"")
    answers["/tax-ids/22222222222"] = (200, json.dumps({"status": "REGULAR", "mei": "yes"}).encode())
    registry = HttpRegistry(url)
    record = registry.lookup("11222333000181", timeout=2)
    assert record == RegistryRecord(
        tax_id="11222333000181", status=S.SUSPENDED, name="ACME LTDA", mei=True, suspended_under_cgsim_36=True
    )
    assert registry.lookup("52998224725", timeout=2).status == S.NULL
    for broken in ("00000000000", "11111111111", "22222222222"):
        with pytest.raises(ServiceUnavailable) as refused:
            registry.lookup(broken, timeout=2)
        assert refused.value.retry_after == 30


def test_a_hung_or_absent_registry_is_service_unavailable() -> None:
    with socket.socket() as hung:  # accepts connections (the backlog) and never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        with pytest.raises(ServiceUnavailable):
            HttpRegistry(f"http://127.0.0.1:{hung.getsockname()[1]}").lookup("52998224725", timeout=0.2)
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
    with pytest.raises(ServiceUnavailable):
        HttpRegistry(f"http://127.0.0.1:{port}").lookup("52998224725", timeout=0.2)


# --- the checks on register and claim ------------------------------------------------------------------------


def suspend(account, **fields) -> None:
    simulated_registration_set(tax_id=account.holder.tax_id, status=fields.pop("status", "SUSPENDED"), **fields)


@pytest.mark.django_db
def test_a_suspended_cpf_registers_no_key_and_the_check_is_recorded(make_account) -> None:
    account = make_account()
    user = account.holder.user
    entry, _ = entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
    assert RfbCheck.objects.get(tax_id=account.holder.tax_id).outcome == "OK"
    suspend(account)
    with pytest.raises(OwnerTaxIdIrregular):
        entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
    assert list(Entry.objects.filter(account=account)) == [entry]
    check = RfbCheck.objects.get(tax_id=account.holder.tax_id)
    assert (check.status, check.outcome) == ("SUSPENDED", "OwnerTaxIdIrregular")


@pytest.mark.django_db
def test_a_name_rfb_does_not_know_registers_no_key(make_account) -> None:
    account = make_account()  # "Maria da Silva"
    suspend(account, status="REGULAR", name="MARIA DE SOUZA")
    with pytest.raises(OwnerNameMismatch):
        entry_create(
            user=account.holder.user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4()
        )
    suspend(account, status="REGULAR", name="MARIA DA SILVA")
    entry, _ = entry_create(
        user=account.holder.user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4()
    )
    assert entry.status == "PENDING"


@pytest.mark.django_db
def test_an_unreachable_registry_refuses_with_a_retryable_error_and_writes_nothing(make_account, settings) -> None:
    account = make_account()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.RFB_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"
    settings.RFB_TIMEOUT_SEC = 0.5
    with pytest.raises(ServiceUnavailable) as refused:
        entry_create(
            user=account.holder.user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4()
        )
    assert refused.value.retry_after == 30
    assert not Entry.objects.filter(account=account).exists()
    assert not RfbCheck.objects.exists()


@pytest.mark.django_db
def test_a_suspended_cpf_can_neither_port_nor_claim_and_dict_is_never_asked(make_account) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", email := f"{uuid.uuid4().hex[:10]}@example.com", owner_of(account))
    key_at_other_psp("PHONE", phone := new_phone(), stranger())
    suspend(account)
    with pytest.raises(OwnerTaxIdIrregular):
        portability_start(user=user, account_id=account.pk, key_type="EMAIL", key=email, request_id=uuid.uuid4())
    with pytest.raises(OwnerTaxIdIrregular):
        ownership_claim_start(user=user, account_id=account.pk, key=phone, request_id=uuid.uuid4())
    assert not (Claim.objects.exists() or ClaimStart.objects.exists() or DirClaim.objects.exists())


@pytest.mark.django_db
def test_a_claim_started_before_the_suspension_is_replayed_with_its_request_id(make_account) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", email := f"{uuid.uuid4().hex[:10]}@example.com", owner_of(account))
    request_id = uuid.uuid4()
    first, _ = portability_start(user=user, account_id=account.pk, key_type="EMAIL", key=email, request_id=request_id)
    suspend(account)
    again, replayed = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key=email, request_id=request_id
    )
    assert (again.pk, replayed) == (first.pk, True)


@pytest.mark.django_db
def test_an_update_is_refused_before_dict_is_asked_when_the_owner_is_irregular(
    make_account, django_capture_on_commit_callbacks
) -> None:
    account = make_account()
    other = make_account(holder=account.holder)
    entry = our_key(account, "CPF", account.holder.tax_id)
    cid_at_dict = DirEntry.objects.get(key=entry.key_value).cid
    suspend(account)
    with django_capture_on_commit_callbacks(execute=True):  # the worker asks once the intent is committed
        entry_update(user=account.holder.user, entry_id=entry.pk, account_id=other.pk, request_id=uuid.uuid4())
    entry.refresh_from_db()
    assert (entry.account_id, entry.update_pending, entry.failure_code) == (account.pk, False, "OwnerTaxIdIrregular")
    assert DirEntry.objects.get(key=entry.key_value).cid == cid_at_dict  # DICT was never asked


# --- the batch job -------------------------------------------------------------------------------------------


def holder_events(holder) -> list[tuple[str, dict]]:
    rows = DomainEvent.objects.filter(aggregate_type="holder", aggregate_id=str(holder.pk)).order_by("sequence")
    return [(row.event_type, row.payload) for row in rows if row.event_type != "HolderCreated"]


@pytest.mark.django_db
def test_the_sweep_deletes_a_suspended_holders_keys_with_rfb_validation_once(
    make_account, django_capture_on_commit_callbacks
) -> None:
    suspended, regular = make_account(), make_account()
    keys = [our_key(suspended, "EVP", None), our_key(suspended, "CPF", suspended.holder.tax_id)]
    kept = our_key(regular, "EVP", None)
    suspend(suspended)
    progress: list[dict] = []

    with django_capture_on_commit_callbacks(execute=True):  # the deletions reach DICT once committed
        counts = rfb_sweep(batch=1, progress=lambda c: progress.append(dict(c)))

    assert counts == {"checked": 2, "nonconforming": 1, "deletions_requested": 2}
    assert len(progress) == 2
    for entry in keys:
        entry.refresh_from_db()
        assert (entry.status, entry.delete_reason) == ("DELETED", "RFB_VALIDATION")
        assert not DirEntry.objects.filter(key=entry.key_value).exists()
    kept.refresh_from_db()
    assert kept.status == "ACTIVE"
    told = {"code": "OwnerTaxIdIrregular", "rfb_status": "SUSPENDED", "reason": "RFB_VALIDATION"}
    assert holder_events(suspended.holder) == [("HolderRfbNonconforming", told)]
    assert rfb_sweep() == {"checked": 1}  # run again: nothing left to delete, nobody told twice
    assert len(holder_events(suspended.holder)) == 1


@pytest.mark.django_db
def test_a_key_dict_will_not_delete_is_retried_daily_but_its_holder_told_once_per_status(
    make_account, django_capture_on_commit_callbacks
) -> None:
    """An ownership claim holds the key (DICT refuses its deletion, EntryLockedByClaim): it goes back to ACTIVE
    and each run asks again, but the holder hears of the same nonconformity once; a new status is news."""
    account = make_account()
    _, held = incoming_claim(account, "PHONE", "OWNERSHIP")
    suspend(account)

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert rfb_sweep() == {"checked": 1, "nonconforming": 1, "deletions_requested": 1}
        held.refresh_from_db()
        assert held.status == "ACTIVE"  # DICT refused: the claim decides
    told = {"code": "OwnerTaxIdIrregular", "rfb_status": "SUSPENDED", "reason": "RFB_VALIDATION"}
    assert holder_events(account.holder) == [("HolderRfbNonconforming", told)]

    suspend(account, status="CANCELLED")
    with django_capture_on_commit_callbacks(execute=True):
        rfb_sweep()
    assert [payload["rfb_status"] for _, payload in holder_events(account.holder)] == ["SUSPENDED", "CANCELLED"]


@pytest.mark.django_db
def test_the_sweep_stops_on_an_unreachable_registry_and_deletes_nothing(make_account, settings) -> None:
    account = make_account()
    entry = our_key(account, "EVP", None)
    suspend(account)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.RFB_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"
    assert rfb_sweep() == {"stopped": 1}
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"


# --- the back-office -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_holder_page_shows_the_last_rfb_check(client, make_user, make_account) -> None:
    account = make_account()
    client.force_login(make_user(superuser=True))
    url = reverse("admin:accounts_holder_change", args=[account.holder.pk])
    assert "never checked" in client.get(url).content.decode()
    suspend(account)
    with pytest.raises(OwnerTaxIdIrregular):
        rfb_check(owner_of(account))
    page = client.get(url).content.decode()
    assert "tax id irregular" in page and "SUSPENDED" in page


@pytest.mark.django_db
def test_the_rfb_status_is_masked_without_view_pii_and_read_once_per_page(client, make_staff, make_account) -> None:
    """A status such as DECEASED or SUSPENDED is personal data: Support (no view_pii) sees it masked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = make_account()
    suspend(account)
    with pytest.raises(OwnerTaxIdIrregular):
        rfb_check(owner_of(account))
    url = reverse("admin:accounts_holder_change", args=[account.holder.pk])

    client.force_login(make_staff("accounts.view_holder"))
    masked = client.get(url).content.decode()
    client.force_login(make_staff("accounts.view_holder", "accounts.view_pii"))
    with CaptureQueriesContext(connection) as queries:
        clear = client.get(url).content.decode()

    assert "SUSPENDED" not in masked and "tax id irregular" not in masked
    assert "SUSPENDED" in clear and "tax id irregular" in clear
    assert sum("rfb_rfbcheck" in query["sql"] for query in queries.captured_queries) == 1
