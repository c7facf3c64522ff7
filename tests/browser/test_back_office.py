"""The back-office in a browser, per staff role: the staff home page's counts against the lists they open, what
each role may see and do, PII never reaching the HTML of a role without accounts.view_pii, and the staff actions
run through the admin on seeded data."""

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Page

from accounts.models import Account
from claims.models import Claim
from dict_rules.claims import ClaimStatus
from events.models import DomainEvent
from events.types import ClaimEvent, EntryEvent
from keys.models import Entry
from keys.sync import sync_check
from portability.services import portability_start
from tests.browser.conftest import BackOffice
from tests.factories import create_entry, incoming_claim, key_at_other_psp, our_key, owner_of, stranger

# django_db: pytest-django creates the test database for marked tests only. Each test runs in its own atomic
# block, which the seeding (module-wide, committed before) and the server's writes (read committed) stand outside.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

# Values seed_demo and the seeding below put in clear; a masked page must show none of them.
ALICE_CPF, ALICE_NAME, BOB_CPF, BOB_NAME = "52998224725", "Alice Pereira", "39053344705", "Bob Santos"
ALICE_EMAIL, ALICE_PHONE = "alice.pereira@example.com", "+5521991234567"
CLEAR_PII = (ALICE_CPF, ALICE_NAME, BOB_CPF, BOB_NAME, ALICE_EMAIL, ALICE_PHONE, "21991234567", "alice.pereira")
COMPLIANCE, SUPPORT, AUDITOR = "compliance", "support", "auditor"
BROWSE = {"Holders", "Accounts", "Entries", "Sync checks", "Ownership claims", "Portabilities"}
LISTS = {
    COMPLIANCE: BROWSE | {"Domain events"},
    SUPPORT: BROWSE,
    AUDITOR: BROWSE | {"Domain events", "Unmasked PII views"},
}
MEMORY_SMS = "possession.delivery.MemorySmsSender"
DICT_ACTIONS = ("delete_at_dict_fraud", "delete_at_dict_rfb_validation", "cancel_fraud", "redrive")


@dataclass
class Seeded:
    fraud_key: Entry  # to delete at DICT with FRAUD
    rfb_key: Entry  # with RFB_VALIDATION
    unacknowledged: Claim  # an incoming portability DICT still shows OPEN: to cancel with FRAUD
    overdue: Claim  # an incoming ownership claim past its deadline: to re-drive


@pytest.fixture(scope="module")
def seeded(committed_data) -> Iterator[Seeded]:
    """seed_demo's users, then keys and claims made through the services (the local directory answers).
    States the directory alone brings about (stuck, due soon) are set on our rows afterwards."""
    with override_settings(POSSESSION_SMS_SENDER=MEMORY_SMS):  # phone keys: the possession code is read there
        yield _seed()


def _seed() -> Seeded:
    call_command("seed_demo", stdout=io.StringIO())
    alice, alice_savings = Account.objects.filter(holder__user__username="alice")  # 5 keys each at most
    bob = Account.objects.filter(holder__user__username="bob").first()
    fraud_key = our_key(alice, "EMAIL", ALICE_EMAIL)
    our_key(alice, "PHONE", ALICE_PHONE)
    rfb_key = our_key(bob, "EVP", None)
    now = timezone.now()
    for status, age in (("PENDING", timedelta(hours=1)), ("DELETE_PENDING", timedelta(hours=2)), ("PENDING", None)):
        entry = our_key(bob, "EMAIL", f"{uuid.uuid4().hex[:10]}@example.com")
        Entry.objects.filter(pk=entry.pk).update(status=status, updated_at=now - (age or timedelta(0)))
    # Registrations DICT refuses (create_entry commits, so the registration task runs at once, eagerly): a key
    # another person holds elsewhere, one bob holds at another PSP, and one refused two days ago.
    refused = [("taken@example.com", stranger()), ("bob.elsewhere@example.com", owner_of(bob))]
    for key, owner in [*refused, ("old.refusal@example.com", stranger())]:
        key_at_other_psp("EMAIL", key, owner)
        create_entry(bob, "EMAIL", key)
    Entry.objects.filter(key_value="old.refusal@example.com").update(updated_at=now - timedelta(days=2))
    # Claims: each poll re-reads the earlier ones, so the deadlines are set once every claim is in.
    overdue, _ = incoming_claim(alice_savings, "PHONE", "OWNERSHIP")
    soon, _ = incoming_claim(alice_savings)
    today, _ = incoming_claim(alice_savings)
    unacknowledged, _ = incoming_claim(alice_savings)
    key_at_other_psp("EMAIL", "bob.santos@example.com", owner_of(bob))
    claimed, _ = portability_start(
        user=bob.holder.user, account_id=bob.pk, key_type="EMAIL", key="bob.santos@example.com", request_id=uuid.uuid4()
    )
    for claim, left in ((overdue, -timedelta(hours=2)), (soon, timedelta(minutes=30)), (today, timedelta(hours=5))):
        Claim.objects.filter(pk=claim.pk).update(resolution_period_end=now + left)
    Claim.objects.filter(pk=claimed.pk).update(resolution_period_end=now + timedelta(hours=3))
    Claim.objects.filter(pk=unacknowledged.pk).update(status=ClaimStatus.OPEN, acknowledged_at=None)
    sync_check(key_types=("CPF", "EMAIL"))  # EMAIL is out of sync: DICT holds the keys stuck PENDING here
    return Seeded(fraud_key=fraud_key, rfb_key=rfb_key, unacknowledged=unacknowledged, overdue=overdue)


