"""Write use cases for holders and accounts (core-banking mirror), and closing an account.

accounts knows nothing of keys or claims: what a holder's new names and an account's closure mean
for them, the apps above register here at start-up (``register_holder_renamed_hook``,
``register_account_closure_step``), as claims registers its key-slot counter with keys.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Holder
from common.permissions import require_staff_permission
from dict_rules.accounts import validate_account, validate_holder
from dict_rules.errors import AccountInvalid, DomainError, FieldError, NotFound
from events.services import event_record
from events.types import AccountEvent, HolderEvent

Outcome = Literal["created", "updated", "unchanged"]
BRT = ZoneInfo("America/Sao_Paulo")
IMPORT_COLUMNS = ("tax_id", "name", "trade_name", "branch", "number", "account_type", "opening_date", "username")


def _apply(instance, values: dict) -> bool:
    """Set only the fields that differ; say whether anything changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return bool(changed)


HolderRenamedHook = Callable[[Holder], None]
# What a holder's new name or trade name obliges the apps above (keys: send them to DICT on every
# live key). Each hook runs inside the rename's transaction, so it writes its intent with it.
_HOLDER_RENAMED_HOOKS: list[HolderRenamedHook] = []


def register_holder_renamed_hook(hook: HolderRenamedHook) -> None:
    """Have ``hook(holder)`` run in the transaction that changes a holder's names (idempotent)."""
    if hook not in _HOLDER_RENAMED_HOOKS:
        _HOLDER_RENAMED_HOOKS.append(hook)


@transaction.atomic
def holder_upsert(
    *, tax_id: str, name: str, trade_name: str = "", user: AbstractBaseUser | None = None
) -> tuple[Holder, Outcome]:
    """Create or update the holder with this tax id; names may change, the tax id never does."""
    person_type = validate_holder(tax_id=tax_id, name=name, trade_name=trade_name)
    values = {"person_type": person_type.value, "name": name, "trade_name": trade_name}
    if user is not None:
        values["user"] = user
    holder = Holder.objects.select_for_update().filter(tax_id=tax_id).first()
    if holder is None:
        holder = Holder.objects.create(tax_id=tax_id, **values)
        event_record(event_type=HolderEvent.CREATED, aggregate_id=holder.pk)
        return holder, "created"
    renamed = (holder.name, holder.trade_name) != (name, trade_name)
    if _apply(holder, values):
        event_record(event_type=HolderEvent.UPDATED, aggregate_id=holder.pk)
        if renamed:  # in this transaction: the new names and what they oblige commit together
            for hook in _HOLDER_RENAMED_HOOKS:
                hook(holder)
        return holder, "updated"
    return holder, "unchanged"


@transaction.atomic
def account_upsert(
    *, holder: Holder, branch: str, number: str, account_type: str, opening_date: datetime
) -> tuple[Account, Outcome]:
    """Create or update the account DICT knows as (ISPB, branch, number, type) for this PSP."""
    ispb = settings.DICT_ISPB
    validate_account(ispb=ispb, branch=branch, number=number, account_type=account_type, opening_date=opening_date)
    identity = {"ispb": ispb, "branch": branch, "number": number, "account_type": account_type}
    account = Account.objects.select_for_update().filter(**identity).first()
    if account is None:
        account = Account.objects.create(holder=holder, opening_date=opening_date, **identity)
        event_record(event_type=AccountEvent.CREATED, aggregate_id=account.pk)
        return account, "created"
    if account.holder_id != holder.pk:
        raise AccountInvalid.on_field("number", "this account already belongs to another holder.")
    if _apply(account, {"opening_date": opening_date}):
        event_record(event_type=AccountEvent.UPDATED, aggregate_id=account.pk)
        return account, "updated"
    return account, "unchanged"


def parse_opening_date(raw: str) -> datetime:
    """ISO date or date-time; a bare date means the start of that day in BRT (DICT's rule)."""
    try:
        if "T" in raw or " " in raw.strip():
            parsed = datetime.fromisoformat(raw.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=BRT)
        return datetime.combine(datetime.fromisoformat(raw.strip()).date(), time.min, tzinfo=BRT)
    except ValueError as exc:
        raise AccountInvalid.on_field("opening_date", "opening_date must be an ISO date (YYYY-MM-DD).") from exc


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


def _user_for(username: str) -> AbstractBaseUser | None:
    if not username:
        return None
    try:
        UnicodeUsernameValidator()(username)
        if len(username) > 150:
            raise ValidationError("too long")
    except ValidationError:
        raise AccountInvalid.on_field(
            "username", "username must be 1-150 letters, digits and @.+-_ characters."
        ) from None
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _describe(error: DomainError) -> str:
    return "; ".join(f"{f.field}: {f.message}" for f in error.fields) or error.message


