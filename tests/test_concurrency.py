"""Concurrent creates on real PostgreSQL: the database, not luck, keeps keys unique and limits exact."""

import threading
import uuid
from collections import Counter

import pytest
from django.db import connections

from keys.models import Entry

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls) -> list:
    """Start every call at the same moment on its own thread (own DB connection); return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i: int, call) -> None:
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def post_key(client, account, key_type: str, key_value: str | None):
    def call():
        body = {"account_id": account.pk, "key_type": key_type, "request_id": str(uuid.uuid4())}
        if key_value:
            body["key_value"] = key_value
        response = client.post("/api/v1/keys/", body, format="json")
        return response.status_code, response.json().get("code")

    return call


def test_twenty_concurrent_creates_of_one_key_exactly_one_wins(make_account, client_for) -> None:
    holder_account = make_account(legal=True)
    accounts = [holder_account] + [make_account(holder=holder_account.holder, account_type=t) for t in ("SVGS", "TRAN")]
    strangers = [make_account() for _ in range(3)]
    calls = []
    for i in range(20):
        account = (accounts + strangers)[i % 6]
        calls.append(post_key(client_for(account.holder.user), account, "EMAIL", "contested@example.com"))
    outcomes = run_concurrently(calls)
    statuses = Counter(status for status, _ in outcomes)
    assert statuses[201] == 1
    assert statuses[409] == 19
    assert {code for status, code in outcomes if status == 409} <= {
        "EntryAlreadyExists",
        "EntryKeyOwnedByDifferentPerson",
    }
    assert Entry.objects.filter(key_value="contested@example.com").count() == 1


def test_concurrent_creates_never_exceed_the_account_limit(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    outcomes = run_concurrently([post_key(client, account, "EMAIL", f"k{i}@example.com") for i in range(12)])
    assert Counter(status for status, _ in outcomes) == {201: 5, 422: 7}
    assert Entry.objects.filter(account=account).count() == 5
