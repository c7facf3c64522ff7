"""What every bare baseline does per call, and nothing more: the floor a Core DICT call is measured against.

A lookup's minimum: verify the caller's HS256 access token (PyJWT, Core DICT's key, issuer and
audience), settle its anti-scan buckets in one EVALSHA of Core DICT's own script, and build the
answer. The bare servers (bench.bare_lookup, bench.bare_django, bench.bare_create) share it, so their
ratios differ only by the transport or the extra step each one adds. No Django.
"""

import json
import os
import signal
from collections.abc import Callable
from concurrent import futures
from datetime import UTC, datetime

import grpc
import jwt
from redis import Redis

from dict_rules.lookups import new_end_to_end_id
from lookup.buckets import SETTLE_LUA  # a constant: importing it loads no settings

OUR_ISPB = "12345678"
BIG = 10**12  # bucket capacity and refill: the bench measures work, not the anti-scan refusals
VIEW_KEY = "bench:bare:view"
# The own key's answer as Core DICT caches it: what the bare GET reads back.
VIEW = {
    "key": "bench.own@example.com",
    "key_type": "EMAIL",
    "person_type": "NATURAL_PERSON",
    "name": "Alice Bench",
    "trade_name": "",
    "tax_id": "***.456.789-**",
    "ispb": OUR_ISPB,
}


class Unauthenticated(Exception):
    """The bearer token is missing, forged or expired."""


class Minimum:
    """The per-call work of a lookup; one Redis client per process (its pool is thread-safe)."""

    def __init__(self) -> None:
        self.redis = Redis.from_url(os.environ["REDIS_URL"])
        self.settle = self.redis.register_script(SETTLE_LUA)
        self.secret = os.environ["SECRET_KEY"]
        self.issuer = os.environ.get("JWT_ISSUER", "core-dict")
        self.audience = os.environ.get("JWT_AUDIENCE", "core-dict-api")

    def caller(self, authorization: str) -> dict:
        """The claims of a valid ``Bearer <token>``."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer":
            raise Unauthenticated
        try:
            return jwt.decode(token, self.secret, algorithms=["HS256"], issuer=self.issuer, audience=self.audience)
        except jwt.InvalidTokenError:
            raise Unauthenticated from None

    def charge(self, *buckets: str) -> bool:
        """One EVALSHA settling a token off each bucket; False if any was empty."""
        args: list[int | str] = ["", 1]
        for _ in buckets:
            args += [BIG, BIG, 60_000, -1]
        return bool(self.settle(keys=[f"bench:bucket:{b}" for b in buckets], args=args)[0])

    def cached_view(self) -> dict:
        return json.loads(self.redis.get(VIEW_KEY))

    def publish_view(self) -> None:
        """At start: the blob ``cached_view`` reads (every bare server writes the same one)."""
        self.redis.set(VIEW_KEY, json.dumps(VIEW))


def end_to_end_id() -> str:
    return new_end_to_end_id(ispb=OUR_ISPB, at=datetime.now(UTC))


def bearer(context: grpc.ServicerContext) -> str:
    return dict(context.invocation_metadata()).get("authorization", "")


def serve(add: Callable[[grpc.Server], None], port: int, workers: int) -> None:
    """A plain grpcio server on loopback with ``workers`` threads (grpcserver's default is 10); SIGTERM stops it."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    add(server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(1))
    server.wait_for_termination()
