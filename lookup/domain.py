"""The PSP's own rules for lookups: how a customer's typed key is read, and the answer a payer
gets (the payer's view of the entry, with the EndToEndId this PSP made for the payment).

BCB's rules for lookups (the EndToEndId and PayerId formats, what a payer may see, how long an
answer may be cached) are in dict_rules.lookups; DICT's anti-scan numbers and token-bucket math
in dict_rules.buckets; the PSP's stores that apply them (Redis and in-process) in lookup/buckets.py.
"""

from dataclasses import dataclass
from enum import StrEnum

from common.strict_input import check_text
from dict_rules.errors import EntryInvalid
from dict_rules.keys import KeyType, key_type_of, normalize_key
from dict_rules.lookups import PayerView
from dict_rules.med import EntryStatistics


def normalize_lookup_key(raw: str) -> str:
    """A key as a customer typed it (spaces around it, an upper-case e-mail or EVP), read as DICT
    stores it: its type told by its shape, and checked against that type's format.

    DICT answers 400 to a value that is no key, so it is refused here before any lookup token
    is spent or the directory is asked; only a well-formed key that nobody holds is a 404.
    Control characters are BadRequest, as in any text input (``common.strict_input``): REST's
    path parameter passes no serializer, so the rule is here, where both edges meet it.
    """
    check_text("key", raw or "")
    key = (raw or "").strip()
    if not key:
        raise EntryInvalid.on_field("key", "the key is required.")
    kind = key_type_of(key)
    if kind is None:
        raise EntryInvalid.on_field(
            "key", "not a PIX key: a CPF or CNPJ (digits only), a +55 phone, an e-mail or an EVP."
        )
    if kind is KeyType.EVP:
        return key.lower()
    return normalize_key(kind, key, field="key")


class StatisticsAbsent(StrEnum):
    """Why a lookup that asked for DICT's statistics carries none."""

    # Our own key is answered here and DICT refuses to be asked (EntryCannotBeQueriedForBookTransfer): we
    # have no statistics of DICT's to give, and never make up zeros that would read as "a clean key".
    BOOK_TRANSFER = "BOOK_TRANSFER"


@dataclass(frozen=True)
class LookupAnswer(PayerView):
    """The payer's view and the payment's EndToEndId; with statistics asked (a risk engine), DICT's
    statistics or why there are none. Both stay None otherwise, so a customer's answer never changes."""

    end_to_end_id: str
    statistics: EntryStatistics | None = None
    statistics_absent_reason: StatisticsAbsent | None = None
