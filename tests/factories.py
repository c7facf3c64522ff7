"""Test data builders. Check digits are computed here independently of the code under test."""

import itertools
import random
import uuid
from datetime import UTC, datetime

from connect.ports import BankAccount, EntryRequest, Owner

_seq = itertools.count(1)


def _mod11_digit(digits: list[int], weights: list[int]) -> int:
    rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def cpf_from_base(base: str) -> str:
    """A CPF (11 digits) from its first 9 digits, with both check digits computed."""
    digits = [int(c) for c in base]
    digits.append(_mod11_digit(digits, list(range(10, 1, -1))))
    digits.append(_mod11_digit(digits, list(range(11, 1, -1))))
    return "".join(map(str, digits))


def cnpj_from_base(base: str) -> str:
    """A CNPJ (14 digits) from its first 12 digits, with both check digits computed."""
    digits = [int(c) for c in base]
    digits.append(_mod11_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_mod11_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    return "".join(map(str, digits))


def new_cpf() -> str:
    """A fresh valid CPF, unique within the test run (never all digits equal)."""
    return cpf_from_base(f"{next(_seq) * 7919 % 10**8:08d}1")


def new_cnpj() -> str:
    return cnpj_from_base(f"{next(_seq) * 7919 % 10**8:08d}0001")


def new_phone() -> str:
    return f"+55119{random.randint(10_000_000, 99_999_999)}"


# Directory builders: the Connect port's values, for tests that call the directory (dictsim, its gRPC server).

OURS, OTHER = "12345678", "87654321"  # two participants' ISPBs
OPENED = datetime(2024, 1, 2, 3, tzinfo=UTC)
# One counter for every module, so generated account numbers never repeat within the test run; seven
# digits, so they never equal the short numbers tests pass explicitly ("777") nor make_account's ten.
_numbers = iter(range(1_000_000, 9_999_999))


def person(*, legal: bool = False, tax_id: str | None = None, name: str | None = None) -> Owner:
    if legal:
        return Owner("LEGAL_PERSON", tax_id or new_cnpj(), name or "ACME COMERCIO LTDA", "ACME")
    return Owner("NATURAL_PERSON", tax_id or new_cpf(), name or "Maria da Silva", "")


def account(
    participant: str = OURS, *, number: str | None = None, branch: str = "1", kind: str = "CACC"
) -> BankAccount:
    """A bank account at ``participant``, with a fresh number unless one is given."""
    return BankAccount(participant, branch, number or str(next(_numbers)), kind, OPENED)


def request(key_type: str, key: str | None, owner: Owner, acct: BankAccount, **kwargs) -> EntryRequest:
    """An entry request with a fresh request id unless one is given; other kwargs (reason) pass through."""
    return EntryRequest(
        key_type=key_type,
        key=key,
        owner=owner,
        account=acct,
        request_id=kwargs.pop("request_id", uuid.uuid4()),
        **kwargs,
    )
