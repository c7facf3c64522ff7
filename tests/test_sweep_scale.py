"""The deadline sweep at scale: only due claims are read, several sweeps at once act once per claim,
directory calls run on a bounded pool whose connections are closed, and a run keeps to its budget.

The claims are seeded as DICT and our poll would hold them (bench.sweep_bench's rows, on both sides),
so each action is a real move at the embedded directory.
"""

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.sweep_bench import SCENARIOS, claim_pair
from claims.models import Claim
from claims.services import claims_sweep
from connect.local import LocalDirectoryClient
from dictsim.models import DirClaim
from events.models import DomainEvent

ACTIONS = ("acknowledge_claim", "confirm_claim", "cancel_claim", "complete_claim")


def seed(scenario: str, count: int, *, start: int = 0) -> list[Claim]:
    """``count`` claims of a bench scenario, ``due`` (all due now) or ``idle`` (open, none due), on keys
    numbered from ``start``."""
    now, kinds = timezone.now(), SCENARIOS[scenario]
    pairs = [
        claim_pair(i, role=role, kind=kind, status=status, created=now - age, ispb=settings.DICT_ISPB)
        for i, (role, kind, status, age) in ((i, kinds[i % len(kinds)]) for i in range(start, start + count))
    ]
    DirClaim.objects.bulk_create([remote for remote, _ in pairs])
    return Claim.objects.bulk_create([ours for _, ours in pairs])


def around_actions(monkeypatch, around) -> None:
    """Run every claim action of the embedded directory inside ``around(claim_id)`` (the real adapter answers)."""
    for name in ACTIONS:
        real = getattr(LocalDirectoryClient, name)

        def action(self, claim_id: uuid.UUID, *args, _real=real, **kwargs):
            with around(claim_id):
                return _real(self, claim_id, *args, **kwargs)

        monkeypatch.setattr(LocalDirectoryClient, name, action)


@pytest.fixture
def directory_calls(monkeypatch) -> Counter:
    """Every claim action the embedded directory is asked for, by claim id."""
    calls: Counter = Counter()
    lock = threading.Lock()

    @contextmanager
    def count(claim_id: uuid.UUID) -> Iterator[None]:
        with lock:
            calls[claim_id] += 1
        yield

    around_actions(monkeypatch, count)
    return calls


def run_at_once(*sweeps) -> list[Counter]:
    """Run the sweeps on threads started together; their counts, once all are done."""
    results: list[Counter] = []
    barrier = threading.Barrier(len(sweeps))

    def run(sweep) -> None:
        try:
            barrier.wait()
            results.append(sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(sweep,)) for sweep in sweeps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)  # the sweeps and their pools run on threads, each with its connection
def test_two_sweeps_at_once_ask_the_directory_once_per_claim(directory_calls) -> None:
    claims = seed("due", 60)
    now = timezone.now()

    results = run_at_once(*[lambda: claims_sweep(now=now, batch=7, workers=3)] * 2)

    assert directory_calls == Counter({claim.dict_id: 1 for claim in claims})
    total = sum(results, Counter())
    assert total == {"acknowledge_portability": 20, "cancel_portability": 20, "confirm_ownership": 20}
    assert Claim.objects.filter(status__in=["OPEN"]).count() == 0
    assert Claim.objects.filter(status="CANCELLED").count() == Claim.objects.filter(status="CONFIRMED").count() == 20
    moves = DomainEvent.objects.filter(aggregate_type="claim").values_list("event_type", flat=True)
    assert Counter(moves) == {"ClaimAcknowledged": 20, "ClaimCancelled": 20, "ClaimConfirmed": 20}


@pytest.mark.django_db
def test_an_idle_sweep_reads_only_its_scans_and_locks_nothing(directory_calls) -> None:
    seed("idle", 40)  # open, in every state a deadline sweep meets while nothing is due
    closed = seed("due", 3, start=40)
    Claim.objects.filter(pk__in=[c.pk for c in closed]).update(status="CANCELLED")

    with CaptureQueriesContext(connection) as queries:
        assert claims_sweep(now=timezone.now(), batch=5) == {}

    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 4  # one read per way a claim falls due, none of them finding one
    assert not any("FOR UPDATE" in statement or "SAVEPOINT" in statement for statement in sql)
    assert not directory_calls


@pytest.mark.django_db(transaction=True)
def test_directory_calls_run_on_a_bounded_pool_whose_connections_are_closed(monkeypatch) -> None:
    seed("due", 12)
    lock, in_flight, most, started = threading.Lock(), Counter(), Counter(), Counter()
    first_three = threading.Barrier(3, timeout=10)  # they wait for each other: three calls at once

    @contextmanager
    def watch(claim_id: uuid.UUID) -> Iterator[None]:
        with lock:
            in_flight["now"] += 1
            most["calls"] = max(most["calls"], in_flight["now"])
            started["calls"] += 1
            wait = started["calls"] <= 3
        try:
            if wait:
                first_three.wait()
            yield
        finally:
            with lock:
                in_flight["now"] -= 1

    around_actions(monkeypatch, watch)
    before = backends()

    counts = claims_sweep(now=timezone.now(), batch=12, workers=3)

    assert counts == {"acknowledge_portability": 4, "cancel_portability": 4, "confirm_ownership": 4}
    assert most["calls"] == 3
    assert backends(down_to=before) == before


def backends(down_to: int = 0) -> int:
    """The connections to the test database open now (this one included), waiting up to 10 s for them to
    be ``down_to`` at most: a closed connection's server process leaves pg_stat_activity as it exits."""
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            count = cursor.fetchone()[0]
        if count <= down_to:
            break
        time.sleep(0.05)
    return count


@pytest.mark.django_db
def test_a_sweep_out_of_budget_stops_and_the_next_run_goes_on(directory_calls) -> None:
    claims = seed("due", 6)
    now = timezone.now()

    assert claims_sweep(now=now, batch=2, budget=timedelta(microseconds=1)) == {"out_of_time": 1}
    assert not directory_calls

    assert claims_sweep(now=now, batch=2) == {
        "acknowledge_portability": 2,
        "cancel_portability": 2,
        "confirm_ownership": 2,
    }
    assert directory_calls == Counter({claim.dict_id: 1 for claim in claims})
