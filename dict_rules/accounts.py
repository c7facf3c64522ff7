"""DICT's Person and BrazilianAccount schemas (API 2.6.1): the holder and the account an entry
binds a key to, checked field by field with BCB's regexes.

Here because both sides check the same data: the PSP when it mirrors a customer from core
banking, the simulated directory when a participant registers or updates an entry or opens a
claim.
"""

import re
from datetime import date
from enum import StrEnum

from dict_rules.errors import AccountInvalid, FieldError
from dict_rules.tax_ids import PersonType, person_type_for_tax_id

NATURAL_NAME_RE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ' -]+$")
LEGAL_NAME_RE = re.compile(r"^[\u0020-\u007E\u00A1-\u00FF]+$")
BRANCH_RE = re.compile(r"^[0-9]{1,4}$")
ACCOUNT_NUMBER_RE = re.compile(r"^[0-9]{1,20}$")
ISPB_RE = re.compile(r"^[0-9]{8}$")
NAME_MAX = 150
TRADE_NAME_MAX = 100


class AccountType(StrEnum):
    CACC = "CACC"  # checking
    SVGS = "SVGS"  # savings
    SLRY = "SLRY"  # salary
    TRAN = "TRAN"  # payment account


def validate_holder(*, tax_id: str, name: str, trade_name: str) -> PersonType:
    """Check a holder's data against DICT's Person schema; return its person type."""
    person_type = person_type_for_tax_id(tax_id)
    problems: list[FieldError] = []
    name_re = NATURAL_NAME_RE if person_type is PersonType.NATURAL_PERSON else LEGAL_NAME_RE
    if not name or len(name) > NAME_MAX or not name_re.fullmatch(name) or name != " ".join(name.split()):
        problems.append(FieldError("name", f"name must be 1-{NAME_MAX} allowed characters, single-spaced."))
    if trade_name:
        if person_type is PersonType.NATURAL_PERSON:
            problems.append(FieldError("trade_name", "only a legal person has a trade name."))
        elif len(trade_name) > TRADE_NAME_MAX or not LEGAL_NAME_RE.fullmatch(trade_name):
            problems.append(
                FieldError("trade_name", f"trade_name must be at most {TRADE_NAME_MAX} Latin-1 characters.")
            )
    if problems:
        raise AccountInvalid("The holder data is invalid.", fields=problems)
    return person_type


def validate_account(*, ispb: str, branch: str, number: str, account_type: str, opening_date: date | None) -> None:
    """Check account data against DICT's BrazilianAccount schema."""
    problems: list[FieldError] = []
    if not ISPB_RE.fullmatch(ispb):
        problems.append(FieldError("ispb", "ispb must be 8 digits."))
    if not BRANCH_RE.fullmatch(branch):
        problems.append(FieldError("branch", "branch must be 1-4 digits, without check digit."))
    if not ACCOUNT_NUMBER_RE.fullmatch(number):
        problems.append(FieldError("number", "number must be 1-20 digits, check digit included."))
    if account_type not in AccountType.__members__:
        problems.append(FieldError("account_type", f"account_type must be one of {', '.join(AccountType)}."))
    if opening_date is None:
        problems.append(FieldError("opening_date", "opening_date is required."))
    if problems:
        raise AccountInvalid(fields=problems)
