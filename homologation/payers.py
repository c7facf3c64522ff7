"""The exam's payers: legal persons, customers of this PSP, on whose behalf the capacity test looks keys up.

DICT charges every lookup to its payer's bucket too (ENTRIES_READ_USER_ANTISCAN, DICT_RULES §6), and
our own limits mirror it (lookup.services), so the exam's load is spread over a pool of payers large
enough that no payer's bucket runs dry (``payers_needed``). The payers are made as the rehearsal's
other customers are (homologation.customers: accounts' import of core-banking rows, idempotent),
with deterministic tax ids and account numbers: a re-run reuses them instead of adding holders.
"""

import math

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Holder
from dict_rules.buckets import PAYER_COST, REFILL_PERIOD_MS, BucketPolicy
from dict_rules.tax_ids import PersonType, cnpj_from_base
from homologation.customers import customer_row, import_customers
from lookup.buckets import get_buckets
from lookup.payers import payer_of
from lookup.store import payer_charge
from lookup.store import payer_policy as lookup_payer_policy

NAME = "EXAME DE CAPACIDADE {index:06d} LTDA"
CNPJ_ROOT = "99{index:06d}"  # 8 digits: the exam's companies, each its headquarters (0001)
ACCOUNT = "99{index:08d}"


def payer_policy() -> BucketPolicy:
    """A legal person's bucket as the lookups charge it (settings mirror DICT's PJ 20/min, size 1,000);
    asked of lookup.store, so the policy has one source."""
    return lookup_payer_policy(PersonType.LEGAL_PERSON)


def payers_needed(*, total: int, minutes: float) -> int:
    """How many payers carry ``total`` lookups in ``minutes`` with no bucket running dry, in the worst case.

    Worst case: every lookup costs its payer a 404's price (PAYER_COST.not_found = 20 tokens):
    lookup_key reserves that much before asking the directory and keeps it for a 404 or an answer
    lost in an outage; only a found key gives 19 back. A payer's bucket starts full (size C =
    1,000) and refills R = 20 at the end of each whole minute, so in ``minutes`` M it pays for at most
    (C + R * floor(M)) // 20 lookups (never counting on a negative balance). Lookups go to payers
    round robin, so each payer gets at most ceil(total / P) of them, and
    P = ceil(total / ((C + R * floor(M)) // 20)). For 4,000/min over 10 minutes: (1,000 + 200) // 20
    = 60 lookups a payer, 40,000 / 60 -> 667 payers; 1,000/min over 10 minutes: 167 payers.
    """
    policy = payer_policy()
    refills = math.floor(minutes * 60_000 / REFILL_PERIOD_MS)
    per_payer = (policy.capacity + policy.refill_tokens * refills) // PAYER_COST.not_found
    if per_payer < 1:
        raise ValueError("a legal person's bucket cannot pay for even one lookup: check LOOKUP_PAYER_LEGAL_*")
    return max(1, math.ceil(total / per_payer))


def exam_payers(count: int) -> list[AbstractBaseUser]:
    """``count`` exam payers whose buckets are full now (as a payer that never looked anything up).

    A payer an earlier run drained (its bucket refills in C / R = 50 minutes) is passed over for the
    next one, so a re-run soon after a failed run is not refused by our own anti-scan limit. A tax id
    that already belongs to another login's holder is passed over too: the import would rename it.
    """
    payers: list[AbstractBaseUser] = []
    first = 0
    while len(payers) < count:
        rows = [_row(index) for index in range(first, first + count - len(payers))]
        first += len(rows)
        taken = _held_by_others(rows)
        customers = import_customers([row for row in rows if row["tax_id"] not in taken])
        payers += [customer.user for customer in customers if _bucket_full(customer.holder)]
    return payers


def _row(index: int) -> dict[str, str]:
    return customer_row(
        tax_id=_cnpj(index), name=NAME.format(index=index), trade_name="EXAME", number=ACCOUNT.format(index=index)
    )


def _cnpj(index: int) -> str:
    """A valid CNPJ for this index: the root, branch 0001, and its check digits."""
    return cnpj_from_base(CNPJ_ROOT.format(index=index) + "0001")


def _held_by_others(rows: list[dict[str, str]]) -> set[str]:
    """The tax ids among ``rows`` whose holder acts through another login than the row's."""
    logins = {row["tax_id"]: row["username"] for row in rows}
    held = Holder.objects.filter(tax_id__in=logins).values_list("tax_id", "user__username")
    return {tax_id for tax_id, username in held if username != logins[tax_id]}


def _bucket_full(holder: Holder) -> bool:
    """A zero charge, ungated, only refills and reads the payer's bucket (lookup.services' own charge)."""
    charge = payer_charge(payer_of(holder), 0)
    (state,) = get_buckets().settle([charge], gated=False).states
    return state.tokens >= charge.policy.capacity
