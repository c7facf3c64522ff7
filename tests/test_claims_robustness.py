"""Claims under trouble: one bad claim never stops the poll or the sweep (and never logs PII), a
directory outage during the poll, races in claim_start, a holder's actions are the holder's
only, keys knowing nothing of claims, and the shared list-filter check.

The directory is the in-process one; where a failure is needed, one method of the local
directory client is replaced for one claim.
"""

import ast
import dataclasses
import logging
import threading
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.services import holder_upsert
from claims import tasks
from claims.models import Claim, PollCursor
from claims.selectors import claim_get, claim_list
from claims.services import (
    POLL_RETRY,
    claim_cancel,
    claim_cancel_by_staff,
    claim_respond,
    claims_poll,
    claims_sweep,
    ownership_claim_start,
)
from common.selectors import filter_choice
from connect.local import LocalDirectoryClient
from dict_rules.claims import ClaimStatus, ClaimType
from dict_rules.directory import BankAccount, ClaimPage, ClaimRequest
from dict_rules.errors import (
    BadRequest,
    EntryInvalid,
    Forbidden,
    NotFound,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.keys import KeyType
from dictsim import claims as dir_claims
from dictsim import clock
from keys.domain import EntryStatus
from keys.selectors import entry_list
from keys.sync import sync_check
from portability.services import portability_confirm, portability_start
from tests.factories import (
    DAY,
    OTHER_PSP,
    claim_events,
    claim_on_our_key,
    incoming,
    key_at_other_psp,
    key_slots_held_by_claims,
    new_cpf,
    otp,
    our_key,
    owner_of,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def malformed_for(monkeypatch, dict_id: uuid.UUID) -> None:
    """The directory's claim list answers with a status nobody knows for this one claim."""
    real = LocalDirectoryClient.list_claims

    def list_claims(self, **kwargs) -> ClaimPage:
        page = real(self, **kwargs)
        bad = [dataclasses.replace(c, status="BOGUS") if c.id == dict_id else c for c in page.claims]
        return ClaimPage(claims=bad, has_more=page.has_more)

    monkeypatch.setattr(LocalDirectoryClient, "list_claims", list_claims)


# --- 1. one claim's unexpected failure never stops the poll or the sweep --------------------------


def test_poll_goes_on_past_a_claim_that_fails_logs_only_its_ids_and_retries_it(
    make_account, monkeypatch, caplog
) -> None:
    account = make_account()
    bad = incoming(account, "bad.key@example.com")
    good = incoming(account, "good.key@example.com")
    malformed_for(monkeypatch, bad.id)

    with caplog.at_level(logging.INFO, logger="claims.services"):
        counts = claims_poll()

    assert (counts["failed"], counts["seen_as_donor"]) == (1, 2)
    assert Claim.objects.get(dict_id=good.id).status == "WAITING_RESOLUTION"  # the next claim went on
    assert not Claim.objects.filter(dict_id=bad.id).exists()  # its sync rolled back whole
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failure.exc_info is not None and str(bad.id) in failure.getMessage()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "example.com" not in logged and account.holder.name not in logged
    assert PollCursor.objects.get(role="DONOR").modified_after <= bad.last_modified  # held at the failure

    monkeypatch.undo()
    assert claims_poll()["failed"] == 0
    claim = Claim.objects.get(dict_id=bad.id)
    assert (claim.status, claim_events(claim)) == ("WAITING_RESOLUTION", ["ClaimReceived", "ClaimAcknowledged"])


def test_poll_moves_past_a_claim_failing_for_longer_than_the_retry_window(make_account, monkeypatch) -> None:
    account = make_account()
    bad = incoming(account, "stale.bad@example.com")
    good = incoming(account, "stale.good@example.com")
    malformed_for(monkeypatch, bad.id)

    counts = claims_poll(now=timezone.now() + POLL_RETRY + timedelta(minutes=1))

    assert counts["failed"] == 1
    assert PollCursor.objects.get(role="DONOR").modified_after >= good.last_modified
    monkeypatch.undo()
    assert claims_poll()["seen_as_donor"] == 1  # only the good one, whose acknowledgement changed it
    assert not Claim.objects.filter(dict_id=bad.id).exists()


def test_a_new_claim_is_acknowledged_although_an_older_one_keeps_failing(make_account, monkeypatch) -> None:
    account = make_account()
    bad = incoming(account, "poison@example.com")
    malformed_for(monkeypatch, bad.id)
    assert claims_poll()["failed"] == 1
    later = incoming(account, "later@example.com")

    assert claims_poll()["failed"] == 1

    assert Claim.objects.get(dict_id=later.id).status == "WAITING_RESOLUTION"


def test_sweep_goes_on_past_a_claim_whose_action_fails(make_account, monkeypatch) -> None:
    account = make_account()
    bad, good = incoming(account, "sweep.bad@example.com"), incoming(account, "sweep.good@example.com")
    claims_poll()
    real = LocalDirectoryClient.cancel_claim

    def cancel_claim(self, claim_id: uuid.UUID, *, reason: str):
        if claim_id == bad.id:
            raise ValueError("malformed answer")
        return real(self, claim_id, reason=reason)

    monkeypatch.setattr(LocalDirectoryClient, "cancel_claim", cancel_claim)
    now = clock.advance(7 * DAY + timedelta(seconds=1))

    assert claims_sweep(now=now, batch=1) == {"cancel_portability": 1, "failed": 1}

    assert Claim.objects.get(dict_id=good.id).status == "CANCELLED"
    assert Claim.objects.get(dict_id=bad.id).status == "WAITING_RESOLUTION"
    monkeypatch.undo()
    assert claims_sweep(now=now) == {"cancel_portability": 1}


def test_a_completed_claim_for_a_holder_without_a_login_gets_its_entry(make_account) -> None:
    holder, _ = holder_upsert(tax_id=new_cpf(), name="Maria da Silva", user=None)
    account = make_account(holder=holder)
    key_at_other_psp("EMAIL", "nologin@example.com", owner_of(account))
    ours = BankAccount(
        participant=settings.DICT_ISPB,
        branch=account.branch,
        number=account.number,
        account_type=account.account_type,
        opening_date=account.opening_date,
    )
    request = ClaimRequest(
        claim_type="PORTABILITY",
        key="nologin@example.com",
        key_type="EMAIL",
        claimer_account=ours,
        claimer=owner_of(account),
    )
    remote = dir_claims.claim_create(participant=settings.DICT_ISPB, request=request)
    dir_claims.claim_acknowledge(participant=OTHER_PSP, claim_id=remote.id)
    dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=remote.id, reason="USER_REQUESTED")

    counts = claims_poll()

    claim = Claim.objects.get(dict_id=remote.id)
    assert (counts["failed"], claim.status, claim.requested_by, claim.requested_by_kind) == (
        0,
        "COMPLETED",
        None,
        "SYSTEM",
    )
    entry = claim.entry
    assert (entry.status, entry.account_id, entry.key_value) == ("ACTIVE", account.pk, "nologin@example.com")
    assert (entry.requested_by, entry.requested_by_kind) == (None, "SYSTEM")  # no user stands in for the system
    assert not get_user_model().objects.filter(username="dict:system").exists()
    assert all(report.ok for report in sync_check())


# --- 2. a directory outage during the poll ---------------------------------------------------------


def test_poll_during_a_directory_outage_warns_and_stops(make_account, monkeypatch, caplog) -> None:
    account = make_account()
    incoming(account, "outage@example.com")

    def down(self, **kwargs):
        raise ServiceUnavailable()

    monkeypatch.setattr(LocalDirectoryClient, "list_claims", down)
    with caplog.at_level(logging.INFO):
        assert claims_poll() == {"stopped": 1}
        assert tasks.poll() == {"stopped": 1}
        out = StringIO()
        call_command("claims_poll", stdout=out)

    assert out.getvalue().strip() == "stopped: 1"
    assert [r.levelname for r in caplog.records if r.name == "claims.services"] == ["WARNING"] * 3
    assert not any(r.exc_info for r in caplog.records)
    assert not PollCursor.objects.exists()
    monkeypatch.undo()
    assert claims_poll()["seen_as_donor"] == 1


# --- 3. races in claim_start -----------------------------------------------------------------------


def test_claim_start_takes_over_the_row_the_poll_adopted_meanwhile(make_account, monkeypatch) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", "raced@example.com", owner_of(account))
    real = LocalDirectoryClient.create_claim

    def create_then_poll(self, request):
        remote = real(self, request)
        claims_poll()  # the claimer-side poll adopts DICT's claim before our insert
        return remote

    monkeypatch.setattr(LocalDirectoryClient, "create_claim", create_then_poll)
    request_id = uuid.uuid4()

    claim, replayed = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key="raced@example.com", request_id=request_id
    )

    assert replayed is False
    assert (claim.request_id, claim.requested_by, claim.account_id) == (request_id, user, account.pk)
    assert Claim.objects.count() == 1
    assert claim_events(claim) == ["ClaimAdopted", "ClaimStarted"]
    monkeypatch.undo()
    again, replayed = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key="raced@example.com", request_id=request_id
    )
    assert (again.pk, replayed) == (claim.pk, True)


