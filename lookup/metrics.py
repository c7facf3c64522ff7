"""Prometheus metrics of lookups: refusals by the anti-scan buckets, by the kind of bucket that was empty."""

from collections.abc import Sequence

from prometheus_client import Counter

from dict_rules.buckets import Settlement
from lookup.buckets import Charge

# Bucket names are "<kind>:<id>" (lookup.services): the kind is a label, the id (a holder, our ISPB) never.
BUCKET_KINDS = ("payer", "psp")

REFUSALS = Counter(
    "coredict_lookup_refusals",
    "Lookups refused by the anti-scan buckets, by the kind of bucket that was empty (payer, psp); "
    "a refusal with both empty counts under both.",
    ["bucket"],
)
for _kind in BUCKET_KINDS:
    REFUSALS.labels(_kind)  # exposed at zero from the start


def count_refusal(charges: Sequence[Charge], refused: Settlement) -> None:
    """Count a gated settle that was refused: each of its buckets at or below zero."""
    for charge, state in zip(charges, refused.states, strict=True):
        kind = charge.bucket.partition(":")[0]
        if state.tokens <= 0 and kind in BUCKET_KINDS:
            REFUSALS.labels(kind).inc()
