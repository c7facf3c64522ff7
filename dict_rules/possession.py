"""Possession of a key before it is registered (DICT_RULES §1, MAN §2.1) and before an ownership claim is
completed (§4.4): which key types need it. BCB leaves the channel and the code to the PSP (possession/)."""

from dict_rules.keys import KeyType

# MAN §2.1: for a PHONE or EMAIL key the PSP sends a code to that phone or e-mail, and the user enters it in
# one of the PSP's channels; a CPF/CNPJ key is checked against the holder's tax id; DICT generates EVPs.
POSSESSION_KEY_TYPES = frozenset({KeyType.PHONE, KeyType.EMAIL})


def needs_possession_proof(key_type: str) -> bool:
    return key_type in POSSESSION_KEY_TYPES
