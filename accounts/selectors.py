"""Read use cases for accounts: every caller of the customer API sees its own holder's accounts only.

Staff too: the back-office reads rows through the admin, never through these.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import Account
from dict_rules.errors import NotFound


def account_list(*, user: AbstractBaseUser) -> QuerySet[Account]:
    return Account.objects.select_related("holder").filter(holder__user=user)


def account_get(*, user: AbstractBaseUser, account_id: int) -> Account:
    """The account if the user may act on it; anyone else's is simply not found."""
    account = account_list(user=user).filter(pk=account_id).first()
    if account is None:
        raise NotFound("Account not found.")
    return account
