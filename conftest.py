"""Shared fixtures: real PostgreSQL and Redis (DATABASE_URL, REDIS_URL), users, holders, accounts, tokens."""

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django_redis import get_redis_connection
from redis import Redis
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Account, Holder
from accounts.services import account_upsert, holder_upsert
from possession.delivery import MemorySmsSender
from tests.factories import new_cnpj, new_cpf

# The pulsar-lite broker and per-test topic prefix fixtures of the outbox and consumer tests.
pytest_plugins = ["tests.pulsar_lite_broker"]

User = get_user_model()
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... in pytest-xdist's workers, else ""


def pytest_configure(config) -> None:
    """The suite runs on the real servers; the embedded SQLite default is tested in a subprocess."""
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith(".postgresql") or not settings.REDIS_URL:  # wrapped too
        raise pytest.UsageError("tests need PostgreSQL and Redis: run `make test` (sets DATABASE_URL and REDIS_URL)")
    # Tests rebuild the lookups' own-key view when they mean to (keys.own_view): a background rebuild would
    # outlive the test's transaction and database. Servers a test starts as processes rebuild as in production.
    settings.OWN_VIEW_AUTO_REBUILD = False
    if XDIST_WORKER:
        # pytest-xdist workers share REDIS_URL's database (each has its own PostgreSQL test database):
        # each keeps its cache keys, the lookup buckets among them, under a prefix of its own.
        cache_settings = settings.CACHES["default"]
        cache_settings["KEY_PREFIX"] = f"{cache_settings.get('KEY_PREFIX', '')}:xdist-{XDIST_WORKER}"


@pytest.fixture(autouse=True)
def _clean_cache():
    if XDIST_WORKER:  # not FLUSHDB: the other workers' keys must stay
        redis = get_redis_connection("default")
        keys = list(redis.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    """Codes sent by SMS stay in this process (``MemorySmsSender.outbox``), as Django's test run keeps mail in
    ``mail.outbox``: tests read a code where it was delivered (tests.factories.sent_code)."""
    settings.POSSESSION_SMS_SENDER = "possession.delivery.MemorySmsSender"
    MemorySmsSender.outbox.clear()


@pytest.fixture
def make_user(db) -> Callable[..., "User"]:
    def make(
        username: str | None = None, *, staff: bool = False, superuser: bool = False, password: str = "pw-Secret-123"
    ):
        return User.objects.create_user(
            username=username or f"user-{uuid.uuid4().hex[:8]}",
            password=password,
            is_staff=staff or superuser,
            is_superuser=superuser,
        )

    return make


@pytest.fixture
def make_account(db, make_user) -> Callable[..., Account]:
    """An account of a fresh holder (natural by default) acting through a fresh user."""

    def make(*, legal: bool = False, holder: Holder | None = None, account_type: str = "CACC") -> Account:
        if holder is None:
            tax_id = new_cnpj() if legal else new_cpf()
            name = "ACME COMERCIO LTDA" if legal else "Maria da Silva"
            holder, _ = holder_upsert(tax_id=tax_id, name=name, trade_name="ACME" if legal else "", user=make_user())
        account, _ = account_upsert(
            holder=holder,
            branch="1",
            number=str(uuid.uuid4().int)[:10],
            account_type=account_type,
            opening_date=datetime(2024, 1, 2, 3, tzinfo=UTC),
        )
        return account

    return make


def bearer(user) -> str:
    return f"Bearer {AccessToken.for_user(user)}"


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An API client authenticated as the given user with a real JWT."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer(user))
        return client

    return make


@pytest.fixture
def redis_unreachable(monkeypatch) -> None:
    """The hot path's Redis client (common.redis_client) goes to a closed port: a real client, failing for real."""
    from common import redis_client

    live = redis_client.shared_redis()
    dead = redis_client.SharedRedis(client=Redis(port=1, socket_connect_timeout=0.5), prefix=live.prefix)
    monkeypatch.setitem(redis_client._built, redis_client._cache_signature(), dead)
