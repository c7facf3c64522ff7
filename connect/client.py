"""Choosing the directory adapter from settings: gRPC when CONNECT_URL is set, else in-process."""

from functools import cache

from django.conf import settings

from connect.ports import DirectoryClient


@cache
def get_client() -> DirectoryClient:
    """One client per process (created lazily, so never before a fork)."""
    if settings.CONNECT_URL:
        from connect.grpc_client import GrpcDirectoryClient, new_breaker

        return GrpcDirectoryClient(
            url=settings.CONNECT_URL,
            participant=settings.DICT_ISPB,
            timeout=settings.CONNECT_TIMEOUT_SEC,
            attempts=settings.CONNECT_RETRY_ATTEMPTS,
            breaker=new_breaker(
                fail_max=settings.CONNECT_BREAKER_FAIL_MAX, reset_timeout=settings.CONNECT_BREAKER_RESET_SEC
            ),
        )
    from connect.local import LocalDirectoryClient

    return LocalDirectoryClient(participant=settings.DICT_ISPB)


def connect_state() -> str:
    """For probes and logs: 'in-process', or the gRPC circuit breaker's state (closed, open, half-open)."""
    client = get_client()
    breaker = getattr(client, "breaker", None)
    return "in-process" if breaker is None else str(breaker.current_state)
