"""The simulated SPI's ledger: settled Pix transactions, which MED reports and refunds are about.

BCB's DICT learns of settlements from the SPI; dictsim plays both, so tests and operators record a
payment to a key here (`settle`, `manage.py dictsim_settle`), and an accepted refund records its
pacs.004 (`record_refund`). Each settled transaction counts in its receiver's and key's statistics.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from dict_rules.accounts import ISPB_RE
from dict_rules.errors import BadRequest, NotFound, RefundInvalid
from dict_rules.lookups import PAYER_ID_RE
from dict_rules.med_rules import PAYMENT, REFUND, TRANSACTION_ID_RE, check_amount, format_amount
from dictsim import clock
from dictsim.models import DirEntry, DirTransaction

KINDS = (PAYMENT, REFUND)


MAX_AGO = timedelta(days=5 * 366)  # DICT's longest statistics window (m60)


def settled_ago(seconds: int) -> datetime:
    """The directory's time ``seconds`` ago: from now back to MAX_AGO, else BadRequest."""
    if not 0 <= seconds <= MAX_AGO.total_seconds():
        raise BadRequest.on_field("ago_seconds", f"ago_seconds must be from 0 to {int(MAX_AGO.total_seconds())}.")
    return clock.now() - timedelta(seconds=seconds)


def settle(
    *,
    end_to_end_id: str,
    payer_participant: str,
    payer_tax_id: str,
    receiver_key: str,
    amount: Decimal,
    settled_at: datetime | None = None,
    kind: str = PAYMENT,
    settled: bool = True,
) -> DirTransaction:
    """Record a transaction to a key; the receiver is the key's active entry (NotFound if none).

    ``settled=False`` records one the SPI has not settled (InfractionReportTransactionNotSettled).
    A repeat with the same data returns the first; the same id with other data is BadRequest.
    """
    if not TRANSACTION_ID_RE.fullmatch(end_to_end_id or ""):
        raise BadRequest.on_field("end_to_end_id", "a transaction id is 32 letters or digits.")
    if not ISPB_RE.fullmatch(payer_participant or ""):
        raise BadRequest.on_field("payer_participant", "an 8-digit ISPB.")
    if not PAYER_ID_RE.fullmatch(payer_tax_id or ""):
        raise BadRequest.on_field("payer_tax_id", "a CPF or CNPJ, digits only.")
    if kind not in KINDS:
        raise BadRequest.on_field("kind", f"one of {', '.join(KINDS)}.")
    check_amount(amount, BadRequest)
    entry = DirEntry.objects.filter(key=receiver_key).first()
    if entry is None:
        raise NotFound("no entry for this key.")
    fields = {
        "kind": kind,
        "payer_participant": payer_participant,
        "payer_tax_id": payer_tax_id,
        "receiver_participant": entry.participant,
        "receiver_tax_id": entry.owner_tax_id,
        "receiver_key": entry.key,
        "amount": amount,
        "settled": settled,
    }
    try:
        with transaction.atomic():
            return DirTransaction.objects.create(id=end_to_end_id, settled_at=settled_at or clock.now(), **fields)
    except IntegrityError:
        earlier = DirTransaction.objects.get(id=end_to_end_id)
        if any(getattr(earlier, name) != value for name, value in fields.items()):
            raise BadRequest.on_field("end_to_end_id", "this transaction id was recorded with other data.") from None
        return earlier


def record_refund(*, original: DirTransaction, refund_transaction_id: str, amount: Decimal, now: datetime) -> None:
    """The pacs.004 of an accepted refund: from the original receiver back to the payer.

    Called inside the refund's close (its transaction); the id already naming this very refund of
    ``original`` is a repeat, any other transaction with it is RefundInvalid.
    """
    earlier = DirTransaction.objects.filter(id=refund_transaction_id).first()
    if earlier is not None:
        if earlier.kind != REFUND or earlier.original_id != original.id:
            raise RefundInvalid.on_field("refund_transaction_id", "this id names another transaction.")
        return
    DirTransaction.objects.create(
        id=refund_transaction_id,
        kind=REFUND,
        payer_participant=original.receiver_participant,
        payer_tax_id=original.receiver_tax_id,
        receiver_participant=original.payer_participant,
        receiver_tax_id=original.payer_tax_id,
        receiver_key="",
        amount=amount,
        settled_at=now,
        original=original,
    )


def to_json(tx: DirTransaction) -> dict:
    """The transaction as `dictsim_settle` prints it."""
    return {
        "id": tx.id,
        "kind": tx.kind,
        "payer_participant": tx.payer_participant,
        "payer_tax_id": tx.payer_tax_id,
        "receiver_participant": tx.receiver_participant,
        "receiver_tax_id": tx.receiver_tax_id,
        "receiver_key": tx.receiver_key,
        "amount": format_amount(tx.amount),
        "settled": tx.settled,
        "settled_at": tx.settled_at.isoformat(),
    }
