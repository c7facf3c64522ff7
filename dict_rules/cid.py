"""Synchronisation identifiers (DICT_RULES §7): an entry's CID and a key type's VSync.

Here because both sides must compute them bit for bit alike: the PSP for the entries it holds,
to check its VSync against DICT's, and the simulated directory for every participant's entries.
"""

import hashlib
import hmac
import re
import uuid

from dict_rules.directory import BankAccount, Owner

CID_RE = re.compile(r"^[0-9a-f]{64}$")  # the lowercase hex of an HMAC-SHA256


def compute_cid(*, request_id: uuid.UUID, key_type: str, key: str, owner: Owner, account: BankAccount) -> str:
    """DICT's content identifier: HMAC-SHA256 keyed by the RequestId's 16 bytes (DICT_RULES §7), over
    the key and the owner and account as DICT holds them (the person type and opening date are not in it)."""
    attrs = "&".join(
        [
            key_type,
            key,
            owner.tax_id,
            owner.name,
            owner.trade_name or "",
            account.participant,
            account.branch,
            account.number,
            account.account_type,
        ]
    )
    return hmac.new(request_id.bytes, attrs.encode("utf-8"), hashlib.sha256).hexdigest()


def vsync(cids: list[str]) -> str:
    """XOR of all CIDs of one key type; the empty set is 64 zeros."""
    acc = 0
    for cid in cids:
        acc ^= int(cid, 16)
    return f"{acc:064x}"
