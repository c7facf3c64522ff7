"""Receita Federal (RFB) conformity of a key's owner, as BCB requires it since 2025 (DICT_RULES §1, §2.3, §5).

Pure rules over what the registry says of a CPF or CNPJ (a ``RegistryRecord``): whether its status
is irregular (MAN §2.2, with the MEI exception) and whether the names we send DICT match the
registry's (MAN §2.3). The PSP checks both on every registration, update, portability and
ownership claim, and deletes the keys of owners who became irregular with RFB_VALIDATION.

Readings where DICT_RULES is silent or UNCERTAIN, the stricter one each time:

- A status the registry gives that is not one of the person type's known statuses is irregular
  (a status we cannot place is not a regular one).
- The "inapta" exception of IN RFB 2.119/2022 art. 38 I and the MEI exception (suspended only
  under CGSIM Resolution 36/2016) apply only when the registry says so in their own flags; a MEI
  suspended for any other reason is irregular.
- Names are compared after the accepted differences of §2.3 only; anything else is a mismatch.
  ``&`` and ``E`` are swapped character for character (not as words), and for legal persons ``/``
  counts as a space. An initial may stand for a middle word of a natural person's name (with or
  without its dot), never for the first or last word; a social name counts only when the
  registry holds one.
- A record without a name (an unknown tax id in the simulated registry) leaves the name unchecked.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from dict_rules.errors import OwnerNameMismatch, OwnerTaxIdIrregular
from dict_rules.tax_ids import PersonType


class RfbStatus(StrEnum):
    """Registration statuses of a CPF ("situação cadastral") and of a CNPJ, in one vocabulary."""

    REGULAR = "REGULAR"  # CPF "regular", CNPJ "ativa"
    PENDING_REGULARIZATION = "PENDING_REGULARIZATION"  # CPF "pendente de regularização": not in §1's list
    SUSPENDED = "SUSPENDED"  # "suspensa"
    CANCELLED = "CANCELLED"  # CPF "cancelada"
    DECEASED = "DECEASED"  # CPF "titular falecido"
    NULL = "NULL"  # "nula"
    UNFIT = "UNFIT"  # CNPJ "inapta"
    CLOSED = "CLOSED"  # CNPJ "baixada"


KNOWN_STATUSES = {
    PersonType.NATURAL_PERSON: frozenset(
        {
            RfbStatus.REGULAR,
            RfbStatus.PENDING_REGULARIZATION,
            RfbStatus.SUSPENDED,
            RfbStatus.CANCELLED,
            RfbStatus.DECEASED,
            RfbStatus.NULL,
        }
    ),
    PersonType.LEGAL_PERSON: frozenset(
        {RfbStatus.REGULAR, RfbStatus.SUSPENDED, RfbStatus.UNFIT, RfbStatus.CLOSED, RfbStatus.NULL}
    ),
}
# MAN §2.2: the statuses that make an owner irregular.
IRREGULAR_STATUSES = {
    PersonType.NATURAL_PERSON: frozenset(
        {RfbStatus.SUSPENDED, RfbStatus.CANCELLED, RfbStatus.DECEASED, RfbStatus.NULL}
    ),
    PersonType.LEGAL_PERSON: frozenset({RfbStatus.SUSPENDED, RfbStatus.UNFIT, RfbStatus.CLOSED, RfbStatus.NULL}),
}


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry answers for one tax id. Empty names: the registry gave none (left unchecked)."""

    tax_id: str
    status: RfbStatus
    name: str = ""
    social_name: str = ""  # a natural person's registered social name, if any
    trade_name: str = ""  # a legal person's trade name ("nome fantasia"), if any
    mei: bool = False
    suspended_under_cgsim_36: bool = False  # the MEI exception of MAN §2.2
    unfit_under_in_2119_art_38_i: bool = False  # the "inapta" exception of MAN §2.2


def irregularity(person_type: PersonType, record: RegistryRecord) -> str | None:
    """Why the owner is irregular at RFB (the status), or None when it may hold keys."""
    status = record.status
    if status not in KNOWN_STATUSES[person_type]:
        return status
    if status not in IRREGULAR_STATUSES[person_type]:
        return None
    if person_type == PersonType.LEGAL_PERSON:
        if status == RfbStatus.SUSPENDED and record.mei and record.suspended_under_cgsim_36:
            return None
        if status == RfbStatus.UNFIT and record.unfit_under_in_2119_art_38_i:
            return None
    return status


# Accents DICT accepts as differences (MAN §2.3), each with its plain letter; any other accent must match.
_ACCENTS = "ÃÕÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜÇÑÅ"
_PLAIN = str.maketrans({letter: unicodedata.normalize("NFD", letter)[0] for letter in _ACCENTS})


def _normalized(name: str, person_type: PersonType) -> list[str]:
    """The words of a name after the differences MAN §2.3 accepts: case, listed accents, ``. , - '``
    as spaces, ``&`` as ``E``, and for legal persons ``/`` as a space."""
    text = unicodedata.normalize("NFC", name).upper().translate(_PLAIN).replace("&", "E")
    separators = r"[.,\-'/\s]" if person_type == PersonType.LEGAL_PERSON else r"[.,\-'\s]"
    return [word for word in re.split(separators, text) if word]


def _abbreviates(ours: list[str], theirs: list[str]) -> bool:
    """A natural person's name: the same words, in order, each in full or (not first, not last) its initial."""
    if len(ours) != len(theirs):
        return False
    last = len(theirs) - 1
    for position, (word, full) in enumerate(zip(ours, theirs, strict=True)):
        if word == full:
            continue
        if 0 < position < last and len(word) == 1 and full.startswith(word):
            continue
        return False
    return True


def name_matches(person_type: PersonType, name: str, registered: str) -> bool:
    """Whether ``name`` is ``registered`` up to MAN §2.3's accepted differences (and, for a natural
    person, initials)."""
    ours, theirs = _normalized(name, person_type), _normalized(registered, person_type)
    if person_type == PersonType.NATURAL_PERSON:
        return _abbreviates(ours, theirs)
    return ours == theirs


def check_owner(*, person_type: PersonType, name: str, trade_name: str, record: RegistryRecord) -> None:
    """Refuse an owner who may not hold keys: irregular at RFB, or with names that do not match its records."""
    irregular = irregularity(person_type, record)
    if irregular is not None:
        raise OwnerTaxIdIrregular(f"the owner's tax id is irregular at Receita Federal ({irregular}).")
    if person_type == PersonType.LEGAL_PERSON and trade_name and record.mei:
        raise OwnerNameMismatch.on_field("trade_name", "a MEI's key carries no trade name.")
    if not record.name:
        return
    registered = [record.name] + ([record.social_name] if record.social_name else [])
    if not any(name_matches(person_type, name, candidate) for candidate in registered):
        raise OwnerNameMismatch.on_field("name", "the owner's name does not match Receita Federal's records.")
    if person_type != PersonType.LEGAL_PERSON or not trade_name:
        return
    if not record.trade_name or not name_matches(person_type, trade_name, record.trade_name):
        raise OwnerNameMismatch.on_field("trade_name", "the trade name is not the one in Receita Federal's records.")
