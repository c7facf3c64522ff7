"""Our holders and accounts in DICT's vocabulary (the Connect port's Owner and BankAccount)."""

from accounts.models import Account, Holder
from dict_rules.directory import BankAccount, Owner


def bank_account(account: Account) -> BankAccount:
    return BankAccount(
        participant=account.ispb,
        branch=account.branch,
        number=account.number,
        account_type=account.account_type,
        opening_date=account.opening_date,
    )


def owner(holder: Holder) -> Owner:
    return Owner(person_type=holder.person_type, tax_id=holder.tax_id, name=holder.name, trade_name=holder.trade_name)
