"""Prometheus metrics of lookups: refusals by the anti-scan buckets, by the kind of bucket that was empty."""

from prometheus_client import Counter

# The kind of bucket is a label; its id (a payer, our ISPB) never.
BUCKET_KINDS = ("payer", "psp")

REFUSALS = Counter(
    "coredict_lookup_refusals",
    "Lookups refused by the anti-scan buckets, by the kind of bucket that was empty (payer, psp); "
    "a refusal with both empty counts under both.",
    ["bucket"],
)
for _kind in BUCKET_KINDS:
    REFUSALS.labels(_kind)  # exposed at zero from the start


def count_refusal(*, payer_empty: bool, psp_empty: bool) -> None:
    """Count a refused lookup under each bucket that was empty."""
    for kind, empty in (("payer", payer_empty), ("psp", psp_empty)):
        if empty:
            REFUSALS.labels(kind).inc()