def rows_listed(page: Page, url: str) -> int:
    """The rows of a changelist, over all its pages."""
    page.goto(url)
    total = page.locator("#result_list tbody tr").count()
    pages = {href for href in page.locator(".paginator a").evaluate_all("els => els.map(e => e.href)")}
    for href in sorted(pages):
        page.goto(href)
        total += page.locator("#result_list tbody tr").count()
    return total


def tallies(page: Page) -> dict[str, tuple[int, str]]:
    """Each count on the home page, by its panel and row, with the link it carries."""
    page.goto("/admin/")
    found = {}
    for link in page.locator("#staff-home a.tally").all():
        row = link.locator("xpath=ancestor::tr[1]")
        column = link.get_attribute("title") or row.locator("th").inner_text()
        panel = link.locator("xpath=ancestor::div[contains(@class,'module')][1]").get_attribute("id")
        found[f"{panel}: {column}"] = (int(link.inner_text()), link.get_attribute("href"))
    return found


def test_every_count_on_the_home_page_opens_a_list_of_exactly_that_many_rows(
    back_office: BackOffice, seeded: Seeded, screenshot_dir: Path
) -> None:
    page = back_office.login(COMPLIANCE)
    page.screenshot(path=screenshot_dir / "staff-home.png", full_page=True)
    found = tallies(page)

    listed = {name: rows_listed(page, url) for name, (_, url) in found.items()}

    assert listed == {name: count for name, (count, _) in found.items()}
    nonzero = {name: count for name, (count, _) in found.items() if count and not name.startswith("outbox")}
    assert nonzero == {
        "claims-due: Ownership claims, as donor: open, overdue": 1,
        "claims-due: Portabilities, as donor: open, due in under 1 h": 1,
        "claims-due: Portabilities, as donor: open, due in 1 h to 24 h": 1,
        "claims-due: Portabilities, as claimer: open, due in 1 h to 24 h": 1,
        "claims-unacknowledged: Portabilities on our keys, still OPEN at DICT": 1,
        "keys-stuck: PENDING for over 15 min": 1,
        "keys-stuck: DELETE_PENDING for over 15 min": 1,
        "keys-failed-today: EntryKeyOwnedByDifferentPerson": 1,
        "keys-failed-today: EntryKeyInCustodyOfDifferentParticipant": 1,
    }
    assert found["outbox: Unpublished events"][0] == DomainEvent.objects.filter(published_at__isnull=True).count()
    page.goto("/admin/")
    sync = {
        row[0]: row[2] for row in (tr.split("\t") for tr in page.locator("#sync-checks tbody tr").all_inner_texts())
    }
    assert sync == {"CPF": "OK", "CNPJ": "unverified", "PHONE": "unverified", "EMAIL": "NOK", "EVP": "unverified"}


