"""Lookups as BCB defines them (DICT_RULES §6, and SPI for the EndToEndId): getEntry's PayerId
and EndToEndId, what a payer may see of an entry, and how long a PSP may cache an answer.

Here because both sides apply them: the PSP builds the EndToEndId a payment will carry, shows a
payer only what DICT allows and caches only what DICT allows; the simulated directory checks
getEntry's PayerId as DICT does. DICT's anti-scan numbers are in dict_rules.buckets.
"""

import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from dict_rules.errors import BadRequest, DomainError
from dict_rules.masking import mask_tax_id
from dict_rules.tax_ids import PersonType

# getEntry's PI-PayerId header: the payer's CPF or CNPJ, digits only.
PAYER_ID_RE = re.compile(r"^([0-9]{11}|[0-9]{14})$")
# SPI's EndToEndId: E, the ISPB, the UTC minute (yyyyMMddHHmm) and 11 letters or digits.
END_TO_END_ID_RE = re.compile(r"^E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}$")
_E2E_ALPHABET = string.ascii_letters + string.digits

# DICT lets a PSP cache legal persons' answers for at most this long, and nobody else's.
LEGAL_CACHE_TTL_MAX_SEC = 180


def new_end_to_end_id(*, ispb: str, at: datetime) -> str:
    """BCB's EndToEndId: E, our ISPB, the UTC minute (yyyyMMddHHmm) and 11 random alphanumerics."""
    suffix = "".join(secrets.choice(_E2E_ALPHABET) for _ in range(11))
    return f"E{ispb}{at.astimezone(UTC):%Y%m%d%H%M}{suffix}"


def parse_end_to_end_id(raw: str, *, error: type[DomainError] = BadRequest, field: str = "end_to_end_id") -> str:
    """An EndToEndId as BCB makes them, else ``error`` on ``field`` (MED names it a transaction id)."""
    if not END_TO_END_ID_RE.fullmatch(raw or ""):
        raise error.on_field(field, "an EndToEndId is E, 8 digits, 12 digits and 11 letters or digits.")
    return raw


@dataclass(frozen=True)
class PayerView:
    """What a payer may see of an entry (DICT_RULES §6). Account data stays inside the PSP."""

    key: str
    key_type: str
    person_type: str
    name: str
    trade_name: str | None
    tax_id: str  # a CPF masked, a CNPJ in full
    ispb: str  # the receiving participant


def payer_view(
    *, key: str, key_type: str, person_type: str, tax_id: str, name: str, trade_name: str, ispb: str
) -> PayerView:
    legal = person_type == PersonType.LEGAL_PERSON
    return PayerView(
        key=key,
        key_type=key_type,
        person_type=person_type,
        name=name,
        trade_name=(trade_name or None) if legal else None,
        tax_id=mask_tax_id(tax_id),
        ispb=ispb,
    )


def answer_cache_ttl(*, person_type: str, configured_sec: int) -> int:
    """Seconds a directory answer may be cached: 0 (never) for natural persons, at most 180 s otherwise."""
    if person_type != PersonType.LEGAL_PERSON:
        return 0
    return max(0, min(configured_sec, LEGAL_CACHE_TTL_MAX_SEC))