@transaction.atomic
def account_import_row(row: dict[str, str]) -> Outcome:
    """Import one core-banking row (holder + account) in one transaction."""
    missing = [c for c in ("tax_id", "name", "branch", "number", "account_type", "opening_date") if not row.get(c)]
    if missing:
        raise AccountInvalid(fields=[FieldError(c, "required") for c in missing])
    clean = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
    holder, holder_outcome = holder_upsert(
        tax_id=clean["tax_id"], name=clean["name"], trade_name=clean["trade_name"], user=_user_for(clean["username"])
    )
    _, account_outcome = account_upsert(
        holder=holder,
        branch=clean["branch"],
        number=clean["number"],
        account_type=clean["account_type"].upper(),
        opening_date=parse_opening_date(clean["opening_date"]),
    )
    if account_outcome == "created":
        return "created"
    return "updated" if "updated" in (holder_outcome, account_outcome) else "unchanged"


def accounts_import(rows: Iterable[tuple[int, dict[str, str]]]) -> Iterator[ImportReport]:
    """Import (line number, row) pairs one by one, yielding the running report after each.

    Each row commits on its own, so a rejected or crashed row never undoes the others, and a
    re-run of the same file changes nothing (idempotent).
    """
    report = ImportReport()
    for line, row in rows:
        try:
            outcome = account_import_row(row)
        except DomainError as error:
            report.rejected.append((line, _describe(error)))
        except IntegrityError:
            report.rejected.append((line, "conflicts with another row (duplicate user or account)"))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
        yield report


# --- closing an account ----------------------------------------------------------------------------

# The back-office's permission to close an account: the admin never edits accounts (core banking
# owns them), so "change" on the account means that.
STAFF_CLOSE_PERMISSION = "accounts.change_account"


@dataclass
class ClosureReport:
    """What closing an account did, step by step; a re-run counts only what was still left."""

    account_id: int
    actor: AbstractBaseUser | None
    newly_closed: bool = False
    claims_confirmed: int = 0  # portabilities of its keys confirmed as donor (ACCOUNT_CLOSURE)
    claims_cancelled: int = 0  # claims bringing keys to it cancelled as claimer (ACCOUNT_CLOSURE)
    claims_left: int = 0  # open claims DICT's rules let us neither confirm nor cancel now
    keys_deleting: int = 0  # keys sent to DICT for deletion (ACCOUNT_CLOSURE), or deleted here at once
    keys_left: int = 0  # live keys not deletable now (being registered, or held by an open claim)
    held_entry_ids: set[UUID] = field(default_factory=set)  # entries an open claim holds: not deleted by this run

    @property
    def finished(self) -> bool:
        """Nothing is left for a later run (deletions asked of DICT finish on the worker)."""
        return not (self.claims_left or self.keys_left)


ClosureStep = Callable[[Account, ClosureReport], None]
# What closing an account obliges the apps above, in stage order: claims settles the open claims
# first (stage 10), then keys deletes the keys left (stage 20). Each step runs with no transaction
# open (each calls the directory) and is idempotent, so closing a closed account again finishes it.
_CLOSURE_STEPS: list[tuple[int, ClosureStep]] = []


def register_account_closure_step(step: ClosureStep, *, stage: int) -> None:
    """Have ``step(account, report)`` run, in ``stage`` order, whenever an account is closed (idempotent)."""
    if all(registered is not step for _, registered in _CLOSURE_STEPS):
        _CLOSURE_STEPS.append((stage, step))


def account_close(*, account_id: int, actor: AbstractBaseUser | None = None) -> ClosureReport:
    """Close an account: it takes no new keys (``closed_at``), then every step registered runs.

    The closure commits first (with its AccountClosed event); the steps then ask DICT with no
    transaction open. Closing a closed account again re-runs the steps, which act only on what
    is still left (a key that was being registered, a claim that has ended since): idempotent.
    ``actor`` None is the system (core banking's closure through ``manage.py close_account``).
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("holder").filter(pk=account_id).first()
        if account is None:
            raise NotFound("Account not found.")
        report = ClosureReport(account_id=account.pk, actor=actor)
        if account.closed_at is None:
            account.closed_at = timezone.now()
            account.save(update_fields=["closed_at", "updated_at"])
            event_record(event_type=AccountEvent.CLOSED, aggregate_id=account.pk, actor=actor)
            report.newly_closed = True
    for _, step in sorted(_CLOSURE_STEPS, key=lambda staged: staged[0]):
        step(account, report)
    return report


def account_close_by_staff(*, user: AbstractBaseUser, account_id: int) -> ClosureReport:
    """The back-office's closure (the admin's action): staff holding the permission; the events name them."""
    require_staff_permission(user, STAFF_CLOSE_PERMISSION, doing="closing accounts")
    return account_close(account_id=account_id, actor=user)
