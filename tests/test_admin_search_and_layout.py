"""Back-office search by any spelling of a whole key or tax id, the delete reason of keys claims took,
and the layout's values: short ids with the whole on hover, times to the second with their offset,
one history per page, the relay's publish time."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from claims.models import Claim
from claims.services import claim_respond, claims_poll, claims_sweep
from dict_rules.keys import key_spellings
from dict_rules.tax_ids import cpf_from_base
from dictsim import clock
from events.models import DomainEvent
from events.relay import relay_batch
from keys.models import Entry
from tests.factories import (
    DAY,
    claim_on_our_key,
    confirmed_device,
    new_phone,
    our_key,
    owner_of,
    stranger,
)
from tests.test_outbox_relay import publisher  # noqa: F401  (the fixture: a producer on the test's broker)

VIEW = ("accounts.view_holder", "accounts.view_account", "keys.view_entry", "events.view_domainevent")
CLAIM_VIEW = ("claims.view_ownershipclaim", "portability.view_portability")
ENTRIES = reverse("admin:keys_entry_changelist")
HOLDERS = reverse("admin:accounts_holder_changelist")
ACCOUNTS = reverse("admin:accounts_account_changelist")
EVENTS = reverse("admin:events_domainevent_changelist")
OWNERSHIP_CLAIMS = reverse("admin:claims_ownershipclaim_changelist")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def phone_spellings(phone: str) -> list[str]:
    """``+5511987654321`` as people write it: national digits, with punctuation, international with spaces."""
    area, number = phone[3:5], phone[5:]
    return [phone[3:], f"({area}) {number[:5]}-{number[5:]}", f"+55 {area} {number[:5]}-{number[5:]}"]


def cpf_spelling(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def cnpj_spelling(cnpj: str) -> str:
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


def shown_time(moment) -> str:
    """A time as the back-office shows it: in São Paulo, to the second, with the offset (after a no-break space)."""
    return moment.astimezone(SAO_PAULO).strftime("%Y-%m-%d %H:%M:%S\u00a0%z")


def short(value: object) -> str:
    """An id as a short id: its first 8 characters, the whole in the title."""
    return f'<span class="short-id" title="{value}">{str(value)[:8]}</span>'


def admin_url(obj: object, view: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


# --- the spellings (pure rules) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("11987654321", ("+5511987654321",)),
        ("(11) 98765-4321", ("+5511987654321",)),
        ("+55 11 98765-4321", ("+5511987654321",)),
        ("+55 (11) 9 8765-4321", ("+5511987654321",)),
        ("+5511987654321", ("+5511987654321",)),
        ("123.456.789-09", ("12345678909",)),
        ("12345678909", ("12345678909",)),
        ("12.345.678/0001-95", ("12345678000195",)),
        ("  Alice.Souza@Example.COM ", ("alice.souza@example.com",)),
        # Parts of keys, broken check digits, landlines, other countries and words spell no key.
        ("1198765", ()),
        ("123.456.789", ()),
        ("123.456.789-00", ()),
        ("12.345.678/0001", ()),
        ("(11) 3456-7890", ()),
        ("+1 650 253 0000", ()),
        ("1-800-FLOWERS", ()),
        ("0001 12345", ()),
        ("", ()),
    ],
)
def test_key_spellings_are_the_whole_keys_a_typed_value_stands_for(typed: str, keys: tuple[str, ...]) -> None:
    assert key_spellings(typed) == keys


def test_eleven_digits_may_spell_a_cpf_and_a_phone_at_once() -> None:
    cpf = cpf_from_base("119876543")  # area code 11, then a mobile's 9 digits
    assert key_spellings(cpf) == (cpf, f"+55{cpf}")


# --- searching the back-office ----------------------------------------------------------------


@pytest.fixture
def keys_of_two_holders(make_account, make_entry) -> dict[str, Entry]:
    person, company = make_account(), make_account(legal=True)
    return {
        "phone": make_entry(person, "PHONE", new_phone()),
        "cpf": make_entry(person, "CPF", person.holder.tax_id),
        "cnpj": make_entry(company, "CNPJ", company.holder.tax_id),
        "email": make_entry(person, "EMAIL", "alice.souza@example.com"),
    }


def spellings_of(keys: dict[str, Entry]) -> list[tuple[str, list[Entry]]]:
    """Each spelling of a whole key, and what it finds: a tax id finds the holder's keys, not only the tax-id key."""
    person = [keys[name] for name in ("phone", "cpf", "email")]
    return [
        *[(spelled, [keys["phone"]]) for spelled in phone_spellings(keys["phone"].key_value)],
        (cpf_spelling(keys["cpf"].key_value), person),
        (cnpj_spelling(keys["cnpj"].key_value), [keys["cnpj"]]),
        ("Alice.Souza@EXAMPLE.com", [keys["email"]]),
    ]


def found(client, url: str, **params: str) -> list:
    return list(client.get(url, params).context["cl"].result_list)


