"""The RFB sweep: keys of owners who became irregular at Receita Federal are deleted (DICT_RULES §1, §5).

BCB requires the PSP to delete the keys of an owner whose CPF or CNPJ became irregular, or whose
names no longer match Receita Federal's records, with RFB_VALIDATION, and to tell the owner at
once and why. Each holder with registered keys is checked at the registry (no transaction open);
a nonconforming one has every ACTIVE key put through the ordinary delete path
(``entry_delete_by_psp``: DELETE_PENDING, then DICT on commit, ``sync_pending`` re-driving what a
crash or outage left) and gets a HolderRfbNonconforming event, the notification, in the same
short transaction. So a run killed at any point loses nothing and a run after it does only what
is left: a holder whose keys are all deleting is not selected again.

A key DICT refuses to delete (EntryLockedByClaim: an ownership claim holds it) goes back to ACTIVE,
so its holder is selected again each day and the delete retried; the holder is told once per
nonconformity all the same: not again while the last notification had the same refusal and RFB
status and every key being deleted now already existed then (a new status or a new key tells again).
"""

import logging
from collections import Counter
from collections.abc import Callable

from django.db import transaction

from accounts.dict_view import owner
from accounts.models import Holder
from dict_rules.errors import OwnerNameMismatch, OwnerTaxIdIrregular, ServiceUnavailable
from dict_rules.keys import DeleteReason
from events.selectors import event_list_for
from events.services import event_record
from events.types import HolderEvent
from keys.domain import EntryStatus
from keys.models import Entry
from keys.services import entry_delete_by_psp
from rfb.selectors import rfb_last_check
from rfb.services import rfb_check

logger = logging.getLogger(__name__)


def _already_told(holder: Holder, payload: dict[str, str], entries: list[Entry]) -> bool:
    """Whether the holder's last notification told this same nonconformity about all of ``entries``
    (a delete DICT refused, retried each day, is not news to the holder)."""
    last = (
        event_list_for(aggregate_type="holder", aggregate_id=str(holder.pk))
        .filter(event_type=HolderEvent.RFB_NONCONFORMING)
        .order_by("-sequence")
        .first()
    )
    if last is None or last.payload != payload:
        return False
    return all(entry.created_at <= last.occurred_at for entry in entries)


def _delete_keys(holder: Holder, refusal: OwnerTaxIdIrregular | OwnerNameMismatch) -> int:
    """Ask for the deletion of the holder's ACTIVE keys and tell the holder why (once), in one transaction."""
    check = rfb_last_check(tax_id=holder.tax_id)
    payload = {"code": refusal.code, "rfb_status": check.status, "reason": DeleteReason.RFB_VALIDATION}
    with transaction.atomic():
        entries = list(Entry.objects.filter(account__holder=holder, status=EntryStatus.ACTIVE).only("pk", "created_at"))
        for entry in entries:
            entry_delete_by_psp(entry_id=entry.pk, reason=DeleteReason.RFB_VALIDATION)
        if entries and not _already_told(holder, payload, entries):
            event_record(event_type=HolderEvent.RFB_NONCONFORMING, aggregate_id=holder.pk, payload=payload)
    return len(entries)


def rfb_sweep(*, batch: int = 100, progress: Callable[[Counter], None] | None = None) -> Counter:
    """Check every holder with ACTIVE keys at Receita Federal; delete a nonconforming one's keys.

    Holders are read in keyset batches of ``batch``; ``progress`` gets the counts after each.
    An unreachable registry ends the run (``stopped``) for the next one: nothing is deleted on a
    guess. Counts: ``checked``, ``nonconforming``, ``deletions_requested``.
    """
    counts: Counter = Counter()
    holders = Holder.objects.filter(accounts__entries__status=EntryStatus.ACTIVE).distinct().order_by("pk")
    after = 0
    while page := list(holders.filter(pk__gt=after)[:batch]):
        after = page[-1].pk
        for holder in page:
            try:
                rfb_check(owner(holder))
            except (OwnerTaxIdIrregular, OwnerNameMismatch) as refusal:
                counts["nonconforming"] += 1
                counts["deletions_requested"] += _delete_keys(holder, refusal)
            except ServiceUnavailable:
                logger.warning("RFB registry unavailable; the RFB sweep stops until its next run")
                counts["stopped"] = 1
                return counts
            counts["checked"] += 1
        logger.info("RFB sweep: %s", ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
        if progress is not None:
            progress(counts)
    return counts
