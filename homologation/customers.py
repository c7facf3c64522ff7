"""The rehearsal's customers and what they do as customers: holders and accounts through the
accounts import (core banking's path), proofs of possession read where the code was delivered, and
the second factor an authenticator app would give.

Every customer's move is a service a customer or core banking uses; one table is written directly:
Django's auth (``fraud_team_operator``: a login and MED's permission), as an administrator would in
the admin, since no service below the back-office adds a user to a staff role (backoffice.roles
keeps the roles, and homologation may not import it: same layer).
"""

import re
import secrets
import uuid
from base64 import b32decode
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.core import mail
from django_otp.oath import totp

from accounts.models import Account, Holder
from accounts.second_factor import totp_confirm, totp_enrol
from accounts.services import accounts_import
from common.logging import mask_pii
from dict_rules.errors import DomainError
from dict_rules.keys import KeyType
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from med.models import MANAGE_PERMISSION
from possession.delivery import MemorySmsSender
from possession.services import challenge_confirm, challenge_start

OPENED = "2020-01-02"
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass(frozen=True)
class Customer:
    holder: Holder
    account: Account

    @property
    def user(self) -> AbstractBaseUser:
        return self.holder.user


class CustomersRefused(RuntimeError):
    """The accounts import refused rows (line, reason; no PII)."""


def import_customers(rows: list[dict[str, str]]) -> list[Customer]:
    """Holders with one account each, through core banking's import; each row names its holder's login
    (``username``). Rows whose account is already here are not sent again (core banking exports new
    customers), so a re-run of the preparation costs a read. The customers, in ``rows``' order."""
    numbers = [row["number"] for row in rows]
    accounts = Account.objects.select_related("holder__user").filter(ispb=settings.DICT_ISPB, number__in=numbers)
    here = set(accounts.values_list("number", flat=True))
    new = [row for row in rows if row["number"] not in here]
    reports = deque(accounts_import(enumerate(new, start=1)), maxlen=1)  # the last running report
    if reports and reports[0].rejected:
        raise CustomersRefused(f"the accounts import refused rows: {reports[0].rejected[:5]}")
    by_number = {account.number: account for account in accounts.all()}
    return [Customer(by_number[number].holder, by_number[number]) for number in numbers]


def customer_row(*, tax_id: str, name: str, number: str, trade_name: str = "") -> dict[str, str]:
    """One import row: the holder, an account (branch 0001, CACC) and the holder's login."""
    return {
        "tax_id": tax_id,
        "name": name,
        "trade_name": trade_name,
        "branch": "1",
        "number": number,
        "account_type": "CACC",
        "opening_date": OPENED,
        "username": f"rehearsal-{number}",
    }


def fresh_person(run: str, label: str) -> dict[str, str]:
    """A new natural person (a valid CPF nobody holds yet) with an account, for this run only.

    The digits come from ``secrets``, not ``random``: synthetic seeding reseeds ``random`` to be
    reproducible, which would hand every run the same "new" people."""
    tax_id = cpf_from_base(f"{secrets.randbelow(10**9):09d}")
    return customer_row(tax_id=tax_id, name=f"Cliente Ensaio {label}", number=_number(run, label))


def fresh_company(run: str, label: str) -> dict[str, str]:
    """A new legal person (a valid CNPJ, head office) with an account, for this run only."""
    return customer_row(
        tax_id=cnpj_from_base(f"{secrets.randbelow(10**8):08d}0001"),
        name=f"EMPRESA ENSAIO {label.upper()} LTDA",
        trade_name="ENSAIO",
        number=_number(run, label),
    )


def _number(run: str, label: str) -> str:
    """An account number for this run and label (digits only, at most 20)."""
    return f"8{int(uuid.uuid5(uuid.NAMESPACE_OID, f'{run}:{label}').hex[:15], 16) % 10**15:015d}"


class CodeUnreadable(RuntimeError):
    """The possession code went somewhere the rehearsal cannot read (SMTP, a real SMS gateway)."""


