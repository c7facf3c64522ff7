"""Retry-After in whole seconds, the same on both edges and for every cause (rate limits, the breaker)."""

import math


def retry_after_seconds(seconds: float | None) -> int:
    """Whole seconds for a Retry-After header or trailer: rounded up, at least 1 (None or 0 gives 1)."""
    return max(1, math.ceil(seconds or 0))
