"""Pure rules for lookups (DICT_RULES §6): the key as DICT stores it, the EndToEndId, what a payer
may see, how long an answer may be cached, and the anti-scan token-bucket math.

The bucket math lives only here (``settle``); the in-process store calls it and the Redis Lua
script in lookup/buckets.py mirrors it line for line. Refill is discrete, as DICT's policies
are (RefillTokens every RefillPeriodSec): this reproduces the manual's example of a natural
person at -15 tokens needing 8 minutes to recover. All numbers are integers, so Python and Lua
agree exactly.
"""

import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from accounts.domain import PersonType
from dict_rules.errors import BadRequest, EntryInvalid
from dict_rules.masking import mask_tax_id
from keys.domain import KeyType, key_type_of, normalize_key

END_TO_END_ID_RE = re.compile(r"^E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}$")
_E2E_ALPHABET = string.ascii_letters + string.digits

# DICT lets a PSP cache legal persons' answers for at most this long, and nobody else's.
LEGAL_CACHE_TTL_MAX_SEC = 180

REFILL_PERIOD_MS = 60_000


@dataclass(frozen=True)
class Cost:
    """Tokens one lookup takes from a bucket: when the key exists, and when DICT answers 404."""

    found: int
    not_found: int


PAYER_COST = Cost(found=1, not_found=20)
PSP_COST = Cost(found=1, not_found=3)
# A payment order sent for a looked-up EndToEndId gives tokens back.
PAYER_PAYMENT_CREDIT = {PersonType.NATURAL_PERSON: 1, PersonType.LEGAL_PERSON: 2}
PSP_PAYMENT_CREDIT = 1


@dataclass(frozen=True)
class BucketPolicy:
    capacity: int
    refill_tokens: int
    refill_period_ms: int = REFILL_PERIOD_MS


# ENTRIES_READ_PARTICIPANT_ANTISCAN by participant category: refill per minute, then size.
PSP_POLICIES = {
    category: BucketPolicy(capacity=capacity, refill_tokens=refill)
    for category, (refill, capacity) in {
        "A": (25_000, 50_000),
        "B": (20_000, 40_000),
        "C": (15_000, 30_000),
        "D": (8_000, 16_000),
        "E": (2_500, 5_000),
        "F": (250, 500),
        "G": (25, 250),
        "H": (2, 50),
    }.items()
}


def psp_policy(category: str) -> BucketPolicy:
    try:
        return PSP_POLICIES[category]
    except KeyError:
        raise ValueError(f"unknown DICT participant category {category!r}; use one of A-H.") from None


@dataclass(frozen=True)
class BucketState:
    tokens: int
    refilled_at_ms: int  # the instant the last whole refill period ended (or the bucket was last full)


@dataclass(frozen=True)
class Settlement:
    states: tuple[BucketState, ...]
    allowed: bool
    retry_after_sec: int  # 0 when allowed


def refill(policy: BucketPolicy, state: BucketState | None, now_ms: int) -> BucketState:
    """Add the tokens of every whole period since the last refill; a full bucket banks no time."""
    if state is None:
        return BucketState(tokens=policy.capacity, refilled_at_ms=now_ms)
    periods = max(0, (now_ms - state.refilled_at_ms) // policy.refill_period_ms)
    tokens = min(policy.capacity, state.tokens + periods * policy.refill_tokens)
    if tokens >= policy.capacity:
        return BucketState(tokens=tokens, refilled_at_ms=now_ms)
    return BucketState(tokens=tokens, refilled_at_ms=state.refilled_at_ms + periods * policy.refill_period_ms)


def wait_ms(policy: BucketPolicy, state: BucketState, now_ms: int) -> int:
    """How long until a refilled bucket at or below zero is back above zero."""
    periods = -state.tokens // policy.refill_tokens + 1
    return state.refilled_at_ms + periods * policy.refill_period_ms - now_ms


def settle(buckets: Sequence[tuple[BucketPolicy, BucketState | None, int]], *, now_ms: int, gated: bool) -> Settlement:
    """Refill every bucket, then add each its delta (credits stop at capacity; debits may go negative).

    A gated call is all or nothing: if any bucket is at or below zero, no delta is applied and
    the answer says how many seconds (at least 1) until every one of them is above zero again.
    """
    refilled = [(policy, refill(policy, state, now_ms), delta) for policy, state, delta in buckets]
    if gated:
        waits = [wait_ms(policy, state, now_ms) for policy, state, _ in refilled if state.tokens <= 0]
        if waits:
            states = tuple(state for _, state, _ in refilled)
            return Settlement(states=states, allowed=False, retry_after_sec=max(1, -(-max(waits) // 1000)))
    settled = tuple(
        BucketState(tokens=min(policy.capacity, state.tokens + delta), refilled_at_ms=state.refilled_at_ms)
        for policy, state, delta in refilled
    )
    return Settlement(states=settled, allowed=True, retry_after_sec=0)


def normalize_lookup_key(raw: str) -> str:
    """The key as DICT stores it, checked against its type's format.

    DICT answers 400 to a value that is no key, so it is refused here before any lookup token
    is spent or the directory is asked; only a well-formed key that nobody holds is a 404.
    """
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


def new_end_to_end_id(*, ispb: str, at: datetime) -> str:
    """BCB's EndToEndId: E, our ISPB, the UTC minute (yyyyMMddHHmm) and 11 random alphanumerics."""
    suffix = "".join(secrets.choice(_E2E_ALPHABET) for _ in range(11))
    return f"E{ispb}{at.astimezone(UTC):%Y%m%d%H%M}{suffix}"


def parse_end_to_end_id(raw: str) -> str:
    if not END_TO_END_ID_RE.fullmatch(raw or ""):
        raise BadRequest.on_field("end_to_end_id", "an EndToEndId is E, 8 digits, 12 digits and 11 letters or digits.")
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


@dataclass(frozen=True)
class LookupAnswer(PayerView):
    end_to_end_id: str


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
