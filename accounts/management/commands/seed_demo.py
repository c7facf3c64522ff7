"""Demo users, holders and accounts with known passwords, so a newcomer can call the API at once.

Idempotent: a second run finds everything in place and changes nothing (same ids). A password
is set only when its user is created, so one the user changed since is kept.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Account, Holder
from accounts.services import BRT, account_upsert, holder_upsert

# Fixed, so that every run upserts the same data.
OPENING_DATE = datetime(2024, 1, 2, tzinfo=BRT)
ADMIN_USERNAME = "admin"  # the superuser: for setting up only (users, groups); staff work with a role below


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str  # the name of the group backoffice.roles defines (migrate creates it)
    does: str


STAFF = (
    DemoStaff("compliance", "Compliance analyst", "sees PII (audited), deletes keys and cancels claims at DICT"),
    DemoStaff("support", "Support", "looks only, PII masked"),
    DemoStaff("auditor", "Auditor", "reads the event and PII audit trails, PII masked"),
)


@dataclass(frozen=True)
class DemoAccount:
    branch: str
    number: str
    account_type: str


@dataclass(frozen=True)
class DemoCustomer:
    username: str
    tax_id: str
    name: str
    trade_name: str
    accounts: tuple[DemoAccount, ...]


# Tax ids with valid mod-11 check digits (textbook examples, checked by tests/test_seed_demo.py).
CUSTOMERS = (
    DemoCustomer(
        "alice",
        "52998224725",
        "Alice Pereira",
        "",
        (DemoAccount("0001", "1000017", "CACC"), DemoAccount("0001", "1000025", "SVGS")),
    ),
    DemoCustomer("bob", "39053344705", "Bob Santos", "", (DemoAccount("0001", "1000033", "CACC"),)),
    DemoCustomer(
        "acme",
        "11222333000181",
        "ACME COMERCIO DE ALIMENTOS LTDA",
        "ACME",
        (DemoAccount("0001", "2000019", "CACC"),),
    ),
)


def demo_password(username: str) -> str:
    return f"{username}-demo-pass"


def demo_logins() -> list[tuple[str, str, str]]:
    """Each demo login as this command creates it: username, password and what it is for.

    `manage.py serve` prints them at start (settings.DEMO_LOGINS_HOOK names this function).
    """
    customers = [(c.username, demo_password(c.username), "customer") for c in CUSTOMERS]
    staff = [(s.username, demo_password(s.username), f"staff, {s.role}: {s.does}") for s in STAFF]
    admin = (ADMIN_USERNAME, demo_password(ADMIN_USERNAME), "superuser, for setting up only (back-office at /admin/)")
    return [*customers, *staff, admin]


def ensure_user(username: str, *, superuser: bool = False, staff: bool = False) -> tuple[AbstractBaseUser, bool]:
    """The demo login, created with its demo password if missing; an existing one is left as it is."""
    users = get_user_model().objects
    user = users.filter(username=username).first()
    if user is not None:
        return user, False
    if superuser:
        return users.create_superuser(username=username, password=demo_password(username)), True
    return users.create_user(username=username, password=demo_password(username), is_staff=staff), True


def role_group(name: str) -> Group:
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise CommandError(f"the staff role {name!r} does not exist: run `manage.py migrate` first (it creates them)")
    return group


# Pasted into a shell as is; ACCOUNT_ID becomes alice's first account.
TRY_IT = r"""Try the API as alice (with the server running: make run):
  TOKEN=$(curl -s -X POST localhost:8000/api/v1/auth/token/ -H 'Content-Type: application/json' \
    -d '{"username":"alice","password":"alice-demo-pass"}' \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["access"])')
  curl -s localhost:8000/api/v1/accounts/ -H "Authorization: Bearer $TOKEN"
  REQUEST_ID=$(python3 -c 'import uuid;print(uuid.uuid4())')
  curl -s -X POST localhost:8000/api/v1/keys/ -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"account_id":ACCOUNT_ID,"key_type":"EVP","request_id":"'"$REQUEST_ID"'"}'"""


class Command(BaseCommand):
    help = (
        "Create the demo users alice, bob, acme (customers), compliance, support, auditor (staff, one per role) "
        "and admin (superuser, for setting up); idempotent."
    )

    def handle(self, *args, **options) -> None:
        tally: dict[str, Counter[str]] = {"users": Counter(), "holders": Counter(), "accounts": Counter()}
        seeded: dict[str, tuple[Holder, list[Account]]] = {}
        with transaction.atomic():
            for customer in CUSTOMERS:
                user, user_created = ensure_user(customer.username)
                tally["users"]["created" if user_created else "existing"] += 1
                holder, outcome = holder_upsert(
                    tax_id=customer.tax_id, name=customer.name, trade_name=customer.trade_name, user=user
                )
                tally["holders"][outcome] += 1
                seeded[customer.username] = (holder, [])
                for demo in customer.accounts:
                    account, outcome = account_upsert(
                        holder=holder,
                        branch=demo.branch,
                        number=demo.number,
                        account_type=demo.account_type,
                        opening_date=OPENING_DATE,
                    )
                    tally["accounts"][outcome] += 1
                    seeded[customer.username][1].append(account)
            for demo in STAFF:
                user, user_created = ensure_user(demo.username, staff=True)
                tally["users"]["created" if user_created else "existing"] += 1
                if user_created:  # like the password: a role changed since is kept
                    user.groups.add(role_group(demo.role))
            _, admin_created = ensure_user(ADMIN_USERNAME, superuser=True)
            tally["users"]["created" if admin_created else "existing"] += 1
        self.report(tally, seeded)

    def report(self, tally: dict[str, Counter[str]], seeded: dict[str, tuple[Holder, list[Account]]]) -> None:
        changed = any(n for counts in tally.values() for state, n in counts.items() if state in ("created", "updated"))
        done = "; ".join(
            f"{kind} " + ", ".join(f"{n} {state}" for state, n in counts.items()) for kind, counts in tally.items()
        )
        self.stdout.write(f"Demo data {'seeded' if changed else 'already in place, nothing changed'}: {done}")
        self.stdout.write("\nDemo users (the password is set when the user is created; a changed one is kept):")
        rows = [("username", "password", "holder", "account ids")]
        for customer in CUSTOMERS:
            holder, owned = seeded[customer.username]
            rows.append(
                (
                    customer.username,
                    demo_password(customer.username),
                    holder.person_type,
                    ", ".join(f"{a.pk} ({a.account_type} {a.branch}/{a.number})" for a in owned),
                )
            )
        for demo in STAFF:
            rows.append((demo.username, demo_password(demo.username), "staff", f"{demo.role}: {demo.does}"))
        rows.append((ADMIN_USERNAME, demo_password(ADMIN_USERNAME), "superuser", "setting up only (users, roles)"))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for *cells, last in rows:
            self.stdout.write("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + last)
        self.stdout.write("\n" + TRY_IT.replace("ACCOUNT_ID", str(seeded["alice"][1][0].pk)))
