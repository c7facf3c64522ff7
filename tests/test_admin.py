"""Admin back-office: every page opens, PII is masked without accounts.view_pii, DICT deletes go through the service."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims.models import Claim
from claims.services import claims_poll
from common.admin_helpers import mask_document, mask_name
from events.history import event_history_table
from events.models import DomainEvent
from keys.admin import mask_key
from keys.models import Entry
from keys.services import entry_delete_by_staff
from keys.sync import sync_check
from tests.factories import claim_on_our_key, new_phone, owner_of, stranger

pytestmark = pytest.mark.django_db

VIEW_PERMISSIONS = ("accounts.view_holder", "accounts.view_account", "keys.view_entry", "events.view_domainevent")
ENTRIES = reverse("admin:keys_entry_changelist")


def admin_url(obj: object, view: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def entry_events(entry: Entry) -> list[str]:
    return list(
        DomainEvent.objects.filter(aggregate_type="entry", aggregate_id=str(entry.pk)).values_list(
            "event_type", flat=True
        )
    )


def message_texts(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_superuser_opens_every_registered_models_pages(client, make_user, make_account, make_entry) -> None:
    make_entry(make_account(legal=True), "EVP")
    account = make_account()
    claim_on_our_key(make_entry(account, "EMAIL"), "PORTABILITY", owner_of(account))
    claim_on_our_key(make_entry(account, "PHONE", new_phone()), "OWNERSHIP", stranger())
    claims_poll()
    TOTPDevice.objects.create(user=account.holder.user, name="app")
    Group.objects.create(name="compliance")
    sync_check(key_types=["EVP"])
    client.force_login(make_user(superuser=True))
    # MED's pages are opened the same way by tests/test_med_admin.py, with reports, refunds and markers of their own.
    registered = (model for model in apps.get_models() if admin.site.is_registered(model))
    models = [model for model in registered if model._meta.app_label != "med"]
    assert sorted(model._meta.label for model in models) == [
        "accounts.Account",
        "accounts.Holder",
        "audit.PiiView",
        "auth.Group",
        "auth.User",
        "claims.OwnershipClaim",
        "events.DomainEvent",
        "keys.Entry",
        "keys.SyncCheck",
        "otp_totp.TOTPDevice",
        "portability.Portability",
    ]
    assert client.get(reverse("admin:index")).status_code == 200
    statuses = {}
    for model in models:
        obj = model._default_manager.first()
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        statuses[model._meta.label] = (
            client.get(reverse(f"{prefix}_changelist")).status_code,
            client.get(admin_url(obj, "change")).status_code,
            client.get(admin_url(obj, "history")).status_code,
            client.get(reverse(f"{prefix}_add")).status_code,
        )
    assert statuses == {
        "auth.Group": (200, 200, 200, 200),
        "auth.User": (200, 200, 200, 200),
        "accounts.Holder": (200, 200, 200, 403),
        "accounts.Account": (200, 200, 200, 403),
        "keys.Entry": (200, 200, 200, 403),
        "keys.SyncCheck": (200, 200, 200, 403),
        "events.DomainEvent": (200, 200, 200, 403),
        "audit.PiiView": (200, 200, 200, 403),  # rows from the superuser's sights of PII above
        "claims.OwnershipClaim": (200, 200, 200, 403),
        "portability.Portability": (200, 200, 200, 403),
        "otp_totp.TOTPDevice": (200, 200, 200, 200),
    }


def test_entries_holders_accounts_and_events_cannot_be_saved_or_deleted(
    client, make_user, make_account, make_entry
) -> None:
    entry = make_entry(make_account())
    event = DomainEvent.objects.filter(aggregate_id=str(entry.pk)).first()
    client.force_login(make_user(superuser=True))
    page = client.get(admin_url(entry, "change")).content.decode()
    assert 'name="_save"' not in page
    for obj in (entry, entry.account, entry.account.holder, event):
        assert client.post(admin_url(obj, "change"), {"status": "DELETED"}).status_code == 403
        assert client.post(admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"
    assert DomainEvent.objects.filter(pk=event.pk).exists()


def test_staff_without_view_pii_sees_only_masked_values(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    cpf = account.holder.tax_id
    cpf_entry = make_entry(account, "CPF", cpf)
    email_entry = make_entry(account, "EMAIL", "alice@example.com")
    phone_entry = make_entry(account, "PHONE", "+5511987650021")
    client.force_login(make_staff(*VIEW_PERMISSIONS))
    masked_cpf = f"***.{cpf[3:6]}.{cpf[6:9]}-**"
    pages = {
        url: client.get(url).content.decode()
        for url in (
            ENTRIES,
            admin_url(cpf_entry, "change"),
            admin_url(email_entry, "change"),
            admin_url(phone_entry, "change"),
            reverse("admin:accounts_holder_changelist"),
            admin_url(account.holder, "change"),
            reverse("admin:accounts_account_changelist"),
            admin_url(account, "change"),
        )
    }
    for html in pages.values():
        assert cpf not in html
        assert "alice@example.com" not in html
        assert "+5511987650021" not in html
        assert "Maria da Silva" not in html
    entries = pages[ENTRIES]
    assert masked_cpf in entries and "a***@example.com" in entries and "+5511*******21" in entries
    assert masked_cpf in pages[admin_url(cpf_entry, "change")]
    assert "M*** d*** S***" in pages[admin_url(account.holder, "change")]
    assert "M*** d*** S***" in pages[reverse("admin:accounts_account_changelist")]


@pytest.mark.parametrize("superuser", [False, True])
def test_staff_with_view_pii_sees_values_unmasked(
    client, make_user, make_staff, make_account, make_entry, superuser: bool
) -> None:
    account = make_account()
    cpf = account.holder.tax_id
    cpf_entry = make_entry(account, "CPF", cpf)
    make_entry(account, "EMAIL", "alice@example.com")
    client.force_login(make_user(superuser=True) if superuser else make_staff(*VIEW_PERMISSIONS, "accounts.view_pii"))
    entries = client.get(ENTRIES).content.decode()
    assert cpf in entries and "alice@example.com" in entries
    assert f"***.{cpf[3:6]}" not in entries
    assert cpf in client.get(admin_url(cpf_entry, "change")).content.decode()
    holder_page = client.get(admin_url(account.holder, "change")).content.decode()
    assert cpf in holder_page and "Maria da Silva" in holder_page


def test_search_by_key_tax_id_and_account_and_filters(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    other = make_account(legal=True, account_type="SVGS")
    mine = make_entry(account, "EMAIL", "alice@example.com")
    theirs = make_entry(other, "CNPJ", other.holder.tax_id)
    client.force_login(make_staff(*VIEW_PERMISSIONS, "accounts.view_pii"))  # searching PII needs it

    def found(**params: str) -> list[Entry]:
        return list(client.get(ENTRIES, params).context["cl"].result_list)

    assert found(q="ALICE@example.com") == [mine]
    assert found(q=other.holder.tax_id) == [theirs]
    assert found(q=f"{account.branch} {account.number}") == [mine]
    assert found(key_type__exact="CNPJ") == [theirs]
    assert found(status__exact="ACTIVE", account__account_type__exact="CACC") == [mine]
    assert found(account__holder__person_type__exact="LEGAL_PERSON") == [theirs]
    assert found(status__exact="DELETED") == []


def test_entry_changelist_queries_do_not_grow_with_rows(client, make_staff, make_account, make_entry) -> None:
    make_entry(make_account())
    client.force_login(make_staff(*VIEW_PERMISSIONS))
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(ENTRIES).status_code == 200
    for _ in range(3):
        make_entry(make_account())
    with CaptureQueriesContext(connection) as four_rows:
        assert client.get(ENTRIES).status_code == 200
    assert len(four_rows) == len(one_row)


def test_entry_page_shows_its_event_history(client, make_staff, make_account, make_entry) -> None:
    entry = make_entry(make_account(), "EVP")
    client.force_login(make_staff(*VIEW_PERMISSIONS))
    page = client.get(admin_url(entry, "change")).content.decode()
    assert "<td>EntryCreated</td>" in page
    assert "<td>EntryActivated</td>" in page
    assert page.index("<td>EntryCreated</td>") < page.index("<td>EntryActivated</td>")


def test_event_history_escapes_and_masks_payloads(make_account) -> None:
    account = make_account()
    # A stored row no event_record would write today (types and payload fields are checked there):
    # the history still escapes and masks whatever the table holds.
    DomainEvent.objects.create(
        aggregate_type="account",
        aggregate_id=str(account.pk),
        event_type="<b>Odd</b>",
        payload={"note": "<script>x</script>", "key": "maria@example.com"},
    )
    shown = event_history_table(aggregate_type="account", aggregate_id=account.pk, masked=False)
    masked = event_history_table(aggregate_type="account", aggregate_id=account.pk, masked=True)
    assert "<td>&lt;b&gt;Odd&lt;/b&gt;</td>" in shown
    assert "<td>key: maria@example.com; note: &lt;script&gt;x&lt;/script&gt;</td>" in shown
    assert "<script>" not in shown
    assert "<td>key: m***@example.com; note: &lt;script&gt;x&lt;/script&gt;</td>" in masked
    assert event_history_table(aggregate_type="account", aggregate_id="0", masked=False) == "No events."


def test_fraud_action_deletes_the_key_at_dict(
    client, make_staff, make_account, make_entry, django_capture_on_commit_callbacks
) -> None:
    entry = make_entry(make_account())
    staff = make_staff(*VIEW_PERMISSIONS, "keys.delete_entry")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ENTRIES, {"action": "delete_at_dict_fraud", "_selected_action": [str(entry.pk)]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.delete_reason) == ("DELETED", "FRAUD")
    assert entry.deleted_at is not None
    assert entry_events(entry) == ["EntryCreated", "EntryActivated", "EntryDeleteRequested", "EntryDeleted"]
    requested = DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryDeleteRequested")
    assert requested.actor == staff
    deleted = DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryDeleted")
    assert deleted.payload == {"status": "DELETED", "key_type": "EMAIL", "reason": "FRAUD"}
    assert message_texts(response) == [("success", "1 key sent to DICT for deletion with reason FRAUD.")]


def test_rfb_action_reports_each_key_and_never_fails_the_page(
    client, make_staff, make_account, make_entry, django_capture_on_commit_callbacks
) -> None:
    account = make_account()
    active = make_entry(account)
    pending = make_entry(account, register=False)
    gone = make_entry(account)
    staff = make_staff(*VIEW_PERMISSIONS, "keys.delete_entry")
    with django_capture_on_commit_callbacks(execute=True):
        entry_delete_by_staff(user=staff, entry_id=gone.pk, reason="FRAUD")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ENTRIES,
            {
                "action": "delete_at_dict_rfb_validation",
                "_selected_action": [str(e.pk) for e in (active, pending, gone)],
            },
        )
    assert response.status_code == 302
    for entry in (active, pending, gone):
        entry.refresh_from_db()
    assert [(e.status, e.delete_reason) for e in (active, pending, gone)] == [
        ("DELETED", "RFB_VALIDATION"),
        ("PENDING", ""),
        ("DELETED", "FRAUD"),
    ]
    assert entry_events(pending) == ["EntryCreated"]
    assert entry_events(gone) == ["EntryCreated", "EntryActivated", "EntryDeleteRequested", "EntryDeleted"]
    assert message_texts(response) == [
        ("success", "1 key sent to DICT for deletion with reason RFB_VALIDATION."),
        ("info", "1 key already deleted or being deleted, left unchanged."),
        (
            "error",
            f"Key {pending.pk} not deleted: EntryStateInvalid: "
            "the key is still being registered at DICT; try again shortly.",
        ),
    ]


def test_delete_actions_need_the_delete_permission(client, make_staff, make_account, make_entry) -> None:
    entry = make_entry(make_account())
    client.force_login(make_staff(*VIEW_PERMISSIONS))
    assert "delete_at_dict_fraud" not in client.get(ENTRIES).content.decode()
    response = client.post(ENTRIES, {"action": "delete_at_dict_fraud", "_selected_action": [str(entry.pk)]})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.delete_reason) == ("ACTIVE", "")
    assert entry_events(entry) == ["EntryCreated", "EntryActivated"]


def test_non_staff_user_is_sent_to_the_admin_login(client, make_user) -> None:
    client.force_login(make_user())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_staff_without_view_permissions_cannot_open_entries(client, make_staff, make_account, make_entry) -> None:
    entry = make_entry(make_account())
    client.force_login(make_staff())
    assert client.get(ENTRIES).status_code == 403
    assert client.get(admin_url(entry, "change")).status_code == 403


@pytest.mark.parametrize(
    ("key_type", "key_value", "masked"),
    [
        ("CPF", "12345678909", "***.456.789-**"),
        ("CNPJ", "11222333000181", "11222333******"),
        ("EMAIL", "maria.silva@example.com", "m***@example.com"),
        ("PHONE", "+5511987654321", "+5511*******21"),
        ("EVP", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        ("EMAIL", "not-an-email", "***"),
        ("EVP", None, None),
    ],
)
def test_mask_key(key_type: str, key_value: str | None, masked: str | None) -> None:
    assert mask_key(key_type, key_value) == masked


def test_mask_document_and_name() -> None:
    assert mask_document("12345678909") == "***.456.789-**"
    assert mask_document("11222333000181") == "11222333******"
    assert mask_document("123") == "***"
    assert mask_name("Maria  da Silva") == "M*** d*** S***"
    assert mask_name("") == ""


CLAIM_VIEW = ("claims.view_ownershipclaim", "portability.view_portability", "events.view_domainevent")


def test_claim_pages_mask_the_key_show_the_timeline_and_filter(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    entry = make_entry(account, "EMAIL", "claimed@example.com")
    remote = claim_on_our_key(entry, "PORTABILITY", owner_of(account))
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    client.force_login(make_staff(*CLAIM_VIEW))
    portabilities = reverse("admin:portability_portability_changelist")
    page = client.get(reverse("admin:portability_portability_change", args=[claim.pk])).content.decode()
    assert "claimed@example.com" not in page and "c***@example.com" in page
    assert page.index("<td>ClaimReceived</td>") < page.index("<td>ClaimAcknowledged</td>")
    # Keys are PII: without accounts.view_pii the search looks at the DICT id only, so it is no oracle.
    assert list(client.get(portabilities, {"q": "claimed@example.com"}).context["cl"].result_list) == []
    assert list(client.get(portabilities, {"q": str(remote.id)}).context["cl"].result_list) == [claim]
    assert list(client.get(portabilities, {"role__exact": "CLAIMER"}).context["cl"].result_list) == []
    assert client.get(reverse("admin:claims_ownershipclaim_changelist")).context["cl"].result_count == 0
    assert "cancel_fraud" not in client.get(portabilities).content.decode()


def test_staff_cancel_with_fraud_goes_through_the_service(client, make_staff, make_account, make_entry) -> None:
    account = make_account()
    remote = claim_on_our_key(make_entry(account, "EMAIL"), "PORTABILITY", owner_of(account))
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    client.force_login(make_staff(*CLAIM_VIEW, "portability.change_portability"))
    portabilities = reverse("admin:portability_portability_changelist")
    response = client.post(portabilities, {"action": "cancel_fraud", "_selected_action": [str(claim.pk)]})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.cancel_reason, claim.cancelled_by) == ("CANCELLED", "FRAUD", "DONOR")
    assert message_texts(response) == [("success", "1 claim(s) cancelled with FRAUD.")]
    again = client.post(portabilities, {"action": "redrive", "_selected_action": [str(claim.pk)]})
    assert message_texts(again)[-1] == ("success", "1 claim(s) re-driven.")
