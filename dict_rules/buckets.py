"""DICT's anti-scan token buckets (DICT_RULES §6): what a lookup costs, what a payment order gives
back, the participant policies by category, and the token-bucket math.

Here because these are DICT's numbers and DICT's algorithm, not the PSP's: the PSP keeps its own
limits equal to DICT's (MAN §13.2) so it never sends a lookup DICT would answer with 429.
Refill is discrete, as DICT's policies are (RefillTokens every RefillPeriodSec): this reproduces
the manual's example of a natural person at -15 tokens needing 8 minutes to recover. All numbers
are integers, so the PSP's Redis Lua twin of ``settle`` (lookup/buckets.py) agrees exactly.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from dict_rules.tax_ids import PersonType

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
