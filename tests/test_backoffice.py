"""The back-office's staff roles (groups kept as defined by every migrate), the staff home page's selectors and
the list filters it links to. The pages themselves, per role and in a browser: tests/browser/."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from backoffice.roles import AUDITOR, COMPLIANCE_ANALYST, RISK_ENGINE, ROLES, SUPPORT
from backoffice.services import roles_ensure
from claims.admin_filters import DEADLINE_LABELS
from claims.models import Claim
from claims.selectors import DEADLINE_BUCKETS, PASSED_WITHIN, claims_by_deadline, open_claim_counts
from dict_rules.claims import ClaimStatus
from tests.factories import incoming_claim

pytestmark = pytest.mark.django_db


def held(name: str) -> set[str]:
    permissions = Group.objects.get(name=name).permissions.select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def test_migrate_leaves_each_role_with_exactly_its_permissions() -> None:
    assert {name: held(name) for name in ROLES} == ROLES
    assert "accounts.view_pii" in held(COMPLIANCE_ANALYST)
    assert "accounts.view_pii" not in held(SUPPORT) | held(AUDITOR)
    assert {"keys.delete_entry", "claims.change_ownershipclaim", "portability.change_portability"} <= held(
        COMPLIANCE_ANALYST
    )
    # The staff actions on keys (update at DICT) and accounts (close) are the analyst's, not the superuser's.
    assert {"keys.change_entry", "accounts.change_account"} <= held(COMPLIANCE_ANALYST)
    assert not {"keys.change_entry", "accounts.change_account"} & (held(SUPPORT) | held(AUDITOR))
    staff_roles = set(ROLES) - {RISK_ENGINE}  # the risk engine is a service's role: statistics in lookups only
    assert all("keys.view_synccheck" in held(role) for role in staff_roles)  # every staff role browses the sync checks
    assert held(RISK_ENGINE) == {"lookup.view_statistics"}
    assert "audit.view_piiview" in held(AUDITOR)


def test_roles_ensure_puts_a_changed_role_back_and_is_idempotent() -> None:
    support = Group.objects.get(name=SUPPORT)
    support.permissions.add(Permission.objects.get(codename="view_pii"))
    Group.objects.get(name=AUDITOR).delete()

    assert roles_ensure() == dict.fromkeys(ROLES, "unchanged") | {SUPPORT: "updated", AUDITOR: "created"}
    assert roles_ensure() == dict.fromkeys(ROLES, "unchanged")
    assert held(SUPPORT) == ROLES[SUPPORT]
    assert held(AUDITOR) == ROLES[AUDITOR]


def test_roles_ensure_creates_the_permissions_it_needs_when_none_exist_yet() -> None:
    """As on a fresh database, where Django creates each app's permissions only after its own post_migrate."""
    Group.objects.all().delete()
    Permission.objects.all().delete()

    roles_ensure()

    assert {name: held(name) for name in ROLES} == ROLES


@pytest.mark.parametrize("command", ["migrate", "flush"])
def test_migrate_and_flush_leave_the_roles_in_place(command: str) -> None:
    """flush empties every table, then sends post_migrate (as TransactionTestCase does after each test)."""
    Group.objects.get(name=SUPPORT).permissions.clear()
    call_command(command, verbosity=0, interactive=False)
    assert {name: held(name) for name in ROLES} == ROLES


def test_the_deadline_filter_lists_exactly_what_the_counts_count(make_account) -> None:
    now = timezone.now()
    account = make_account()
    lefts = {"overdue": -timedelta(hours=2), "under_1h": timedelta(minutes=30), "under_24h": timedelta(hours=5)}
    claims = [incoming_claim(account)[0] for _ in range(len(lefts) + 2)]  # each poll re-reads the earlier ones
    for claim, left in zip(claims, lefts.values(), strict=False):
        Claim.objects.filter(pk=claim.pk).update(resolution_period_end=now + left)
    *_, closed, later = claims  # later: DICT's own period, 7 days
    Claim.objects.filter(pk=closed.pk).update(
        status=ClaimStatus.CANCELLED, resolution_period_end=now - timedelta(days=3)
    )

    counts = open_claim_counts(now=now, buckets=DEADLINE_BUCKETS)
    for bucket in DEADLINE_BUCKETS:
        listed = claims_by_deadline(Claim.objects.all(), bucket, now=now)
        assert listed.count() == counts[("DONOR", bucket)] == 1, bucket
    assert list(claims_by_deadline(Claim.objects.all(), "later", now=now)) == [later]
    assert claims_by_deadline(Claim.objects.all(), "past_7d", now=now).count() == 2  # overdue and cancelled
    assert set(DEADLINE_LABELS) == set(DEADLINE_BUCKETS) | set(PASSED_WITHIN)


@pytest.mark.parametrize(
    ("changelist", "query"),
    [("admin:claims_ownershipclaim_changelist", "deadline=soon"), ("admin:keys_entry_changelist", "stuck=ACTIVE")],
)
def test_a_hand_typed_filter_value_is_refused_not_a_500(client, make_user, changelist: str, query: str) -> None:
    client.force_login(make_user(superuser=True))
    response = client.get(f"{reverse(changelist)}?{query}")
    # Django's admin answers IncorrectLookupParameters by redirecting to the list with ?e=1.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_home_page_shows_each_panel_to_who_may_open_its_list(client, make_staff) -> None:
    panels = ("claims-due", "keys-stuck", "keys-failed-today", "sync-checks", "outbox", "directory")

    def shown(*permissions: str) -> set[str]:
        client.force_login(make_staff(*permissions))
        html = client.get(reverse("admin:index")).content.decode()
        return {panel for panel in panels if f'id="{panel}"' in html}

    assert shown() == {"directory"}
    assert shown("keys.view_entry") == {"directory", "keys-stuck", "keys-failed-today"}
    assert shown("keys.view_synccheck") == {"directory", "sync-checks"}
    assert shown("claims.view_ownershipclaim") == {"directory", "claims-due"}
    assert shown("events.view_domainevent") == {"directory", "outbox"}