@pytest.mark.parametrize("role", [COMPLIANCE, SUPPORT, AUDITOR])
def test_each_role_opens_its_lists_and_their_pages_and_no_other(back_office: BackOffice, seeded: Seeded, role: str):
    page = back_office.login(role)
    sidebar = page.locator("#content-related th[scope=row] a")
    assert set(sidebar.all_inner_texts()) == LISTS[role]
    lists = sidebar.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    seen_pii = set()
    for url in lists:
        page.goto(url)
        html = page.content()
        change_pages = page.locator("#result_list tbody th a").evaluate_all("els => els.map(e => e.href)")
        for change_page in change_pages[:25]:
            response = page.request.get(change_page)
            assert response.status == 200, change_page
            html += response.text()
        seen_pii |= {value for value in CLEAR_PII if value in html}
    if role == COMPLIANCE:  # the control: the values are on these pages, in clear for who may see them
        assert seen_pii == set(CLEAR_PII)
    else:
        assert seen_pii == set()
    forbidden = {"/admin/audit/piiview/", "/admin/events/domainevent/", "/admin/auth/user/"} - set(lists)
    for url in forbidden:
        assert page.request.get(url).status == 403, url


def test_a_masked_role_cannot_search_or_filter_its_way_to_pii(back_office: BackOffice, seeded: Seeded) -> None:
    page = back_office.login(SUPPORT)
    page.goto(f"/admin/keys/entry/?q={ALICE_EMAIL}")
    assert page.locator("#result_list tbody tr").count() == 0  # the search skips PII fields: no oracle
    assert page.request.get(f"/admin/keys/entry/?account__holder__tax_id={ALICE_CPF}").status == 400


def action_options(page: Page, url: str) -> set[str]:
    page.goto(url)
    return set(page.locator("select[name=action] option").evaluate_all("els => els.map(e => e.value)"))


def run_action(page: Page, url: str, pk: object, action: str) -> list[str]:
    page.goto(url)
    page.check(f"input.action-select[value='{pk}']")
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")
    return page.locator("ul.messagelist li").all_inner_texts()


@pytest.mark.parametrize("role", [SUPPORT, AUDITOR])
def test_read_only_roles_are_offered_no_action_at_dict(back_office: BackOffice, seeded: Seeded, role: str) -> None:
    page = back_office.login(role)
    for url in ("/admin/keys/entry/", "/admin/claims/ownershipclaim/", "/admin/portability/portability/"):
        assert action_options(page, url).isdisjoint(DICT_ACTIONS), url
    # Posting the action anyway changes nothing: Django's admin refuses an action the user is not offered.
    token = page.context.cookies()
    csrf = next(cookie["value"] for cookie in token if cookie["name"] == "csrftoken")
    page.request.post(
        "/admin/keys/entry/",
        form={"action": "delete_at_dict_fraud", "_selected_action": str(seeded.fraud_key.pk), "index": "0"},
        headers={"X-CSRFToken": csrf, "Referer": f"{back_office.base}/admin/keys/entry/"},
    )
    seeded.fraud_key.refresh_from_db()
    assert seeded.fraud_key.status == "ACTIVE"


def test_the_compliance_analyst_runs_each_staff_action(
    back_office: BackOffice, seeded: Seeded, screenshot_dir: Path
) -> None:
    page = back_office.login(COMPLIANCE)
    page.goto(f"/admin/claims/ownershipclaim/{seeded.overdue.pk}/change/")
    page.screenshot(path=screenshot_dir / "ownership-claim.png", full_page=True)

    assert run_action(page, "/admin/keys/entry/", seeded.fraud_key.pk, "delete_at_dict_fraud") == [
        "1 key sent to DICT for deletion with reason FRAUD."
    ]
    assert run_action(page, "/admin/keys/entry/", seeded.rfb_key.pk, "delete_at_dict_rfb_validation") == [
        "1 key sent to DICT for deletion with reason RFB_VALIDATION."
    ]
    portabilities = "/admin/portability/portability/"
    assert run_action(page, portabilities, seeded.unacknowledged.pk, "cancel_fraud") == [
        "1 claim(s) cancelled with FRAUD."
    ]
    assert run_action(page, "/admin/claims/ownershipclaim/", seeded.overdue.pk, "redrive") == ["1 claim(s) re-driven."]

    for entry, reason in ((seeded.fraud_key, "FRAUD"), (seeded.rfb_key, "RFB_VALIDATION")):
        entry.refresh_from_db()
        assert (entry.status, entry.delete_reason) == ("DELETED", reason)
    seeded.unacknowledged.refresh_from_db()
    assert (seeded.unacknowledged.status, seeded.unacknowledged.cancel_reason) == ("CANCELLED", "FRAUD")
    by_compliance = set(DomainEvent.objects.filter(actor__username=COMPLIANCE).values_list("event_type", flat=True))
    assert {EntryEvent.DELETE_REQUESTED, ClaimEvent.CANCELLED, ClaimEvent.REDRIVEN} <= by_compliance