@pytest.mark.parametrize("same_data", [True, False])
def test_claim_start_when_another_call_with_its_request_id_inserted_first(
    make_account, monkeypatch, same_data: bool
) -> None:
    account = make_account()
    other_account = make_account(holder=account.holder)
    user = account.holder.user
    key_at_other_psp("EMAIL", "first@example.com", owner_of(account))
    request_id = uuid.uuid4()
    real = LocalDirectoryClient.create_claim
    winner: list[Claim] = []

    def create_while_another_call_wins(self, request):
        remote = real(self, request)
        winner.append(
            Claim.objects.create(  # what the other call, for the same or another account, committed
                dict_id=uuid.uuid4(),
                role="CLAIMER",
                claim_type="PORTABILITY",
                key=request.key,
                key_type=request.key_type,
                account=account if same_data else other_account,
                requested_by=user,
                requested_by_kind="CUSTOMER",
                request_id=request_id,
                status=remote.status,
                donor_participant=remote.donor_participant,
                claimer_participant=settings.DICT_ISPB,
                dict_created_at=remote.created_at,
                resolution_period_end=remote.resolution_period_end,
                last_modified=remote.last_modified,
            )
        )
        return remote

    monkeypatch.setattr(LocalDirectoryClient, "create_claim", create_while_another_call_wins)
    start = {"user": user, "account_id": account.pk, "key_type": "EMAIL", "key": "first@example.com"}

    if same_data:
        claim, replayed = portability_start(**start, request_id=request_id)
        assert (claim.pk, replayed) == (winner[0].pk, True)
        assert Claim.objects.count() == 1
    else:  # (the refusal rolls back this call's transaction, where the "other call" wrote too)
        with pytest.raises(RequestIdAlreadyUsed) as refused:
            portability_start(**start, request_id=request_id)
        assert [f.field for f in refused.value.fields] == ["request_id"]