_READABLE = {  # the delivery adapters whose codes the rehearsal can read, by key type
    KeyType.EMAIL: (
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ),
    KeyType.PHONE: ("possession.delivery.MemorySmsSender", "possession.delivery.FileSmsSender"),
}


def _delivery(key_type: str) -> str:
    """The adapter a code for ``key_type`` goes through; CodeUnreadable if the rehearsal cannot read it
    there (SMTP, a real SMS gateway: a person has to read the code on the phone or in the mailbox)."""
    adapter = settings.EMAIL_BACKEND if key_type == KeyType.EMAIL else settings.POSSESSION_SMS_SENDER
    if adapter not in _READABLE[key_type]:
        raise CodeUnreadable(
            f"{key_type} codes are delivered through {adapter}, which the rehearsal cannot read: "
            "run it with the file outbox (the embedded default) or prove possession by hand."
        )
    return adapter


def delivered_code(key_type: str, key: str, *, since: datetime) -> str:
    """The code last delivered to ``key`` since ``since``, read where the delivery port put it:
    the file outbox (the embedded default), or the in-memory ones (tests)."""
    adapter = _delivery(key_type)
    if adapter.endswith("locmem.EmailBackend"):
        return _last_code(message.body for message in mail.outbox if key in message.to)
    if adapter.endswith("MemorySmsSender"):
        return _last_code(message.text for message in MemorySmsSender.outbox if message.phone == key)
    directory = settings.EMAIL_FILE_PATH if key_type == KeyType.EMAIL else settings.POSSESSION_SMS_DIR
    return _code_in_files(Path(directory), key, since)


def _last_code(texts) -> str:
    codes = [code for text in texts for code in _CODE.findall(text)]
    if not codes:
        raise CodeUnreadable("no code was delivered to this key.")
    return codes[-1]


def _code_in_files(directory: Path, key: str, since: datetime) -> str:
    """The last code in a file of ``directory`` written since ``since`` and addressed to ``key``."""
    start = since.timestamp()
    files = sorted(
        (path for path in directory.glob("*") if path.is_file() and path.stat().st_mtime >= start - 1),
        key=lambda path: path.stat().st_mtime_ns,
    )
    return _last_code(text for path in files if f"To: {key}\n" in (text := path.read_text(errors="replace")))


def proven_possession(customer: Customer, key_type: str, key: str) -> uuid.UUID:
    """A confirmed possession challenge for ``key``, as the customer gets one (DICT_RULES §1)."""
    _delivery(key_type)  # before a code is sent that nobody here could read
    since = datetime.now(UTC)
    challenge = challenge_start(user=customer.user, key_type=key_type, key=key)
    code = delivered_code(key_type, challenge.key, since=since)
    return challenge_confirm(user=customer.user, challenge_id=challenge.pk, code=code).pk


def second_factor_code(user: AbstractBaseUser) -> str:
    """A fresh TOTP code for one sensitive move, as the customer's authenticator app gives it: the app
    is enrolled (its secret read from the otpauth URL, as a QR scanner does) and confirmed first."""
    secret = parse_qs(urlsplit(totp_enrol(user=user)).query)["secret"][0]
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp_confirm(user=user, otp=f"{totp(key):06d}")
    return f"{totp(key, drift=1):06d}"  # the next step's code: the confirming one is spent


def describe(error: Exception) -> str:
    """An error for the report and stdout: a domain refusal by its DICT code, anything else by its type;
    PII masked (an IntegrityError's DETAIL names the key values, e.g. a tax id or an e-mail)."""
    if isinstance(error, DomainError):
        return mask_pii(f"{error.code}: {error.message}")
    return mask_pii(f"{type(error).__name__}: {error}")


FRAUD_TEAM_USERNAME = "rehearsal-fraud-team"


def fraud_team_operator() -> AbstractBaseUser:
    """The rehearsal's fraud-team operator: a login without a password holding MED's permission
    (MED is the fraud team's work; customers are refused), as an administrator would set one up."""
    user, created = get_user_model().objects.get_or_create(username=FRAUD_TEAM_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    app_label, codename = MANAGE_PERMISSION.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # afresh: the permission cache is per instance