@pytest.mark.django_db
def test_staff_who_may_see_pii_find_a_key_by_any_spelling_of_its_whole_value(
    client, make_staff, keys_of_two_holders
) -> None:
    client.force_login(make_staff(*VIEW, "accounts.view_pii"))
    for spelled, entries in spellings_of(keys_of_two_holders):
        assert sorted(found(client, ENTRIES, q=spelled), key=str) == sorted(entries, key=str), spelled
    person = keys_of_two_holders["cpf"].account
    company = keys_of_two_holders["cnpj"].account
    assert found(client, HOLDERS, q=cpf_spelling(person.holder.tax_id)) == [person.holder]
    assert found(client, ACCOUNTS, q=cnpj_spelling(company.holder.tax_id)) == [company]
    # Whole values only, as before: a part of a key finds nothing, however it is spelled.
    phone = keys_of_two_holders["phone"].key_value
    for part in (phone[3:9], f"({phone[3:5]}) {phone[5:10]}", cpf_spelling(person.holder.tax_id)[:7]):
        assert found(client, ENTRIES, q=part) == [], part
    # Non-key searches work as they did: branch and account number, two words.
    assert len(found(client, ENTRIES, q=f"{person.branch} {person.number}")) == 3


@pytest.mark.django_db
def test_without_view_pii_no_spelling_of_a_key_answers_whether_we_hold_it(
    client, make_staff, keys_of_two_holders
) -> None:
    client.force_login(make_staff(*VIEW))
    nobodys = found(client, ENTRIES, q="(21) 99999-0000")
    for spelled, _ in spellings_of(keys_of_two_holders):
        assert found(client, ENTRIES, q=spelled) == nobodys == [], spelled
    person = keys_of_two_holders["cpf"].account
    assert found(client, HOLDERS, q=cpf_spelling(person.holder.tax_id)) == []
    assert found(client, ACCOUNTS, q=cpf_spelling(person.holder.tax_id)) == []


@pytest.mark.django_db
def test_claims_are_found_by_the_national_spelling_of_their_phone(client, make_staff, make_account) -> None:
    entry = our_key(make_account(), "PHONE", new_phone())
    remote = claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    client.force_login(make_staff(*CLAIM_VIEW, "accounts.view_pii"))
    assert found(client, OWNERSHIP_CLAIMS, q=phone_spellings(entry.key_value)[1]) == [claim]
    client.force_login(make_staff(*CLAIM_VIEW))
    assert found(client, OWNERSHIP_CLAIMS, q=phone_spellings(entry.key_value)[1]) == []


def test_the_search_boxes_say_what_they_accept(client, admin_user) -> None:
    client.force_login(admin_user)
    for url in (ENTRIES, OWNERSHIP_CLAIMS):
        page = client.get(url).content.decode()
        assert "(11) 98765-4321" in page and "+55 11 98765-4321" in page and "11987654321" in page
        assert "with or without its dots, dash and slash" in page and "e-mail in any case" in page
    assert "with or without its dots, dash and slash" in client.get(HOLDERS).content.decode()


# --- the delete reason of a key a claim took ------------------------------------------------------


def entry_deleted_payload(entry: Entry) -> dict[str, str]:
    return DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryDeleted").payload


@pytest.mark.django_db
def test_a_key_our_sweep_gave_up_at_day_seven_is_deleted_for_default_operation(
    client, make_staff, make_account
) -> None:
    entry = our_key(make_account(), "PHONE", new_phone())
    claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    assert claims_sweep(now=clock.advance(7 * DAY + timedelta(seconds=1))) == {"confirm_ownership": 1}

    claim = Claim.objects.get(role="DONOR")
    entry.refresh_from_db()
    assert (entry.status, entry.delete_reason) == ("DELETED", "DEFAULT_OPERATION")
    assert entry_deleted_payload(entry) == {
        "status": "DELETED",
        "key_type": "PHONE",
        "reason": "DEFAULT_OPERATION",
        "claim_id": str(claim.pk),
    }
    client.force_login(make_staff(*VIEW))
    page = client.get(admin_url(entry, "change")).content.decode()
    assert re.search(r'<div class="readonly">\s*DEFAULT_OPERATION\s*</div>', page)
    assert "reason: DEFAULT_OPERATION" in page and "reason: ;" not in page
    assert found(client, ENTRIES, delete_reason__exact="DEFAULT_OPERATION") == [entry]


@pytest.mark.django_db
def test_a_key_our_customer_let_go_to_a_portability_is_deleted_for_the_customers_reason(make_account) -> None:
    account = make_account()
    entry = our_key(account, "EMAIL", f"{uuid.uuid4().hex[:12]}@example.com")
    claim_on_our_key(entry, "PORTABILITY", owner_of(account))
    claims_poll()
    claim = Claim.objects.get(role="DONOR")
    device = confirmed_device(account.holder.user)
    claim_respond(user=account.holder.user, claim_id=claim.pk, accept=True, otp=f"{totp(device.bin_key):06d}")

    entry.refresh_from_db()
    assert (entry.status, entry.delete_reason) == ("DELETED", "USER_REQUESTED")
    assert entry_deleted_payload(entry) == {
        "status": "DELETED",
        "key_type": "EMAIL",
        "reason": "USER_REQUESTED",
        "claim_id": str(claim.pk),
    }