@pytest.mark.django_db(transaction=True)  # the starts run on two threads, each with its own connection
def test_two_concurrent_starts_with_one_request_id_for_two_accounts_reach_dict_once(make_account, monkeypatch) -> None:
    first = make_account()
    second = make_account(holder=first.holder)
    user = first.holder.user
    for name in ("one", "two"):
        key_at_other_psp("EMAIL", f"{name}.{first.pk}@example.com", owner_of(first))
    real, calls, lock = LocalDirectoryClient.create_claim, [], threading.Lock()

    def counted(self, request):
        with lock:
            calls.append(request.key)
        return real(self, request)

    monkeypatch.setattr(LocalDirectoryClient, "create_claim", counted)
    request_id, barrier, outcomes = uuid.uuid4(), threading.Barrier(2), []

    def start(account, name: str) -> None:
        try:
            barrier.wait()
            portability_start(
                user=user,
                account_id=account.pk,
                key_type="EMAIL",
                key=f"{name}.{first.pk}@example.com",
                request_id=request_id,
            )
            outcomes.append("started")
        except RequestIdAlreadyUsed:
            outcomes.append("RequestIdAlreadyUsed")
        except Exception as error:  # noqa: BLE001 - the test reports any other outcome
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=args) for args in ((first, "one"), (second, "two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["RequestIdAlreadyUsed", "started"]
    assert len(calls) == 1
    assert Claim.objects.filter(request_id=request_id).count() == 1


@pytest.mark.parametrize(
    ("start", "key_type", "key"),
    [("ownership", "PHONE", "+5511"), ("portability", "EMAIL", "not-an-email"), ("portability", "CPF", " ")],
)
def test_an_invalid_claim_key_is_reported_on_the_key_field(make_account, start: str, key_type: str, key: str) -> None:
    account = make_account()
    args = {"user": account.holder.user, "account_id": account.pk, "key": key, "request_id": uuid.uuid4()}
    with pytest.raises(EntryInvalid) as invalid:
        if start == "ownership":
            ownership_claim_start(**args, key_type=key_type)
        else:
            portability_start(**args, key_type=key_type)
    assert [f.field for f in invalid.value.fields] == ["key"]
    assert "key_value" not in invalid.value.message + invalid.value.fields[0].message


def test_an_invalid_claim_key_over_rest_names_the_key_field(make_account, client_for) -> None:
    account = make_account()
    body = {"account_id": account.pk, "key": "12345", "request_id": str(uuid.uuid4())}
    response = client_for(account.holder.user).post("/api/v1/claims/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "EntryInvalid")
    assert [error["field"] for error in response.json()["errors"]] == ["key"]


# --- 4. keys knows nothing of claims --------------------------------------------------------------


def test_keys_imports_nothing_of_claims() -> None:
    imported = set()
    for path in (ROOT / "keys").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module.split(".")[0]))
            elif isinstance(node, ast.Import):
                imported |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
    assert not [where for where in imported if where[1] in {"claims", "portability"}]


def test_claims_count_their_open_claimer_claims_as_key_slots(make_account) -> None:
    account = make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", "slot@example.com", owner_of(account))
    assert key_slots_held_by_claims(account) == 0
    claim, _ = portability_start(
        user=user, account_id=account.pk, key_type="EMAIL", key="slot@example.com", request_id=uuid.uuid4()
    )
    claim_on_our_key(our_key(account, "EMAIL", "donated@example.com"), "PORTABILITY", owner_of(account))
    claims_poll()  # a claim on our key (donor side) takes no slot
    assert key_slots_held_by_claims(account) == 1
    claim_cancel(user=user, claim_id=claim.pk, otp=otp(user))
    assert key_slots_held_by_claims(account) == 0


# --- 5. a holder's act is the holder's only -------------------------------------------------------


def test_staff_cannot_answer_or_cancel_a_customers_claim_with_their_own_second_factor(
    make_account, make_user, make_staff, client_for
) -> None:
    account = make_account()
    remote = incoming(account, "holders.own@example.com")
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    staff = make_user(staff=True)
    code = otp(staff)

    for act in (
        lambda: claim_respond(user=staff, claim_id=claim.pk, accept=True, otp=code),
        lambda: claim_cancel(user=staff, claim_id=claim.pk, otp=code),
        lambda: portability_confirm(user=staff, claim_id=claim.pk, otp=code),
    ):
        with pytest.raises(NotFound):
            act()
    client = client_for(staff)
    assert (
        client.post(
            f"/api/v1/claims/{claim.pk}/respond/", {"decision": "accept", "otp": code}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/portabilities/{claim.pk}/cancel/", {"otp": code}, format="json").status_code == 404
    claim.refresh_from_db()
    assert (claim.status, dir_claims.claim_get(participant=OTHER_PSP, claim_id=remote.id).status) == (
        "WAITING_RESOLUTION",
        "WAITING_RESOLUTION",
    )
    with pytest.raises(NotFound):  # nor even see it: the customer API is the holder's only
        claim_get(user=staff, claim_id=claim.pk)
    assert client.get(f"/api/v1/claims/{claim.pk}/").status_code == 404

    with pytest.raises(Forbidden):  # the back-office way needs the claim type's permission
        claim_cancel_by_staff(user=staff, claim_id=claim.pk, reason="FRAUD")
    claim_cancel_by_staff(user=make_staff("portability.change_portability"), claim_id=claim.pk, reason="FRAUD")
    claim.refresh_from_db()
    assert (claim.status, claim.cancel_reason) == ("CANCELLED", "FRAUD")


def test_a_staff_member_who_is_a_holder_still_acts_on_their_own_claims(make_account, make_user) -> None:
    staff = make_user(staff=True)
    holder, _ = holder_upsert(tax_id=new_cpf(), name="Maria da Silva", user=staff)
    account = make_account(holder=holder)
    remote = incoming(account, "staff.own@example.com")
    claims_poll()
    claim = claim_respond(user=staff, claim_id=Claim.objects.get(dict_id=remote.id).pk, accept=False, otp=otp(staff))
    assert (claim.status, claim.cancel_reason) == ("CANCELLED", "USER_REQUESTED")


# --- 6. one check for list filters ----------------------------------------------------------------


def test_filter_choice_accepts_a_member_and_names_the_field_otherwise() -> None:
    assert filter_choice("", KeyType, field="key_type") is None
    assert filter_choice(None, KeyType, field="key_type") is None
    assert filter_choice("EMAIL", KeyType, field="key_type") == "EMAIL"
    with pytest.raises(BadRequest) as refused:
        filter_choice("email", KeyType, field="key_type")
    assert refused.value.message == "key_type must be one of CPF, CNPJ, PHONE, EMAIL, EVP."
    assert [(f.field, f.message) for f in refused.value.fields] == [("key_type", refused.value.message)]


@pytest.mark.parametrize(
    ("select", "field", "allowed"),
    [
        (lambda user: entry_list(user=user, key_type="X"), "key_type", ", ".join(KeyType)),
        (lambda user: entry_list(user=user, status="X"), "status", ", ".join(EntryStatus)),
        (lambda user: claim_list(user=user, claim_type="X"), "type", ", ".join(ClaimType)),
        (lambda user: claim_list(user=user, status="X"), "status", ", ".join(ClaimStatus)),
    ],
)
def test_list_filters_refuse_unknown_values_as_before(make_user, select, field: str, allowed: str) -> None:
    with pytest.raises(BadRequest) as refused:
        select(make_user())
    assert [(f.field, f.message) for f in refused.value.fields] == [(field, f"{field} must be one of {allowed}.")]


def test_list_filters_still_filter(make_account) -> None:
    account = make_account()
    user = account.holder.user
    our_key(account, "EMAIL", "filtered@example.com")
    assert entry_list(user=user, key_type="EMAIL", status="ACTIVE").count() == 1
    assert entry_list(user=user, key_type="PHONE").count() == 0
    assert claim_list(user=user, claim_type="", status=None).count() == 0
