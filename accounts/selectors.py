"""Read use cases for accounts: every caller of the customer API sees its own holder's accounts only.

Staff too: the back-office reads rows through the admin, never through these.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import Account
from dict_rules.directory import BankAccount
from dict_rules.errors import NotFound


def account_list(*, user: AbstractBaseUser) -> QuerySet[Account]:
    return Account.objects.select_related("holder").filter(holder__user=user)


def account_get(*, user: AbstractBaseUser, account_id: int) -> Account:
    """The account if the user may act on it; anyone else's is simply not found."""
    account = account_list(user=user).filter(pk=account_id).first()
    if account is None:
        raise NotFound("Account not found.")
    return account


def account_named_by_dict(
    account: BankAccount, *, tax_id: str | None = None, open_only: bool = False
) -> Account | None:
    """Our account DICT names (ISPB, branch, number, type), with its holder; None if it is not ours.

    ``tax_id`` also requires its holder to be that person and ``open_only`` the account to be open:
    what DICT says is ours only counts as ours when it is exactly ours (the sync repair).
    """
    accounts = Account.objects.select_related("holder").filter(
        ispb=account.participant, branch=account.branch, number=account.number, account_type=account.account_type
    )
    if tax_id is not None:
        accounts = accounts.filter(holder__tax_id=tax_id)
    if open_only:
        accounts = accounts.filter(closed_at__isnull=True)
    return accounts.first()
