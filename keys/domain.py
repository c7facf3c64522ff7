"""The PSP's own rules for its entries: the local lifecycle of an entry and who may delete or
update with which reason.

DICT's rules for keys (types, formats, limits, delete reasons, CID and VSync) are in
dict_rules.keys and dict_rules.cid; what stays here is how this PSP tracks an entry around its
calls to DICT, and its own policy on top of DICT's reasons.
"""

from enum import StrEnum

from dict_rules.claims import CONFIRM_REASONS
from dict_rules.errors import InvalidReason
from dict_rules.keys import DeleteReason, UpdateReason, check_update_reason


class EntryStatus(StrEnum):
    PENDING = "PENDING"  # saved here, waiting for DICT's answer
    ACTIVE = "ACTIVE"  # registered at DICT
    FAILED = "FAILED"  # DICT refused it; failure_code says why
    DELETE_PENDING = "DELETE_PENDING"  # still at DICT, waiting for DICT to remove it
    DELETED = "DELETED"  # soft-deleted (LGPD: the row and its history stay)


# Statuses that hold the key: at most one such entry per key, and they count toward limits.
LIVE_STATUSES = frozenset({EntryStatus.PENDING, EntryStatus.ACTIVE, EntryStatus.DELETE_PENDING})
# Statuses whose key is registered at DICT under our participant (they make up our VSync).
REGISTERED_STATUSES = frozenset({EntryStatus.ACTIVE, EntryStatus.DELETE_PENDING})

# Why an entry left DICT: a delete's reason, or, for a key a claim took from us, the reason the claim was
# confirmed with (confirming is what removes the donor's entry, DICT_RULES §4.5), DEFAULT_OPERATION among them.
ENTRY_DELETE_REASONS: tuple[str, ...] = tuple(dict.fromkeys([*DeleteReason, *CONFIRM_REASONS]))

# A customer may only ask for its own deletion; the others are the PSP's (batch jobs, and the
# back-office's staff actions, which never go through the customer API).
CUSTOMER_DELETE_REASONS = frozenset({DeleteReason.USER_REQUESTED, DeleteReason.ACCOUNT_CLOSURE})
# What the back-office deletes for: DICT's reasons for a key the PSP must remove on its own.
STAFF_DELETE_REASONS = frozenset({DeleteReason.FRAUD, DeleteReason.RFB_VALIDATION})


def parse_delete_reason(raw: str | None) -> DeleteReason:
    """A customer's reason for a delete: only its own, whoever the caller (staff included)."""
    try:
        reason = DeleteReason(raw or DeleteReason.USER_REQUESTED)
    except ValueError:
        raise InvalidReason.on_field("reason", f"reason must be one of {', '.join(DeleteReason)}.") from None
    if reason not in CUSTOMER_DELETE_REASONS:
        raise InvalidReason.on_field("reason", f"only the PSP may delete a key with {reason}.")
    return reason


def check_staff_delete_reason(reason: str) -> DeleteReason:
    """The back-office deletes for the PSP's reasons only: a customer's reasons are the customer's to give."""
    if reason not in STAFF_DELETE_REASONS:
        allowed = ", ".join(sorted(STAFF_DELETE_REASONS))
        raise InvalidReason.on_field("reason", f"the back-office deletes a key with {allowed} only.")
    return DeleteReason(reason)


# A customer updates its key for its own reason only; the others are the PSP's: BRANCH_TRANSFER (we
# moved the account), RECONCILIATION (our own mistake), RFB_VALIDATION (the holder's data as the
# Receita Federal has it: the only reason an EVP key may be updated with, so customers never update EVPs).
CUSTOMER_UPDATE_REASONS = frozenset({UpdateReason.USER_REQUESTED})
STAFF_UPDATE_REASONS = frozenset(
    {UpdateReason.BRANCH_TRANSFER, UpdateReason.RECONCILIATION, UpdateReason.RFB_VALIDATION}
)
# A holder's new name or trade name reaches DICT with this reason: core banking takes names from the
# RFB-validated registration (DICT_RULES §5: the PSP validates a new name against RFB first), and it
# is the one reason DICT allows for every key type, EVP included.
OWNER_REFRESH_REASON = UpdateReason.RFB_VALIDATION


def parse_update_reason(raw: str | None, *, key_type: str) -> UpdateReason:
    """A customer's reason for an update (default USER_REQUESTED): never the PSP's, so never an EVP key."""
    reason = check_update_reason(key_type=key_type, reason=raw or UpdateReason.USER_REQUESTED)
    if reason not in CUSTOMER_UPDATE_REASONS:
        raise InvalidReason.on_field("reason", f"only the PSP may update a key with {reason}.")
    return reason


def check_staff_update_reason(raw: str, *, key_type: str) -> UpdateReason:
    """The back-office updates for the PSP's reasons only, and an EVP key only with RFB_VALIDATION."""
    reason = check_update_reason(key_type=key_type, reason=raw)
    if reason not in STAFF_UPDATE_REASONS:
        allowed = ", ".join(sorted(STAFF_UPDATE_REASONS))
        raise InvalidReason.on_field("reason", f"the back-office updates a key with {allowed} only.")
    return reason
