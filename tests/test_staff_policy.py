"""Staff act on customers' resources through the back-office only, and no user stands in for the system.

A staff token on the customer API is a customer's (both edges alike: the staff_on_the_customer_api
scenario of tests/test_parity.py); the back-office's services check the staff member's permission
themselves (the admin's actions are in tests/test_admin.py); a row nobody of ours asked for names
the SYSTEM requester and no user, and the migration that brought the requester maps the old
stand-in user both ways.
"""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.services import holder_upsert
from claims.models import Claim
from claims.services import claim_cancel_by_staff, claim_redrive, ownership_claim_start
from dict_rules.errors import Forbidden, InvalidReason
from events.models import DomainEvent
from keys.models import Entry, requester_fields
from keys.services import entry_delete_by_staff
from tests.factories import claim_events, incoming_claim, key_at_other_psp, new_cpf, new_phone, stranger

pytestmark = pytest.mark.django_db

STAND_IN = "dict:system"  # the user that stood in for the system before keys.0003


@pytest.mark.parametrize("superuser", [False, True])
def test_a_staff_token_lists_only_its_own_holders_accounts_and_keys(
    make_account, make_user, make_entry, client_for, superuser: bool
) -> None:
    make_entry(make_account())
    staff = make_user(staff=True, superuser=superuser)
    client = client_for(staff)
    assert client.get("/api/v1/accounts/").json()["results"] == []
    assert client.get("/api/v1/keys/").json()["results"] == []

    holder, _ = holder_upsert(tax_id=new_cpf(), name="Maria da Silva", user=staff)
    own = make_account(holder=holder)
    mine = make_entry(own)
    assert [a["id"] for a in client.get("/api/v1/accounts/").json()["results"]] == [own.pk]
    assert [k["id"] for k in client.get("/api/v1/keys/").json()["results"]] == [str(mine.pk)]


def test_the_back_office_delete_needs_staff_with_the_permission_and_the_psps_reasons(
    make_account, make_entry, make_staff, django_capture_on_commit_callbacks
) -> None:
    entry = make_entry(make_account())
    no_longer_staff = make_staff("keys.delete_entry")
    no_longer_staff.is_staff = False
    no_longer_staff.save(update_fields=["is_staff"])
    for user in (make_staff(), no_longer_staff):
        with pytest.raises(Forbidden):
            entry_delete_by_staff(user=user, entry_id=entry.pk, reason="FRAUD")
    staff = make_staff("keys.delete_entry")
    for reason in ("USER_REQUESTED", "ACCOUNT_CLOSURE", "RECONCILIATION", "BOGUS"):
        with pytest.raises(InvalidReason):
            entry_delete_by_staff(user=staff, entry_id=entry.pk, reason=reason)
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"

    with django_capture_on_commit_callbacks(execute=True):
        entry_delete_by_staff(user=staff, entry_id=entry.pk, reason="RFB_VALIDATION")
    entry.refresh_from_db()
    assert (entry.status, entry.delete_reason) == ("DELETED", "RFB_VALIDATION")
    requested = DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryDeleteRequested")
    assert requested.actor == staff


def test_the_back_office_claim_actions_need_the_claim_types_permission(make_account, make_staff) -> None:
    claim, _ = incoming_claim(make_account())  # a portability on our key
    ownership_only = make_staff("claims.change_ownershipclaim")
    with pytest.raises(Forbidden):
        claim_cancel_by_staff(user=ownership_only, claim_id=claim.pk, reason="FRAUD")
    with pytest.raises(Forbidden):
        claim_redrive(user=ownership_only, claim_id=claim.pk)
    claim.refresh_from_db()
    assert (claim.status, "ClaimRedriven" in claim_events(claim)) == ("WAITING_RESOLUTION", False)

    staff = make_staff("portability.change_portability")
    claim_redrive(user=staff, claim_id=claim.pk)
    claim = claim_cancel_by_staff(user=staff, claim_id=claim.pk, reason="FRAUD")
    assert (claim.status, claim.cancel_reason) == ("CANCELLED", "FRAUD")


def test_a_customers_rows_name_the_customer_and_a_claim_dict_brought_names_the_system(make_account, make_entry) -> None:
    account = make_account()
    user = account.holder.user
    entry = make_entry(account)
    key_at_other_psp("PHONE", phone := new_phone(), stranger())
    started, _ = ownership_claim_start(user=user, account_id=account.pk, key=phone, request_id=uuid.uuid4())
    received, _ = incoming_claim(account)
    rows = (entry, started, received)
    assert [(row.requested_by, row.requested_by_kind) for row in rows] == [
        (user, "CUSTOMER"),
        (user, "CUSTOMER"),
        (None, "SYSTEM"),
    ]
    # The database holds the two together: a user exactly when a customer asked.
    for model, pk, change in (
        (Entry, entry.pk, {"requested_by": None}),
        (Entry, entry.pk, {"requested_by_kind": "SYSTEM"}),
        (Claim, received.pk, {"requested_by_kind": "CUSTOMER"}),
        (Claim, received.pk, {"requested_by": user}),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(**change)


@pytest.mark.parametrize("referenced", [False, True])
def test_the_migration_maps_the_stand_in_user_to_the_system_requester_and_back(
    make_account, make_entry, referenced: bool
) -> None:
    account = make_account()
    customers = make_entry(account)
    system = Entry.objects.create(
        account=account, key_type="EVP", key_value=str(uuid.uuid4()), request_id=uuid.uuid4(), **requester_fields(None)
    )
    received, _ = incoming_claim(account)
    with connection.cursor() as cursor:  # check the rows above now: PostgreSQL alters no table with checks pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    MigrationExecutor(connection).migrate([("keys", "0002_entry_delete_pending"), ("claims", "0002_claimstart")])
    stand_in = get_user_model().objects.get(username=STAND_IN)
    assert (stand_in.is_active, stand_in.has_usable_password()) == (False, False)
    assert Entry.objects.filter(pk=system.pk).values_list("requested_by", flat=True).get() == stand_in.pk
    if referenced:
        DomainEvent.objects.create(aggregate_type="entry", aggregate_id=str(system.pk), event_type="X", actor=stand_in)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for row in (customers, system, received):
        row.refresh_from_db()
    assert [(row.requested_by_id, row.requested_by_kind) for row in (customers, system, received)] == [
        (account.holder.user_id, "CUSTOMER"),
        (None, "SYSTEM"),
        (None, "SYSTEM"),
    ]
    assert get_user_model().objects.filter(username=STAND_IN).exists() is referenced  # kept only if referred to
