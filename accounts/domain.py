"""Pure rules for holders and accounts: tax ids, names and account data as DICT accepts them.

Regexes are BCB's (DICT API 2.6.1, schemas Person and BrazilianAccount).
"""

import re
from datetime import date
from enum import StrEnum

from validate_docbr import CNPJ, CPF

from dict_rules.errors import AccountInvalid, FieldError, TaxIdInvalid

CPF_RE = re.compile(r"^[0-9]{11}$")
# Numeric CNPJ only: DICT 2.6.1 does not accept the alphanumeric CNPJ yet (DICT_RULES §1).
CNPJ_RE = re.compile(r"^[0-9]{14}$")
NATURAL_NAME_RE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ' -]+$")
LEGAL_NAME_RE = re.compile(r"^[\u0020-\u007E\u00A1-\u00FF]+$")
BRANCH_RE = re.compile(r"^[0-9]{1,4}$")
ACCOUNT_NUMBER_RE = re.compile(r"^[0-9]{1,20}$")
ISPB_RE = re.compile(r"^[0-9]{8}$")
NAME_MAX = 150
TRADE_NAME_MAX = 100

_cpf = CPF()
_cnpj = CNPJ()


class PersonType(StrEnum):
    NATURAL_PERSON = "NATURAL_PERSON"
    LEGAL_PERSON = "LEGAL_PERSON"


class AccountType(StrEnum):
    CACC = "CACC"  # checking
    SVGS = "SVGS"  # savings
    SLRY = "SLRY"  # salary
    TRAN = "TRAN"  # payment account


def is_valid_cpf(value: str) -> bool:
    """11 digits with both mod-11 check digits right (repeated digits such as 111... are not)."""
    return bool(CPF_RE.fullmatch(value)) and _cpf.validate(value)


def is_valid_cnpj(value: str) -> bool:
    """14 digits with both mod-11 check digits right."""
    return bool(CNPJ_RE.fullmatch(value)) and _cnpj.validate(value)


def person_type_for_tax_id(tax_id: str) -> PersonType:
    """A CPF is a natural person, a CNPJ a legal person; anything else is refused."""
    if is_valid_cpf(tax_id):
        return PersonType.NATURAL_PERSON
    if is_valid_cnpj(tax_id):
        return PersonType.LEGAL_PERSON
    raise TaxIdInvalid.on_field(
        "tax_id", "tax_id must be a CPF (11 digits) or CNPJ (14 digits) with valid check digits."
    )


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
