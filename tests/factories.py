"""Test data builders. Check digits are computed here independently of the code under test."""

import itertools
import random

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