# --- what the pages show ----------------------------------------------------------------------


@pytest.mark.django_db
def test_ids_are_short_with_the_whole_on_hover_and_on_their_page(client, make_staff, make_account) -> None:
    account = make_account()
    entry = our_key(account, "PHONE", new_phone())
    remote = claim_on_our_key(entry, "OWNERSHIP", stranger())
    claims_poll()
    claim = Claim.objects.get(dict_id=remote.id)
    client.force_login(make_staff(*VIEW, *CLAIM_VIEW, "accounts.view_pii"))

    assert short(entry.pk) in client.get(ENTRIES).content.decode()
    assert short(claim.pk) in client.get(OWNERSHIP_CLAIMS).content.decode()
    assert short(entry.pk) in client.get(EVENTS).content.decode()  # the events' aggregate id
    entry_page = client.get(admin_url(entry, "change")).content.decode()
    assert re.search(rf'<div class="readonly">\s*{entry.pk}\s*</div>', entry_page)
    assert re.search(
        rf'<div class="readonly">\s*{claim.pk}\s*</div>',
        client.get(reverse("admin:claims_ownershipclaim_change", args=[claim.pk])).content.decode(),
    )
    client.force_login(make_staff("audit.view_piiview"))  # the trail of the sights of PII above
    assert short(entry.pk) in client.get(reverse("admin:audit_piiview_changelist")).content.decode()


@pytest.mark.django_db
def test_the_timeline_shows_the_request_id_short(client, make_staff, make_account, make_entry) -> None:
    entry = make_entry(make_account(), "EVP")
    client.force_login(make_staff(*VIEW, "keys.delete_entry"))
    request_id = "timeline-0123456789abcdef"
    action = {"action": "delete_at_dict_fraud", "_selected_action": [str(entry.pk)]}
    assert client.post(ENTRIES, action, headers={"X-Request-ID": request_id}).status_code == 302
    assert DomainEvent.objects.filter(aggregate_id=str(entry.pk), request_id=request_id).exists()
    page = client.get(admin_url(entry, "change")).content.decode()
    assert f"<td>{short(request_id)}</td>" in page
    assert '<table class="event-history">' in page


@pytest.mark.django_db
def test_times_show_seconds_and_the_offset_of_the_staffs_time_zone(
    client, make_staff, make_account, make_entry
) -> None:
    entry = make_entry(make_account(), "EVP")
    client.force_login(make_staff(*VIEW))
    listed = client.get(ENTRIES).content.decode()
    assert shown_time(entry.created_at) in listed
    assert shown_time(entry.created_at).endswith("\u00a0-0300")  # São Paulo keeps no summer time since 2019
    page = client.get(admin_url(entry, "change")).content.decode()
    assert shown_time(entry.registered_at) in page
    activated = DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryActivated")
    assert f"<td>{shown_time(activated.occurred_at)}</td>" in page  # the timeline's "when"


@pytest.mark.django_db
def test_a_page_with_an_event_timeline_has_no_second_history(
    client, make_staff, make_account, make_entry, make_user
) -> None:
    entry = make_entry(make_account(), "EVP")
    client.force_login(make_staff(*VIEW))
    page = client.get(admin_url(entry, "change")).content.decode()
    assert "History</h2>" in page and "<td>EntryActivated</td>" in page  # the timeline stays
    assert "historylink" not in page
    assert "common/admin_layout.css" in page
    # Users are saved through the admin, so their Django history is theirs: the button stays there.
    client.force_login(make_user(superuser=True))
    assert "historylink" in client.get(admin_url(entry.account.holder.user, "change")).content.decode()


@pytest.mark.e2e
@pytest.mark.django_db
def test_published_at_shows_when_the_relay_published_the_event(
    client,
    make_staff,
    make_account,
    make_entry,
    publisher,  # noqa: F811  (the fixture imported above)
    prefix,
) -> None:
    entry = make_entry(make_account(), "EVP")
    created = DomainEvent.objects.get(aggregate_id=str(entry.pk), event_type="EntryCreated")
    client.force_login(make_staff(*VIEW))
    assert found(client, EVENTS, published_at__isempty="0") == []

    before = timezone.now()
    relay_batch(publisher, batch_size=100, max_attempts=3, prefix=prefix)

    created.refresh_from_db()
    assert created.published_at >= before
    assert created in found(client, EVENTS, published_at__isempty="0")
    assert re.search(
        rf'<td class="field-published_at[^"]*">{shown_time(created.published_at)}</td>',
        client.get(EVENTS).content.decode(),
    )
