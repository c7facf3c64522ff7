"""manage.py seed_demo: demo users with known passwords, idempotent, ready for the API at once."""

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Account, Holder
from backoffice.roles import AUDITOR, COMPLIANCE_ANALYST, SUPPORT
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from events.models import DomainEvent

pytestmark = pytest.mark.django_db

User = get_user_model()


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    return {
        "users": list(User.objects.order_by("id").values_list("id", "username", "is_staff", "is_superuser")),
        "holders": list(
            Holder.objects.values_list("id", "tax_id", "person_type", "name", "trade_name", "user__username")
        ),
        "accounts": list(
            Account.objects.values_list(
                "id", "holder__user__username", "branch", "number", "account_type", "opening_date", "updated_at"
            )
        ),
    }


def test_seeds_the_demo_customers_staff_and_admin() -> None:
    out = seed()

    data = snapshot()
    assert [u[1:] for u in data["users"]] == [
        ("alice", False, False),
        ("bob", False, False),
        ("acme", False, False),
        ("compliance", True, False),
        ("support", True, False),
        ("auditor", True, False),
        ("admin", True, True),
    ]
    assert [h[1:] for h in data["holders"]] == [
        ("52998224725", "NATURAL_PERSON", "Alice Pereira", "", "alice"),
        ("39053344705", "NATURAL_PERSON", "Bob Santos", "", "bob"),
        ("11222333000181", "LEGAL_PERSON", "ACME COMERCIO DE ALIMENTOS LTDA", "ACME", "acme"),
    ]
    opened = datetime(2024, 1, 2, 3, tzinfo=UTC)
    assert [a[1:6] for a in data["accounts"]] == [
        ("alice", "0001", "1000017", "CACC", opened),
        ("alice", "0001", "1000025", "SVGS", opened),
        ("bob", "0001", "1000033", "CACC", opened),
        ("acme", "0001", "2000019", "CACC", opened),
    ]
    for username in ("alice", "bob", "acme", "compliance", "support", "auditor", "admin"):
        assert User.objects.get(username=username).check_password(f"{username}-demo-pass")
    alice_first, alice_second = (a[0] for a in data["accounts"][:2])
    lines = out.splitlines()
    assert lines[0] == "Demo data seeded: users 7 created; holders 3 created; accounts 4 created"
    alice_accounts = f"{alice_first} (CACC 0001/1000017), {alice_second} (SVGS 0001/1000025)"
    assert f"  alice       alice-demo-pass       NATURAL_PERSON  {alice_accounts}" in lines
    assert "  support     support-demo-pass     staff           Support: looks only, PII masked" in lines
    assert "  admin       admin-demo-pass       superuser       setting up only (users, roles)" in lines
    assert f"""-d '{{"account_id":{alice_first},"key_type":"EVP",""" in out


def test_each_demo_staff_user_has_one_role_and_the_superuser_none() -> None:
    seed()

    groups = {user.username: [g.name for g in user.groups.all()] for user in User.objects.filter(is_staff=True)}
    assert groups == {"compliance": [COMPLIANCE_ANALYST], "support": [SUPPORT], "auditor": [AUDITOR], "admin": []}


def test_the_tax_ids_have_valid_check_digits() -> None:
    seed()

    natural = Holder.objects.filter(person_type="NATURAL_PERSON").values_list("tax_id", flat=True)
    legal = Holder.objects.filter(person_type="LEGAL_PERSON").values_list("tax_id", flat=True)
    assert [cpf_from_base(t[:9]) for t in natural] == list(natural)
    assert [cnpj_from_base(t[:12]) for t in legal] == list(legal)


def test_a_second_run_changes_nothing() -> None:
    seed()
    before = snapshot()
    events = DomainEvent.objects.count()

    out = seed()

    assert snapshot() == before
    assert DomainEvent.objects.count() == events
    assert out.splitlines()[0] == (
        "Demo data already in place, nothing changed: users 7 existing; holders 3 unchanged; accounts 4 unchanged"
    )


def test_a_password_the_user_changed_is_kept() -> None:
    seed()
    alice = User.objects.get(username="alice")
    alice.set_password("alice-own-Secret-9")
    alice.save()

    seed()

    alice.refresh_from_db()
    assert alice.check_password("alice-own-Secret-9")
    assert not alice.check_password("alice-demo-pass")


def test_alice_gets_a_token_and_lists_exactly_her_two_accounts() -> None:
    seed()
    client = APIClient()

    token = client.post("/api/v1/auth/token/", {"username": "alice", "password": "alice-demo-pass"}, format="json")
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    response = client.get("/api/v1/accounts/")

    assert response.status_code == 200
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    alice_accounts = list(Account.objects.filter(holder__user__username="alice").values_list("id", flat=True))
    assert [a["id"] for a in body["results"]] == alice_accounts
    assert [(a["account_type"], a["holder_name"], a["person_type"]) for a in body["results"]] == [
        ("CACC", "Alice Pereira", "NATURAL_PERSON"),
        ("SVGS", "Alice Pereira", "NATURAL_PERSON"),
    ]
