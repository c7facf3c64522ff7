"""Tax ids as DICT accepts them (DICT_RULES §1, §2): CPF and CNPJ formats with their check digits,
and the person type each one implies.

Here so that key formats (a CPF or CNPJ key), holder data and the simulated directory check a
tax id with one copy of the rule. Numeric CNPJ only: DICT 2.6.1 does not accept the
alphanumeric CNPJ yet.
"""

import re
from enum import StrEnum

from validate_docbr import CNPJ, CPF

from dict_rules.errors import TaxIdInvalid

CPF_RE = re.compile(r"^[0-9]{11}$")
CNPJ_RE = re.compile(r"^[0-9]{14}$")

_cpf = CPF()
_cnpj = CNPJ()


class PersonType(StrEnum):
    NATURAL_PERSON = "NATURAL_PERSON"
    LEGAL_PERSON = "LEGAL_PERSON"


def is_valid_cpf(value: str) -> bool:
    """11 digits with both mod-11 check digits right (repeated digits such as 111... are not)."""
    return bool(CPF_RE.fullmatch(value)) and _cpf.validate(value)


def is_valid_cnpj(value: str) -> bool:
    """14 digits with both mod-11 check digits right."""
    return bool(CNPJ_RE.fullmatch(value)) and _cnpj.validate(value)


def _mod11_digit(digits: list[int], weights: list[int]) -> int:
    rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def cpf_from_base(base: str) -> str:
    """The CPF whose first 9 digits are ``base``, with both check digits computed (for made-up people)."""
    digits = [int(c) for c in base]
    digits.append(_mod11_digit(digits, list(range(10, 1, -1))))
    digits.append(_mod11_digit(digits, list(range(11, 1, -1))))
    return "".join(map(str, digits))


def cnpj_from_base(base: str) -> str:
    """The CNPJ whose first 12 digits are ``base``, with both check digits computed."""
    digits = [int(c) for c in base]
    digits.append(_mod11_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_mod11_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    return "".join(map(str, digits))


def person_type_for_tax_id(tax_id: str) -> PersonType:
    """A CPF is a natural person, a CNPJ a legal person; anything else is refused."""
    if is_valid_cpf(tax_id):
        return PersonType.NATURAL_PERSON
    if is_valid_cnpj(tax_id):
        return PersonType.LEGAL_PERSON
    raise TaxIdInvalid.on_field(
        "tax_id", "tax_id must be a CPF (11 digits) or CNPJ (14 digits) with valid check digits."
    )
