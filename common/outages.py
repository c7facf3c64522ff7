"""Failures of a backing service (database, Redis) are an outage to the caller, not a bug.

Both edges (``http_errors`` for REST, ``grpc_service`` for gRPC) ask ``outage_error`` before
treating an exception as unexpected, so the caller gets 503 / UNAVAILABLE with a retryable
message instead of a generic 500 / INTERNAL.
"""

import logging

from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

from dict_rules.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

OUTAGES: tuple[type[Exception], ...] = (RedisError, OperationalError, InterfaceError)


def outage_error(exc: BaseException) -> ServiceUnavailable | None:
    """The ServiceUnavailable an outage becomes (logged once here, masked), or None for anything else."""
    if not isinstance(exc, OUTAGES):
        return None
    logger.warning("backing service unavailable: %s", type(exc).__name__, exc_info=exc)
    return ServiceUnavailable("A backing service is unavailable; try again shortly.")
