"""/metrics on the web: request, database and cache metrics, the business metrics after real actions,
who may read it, no PII in any label, and the exposition when the database is down or when
several gunicorn workers share the counting (multiprocess mode)."""

import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from claims.models import Claim
from claims.selectors import DEADLINE_BUCKETS
from common.locmem_cache import LocMemCache
from common.metrics import EXPOSITION
from connect.client import get_client
from dict_project import gunicorn_conf
from dict_rules.claims import ClaimStatus, ClaimType, Role, time_left
from keys.metrics import redrive_age
from keys.models import Entry, Requester
from keys.services import entry_create, entry_register
from tests.e2e_support import BIN, base_env, free_port, running
from tests.factories import (
    create_entry,
    dead_port,
    incoming_claim,
    key_at_other_psp,
    look,
    new_phone,
    rest_proof,
    stranger,
    unknown_email,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One series' value; 0 for a series not exposed yet (a labelled counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of ``name`` carrying at least ``labels``."""
    wanted = set(labels.items())
    return sum(v for (sample, series), v in samples.items() if sample == name and wanted <= series)


def increase(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the series of ``name`` carrying ``labels`` grew between two scrapes."""
    return total(after, name, **labels) - total(before, name, **labels)


# --- the web's own metrics: HTTP, database, cache -----------------------------------------------------------


@pytest.mark.django_db
def test_metrics_count_requests_database_queries_and_cache_gets(client, client_for, make_account) -> None:
    before = scrape(client)
    assert client.get("/api/v1/accounts/").status_code == 401
    customer = client_for(make_account().holder.user)
    assert customer.get("/api/v1/accounts/").status_code == 200
    assert client.get("/readyz").status_code == 200  # writes a probe key to the cache and reads it back
    assert cache.get(f"absent-{unknown_email()}") is None  # a miss, through the same instrumented backend
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return increase(before, after, name, **labels)

    view = {"view": "account-list", "method": "GET"}
    assert delta("django_http_responses_total_by_status_view_method_total", status="401", **view) == 1
    assert delta("django_http_responses_total_by_status_view_method_total", status="200", **view) == 1
    assert delta("django_http_requests_latency_seconds_by_view_method_count", **view) == 2
    assert delta("django_db_execute_total", alias="default", vendor="postgresql") > 0
    assert delta("django_db_query_duration_seconds_count", alias="default", vendor="postgresql") > 0
    assert delta("django_cache_get_total", backend="redis") > 0
    assert delta("django_cache_get_misses_total", backend="redis") > 0


@pytest.mark.django_db
def test_a_made_up_http_method_is_no_label(client) -> None:
    """Each invented method would otherwise be a new series of the latency histogram."""
    client.generic("BREWCOFFEE", "/api/v1/accounts/")
    methods = {dict(series).get("method") for _, series in scrape(client)}
    assert "BREWCOFFEE" not in methods
    assert "<invalid method>" in methods


# --- business metrics after real actions ---------------------------------------------------------------------


@pytest.fixture
def dead_directory(settings, start_server) -> Iterator[None]:
    """The process's Connect client pointed at a directory that is down, its breaker opening at the first failure."""
    settings.CONNECT_URL = f"127.0.0.1:{dead_port(start_server)}"
    settings.CONNECT_RETRY_ATTEMPTS, settings.CONNECT_DEADLINE_SEC = 1, 1.0
    settings.CONNECT_BREAKER_MIN_CALLS, settings.CONNECT_BREAKER_OPEN_SEC = 1, 60.0
    get_client.cache_clear()
    yield
    get_client.cache_clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_api_rate_limit")
def test_business_metrics_follow_real_actions(
    client, client_for, make_account, settings, django_capture_on_commit_callbacks, request
) -> None:
    before = scrape(client)
    account = make_account()
    for key in (f"{uuid.uuid4().hex[:10]}@example.com", f"{uuid.uuid4().hex[:10]}@example.com"):
        create_entry(account, "EMAIL", key)
    for entry in account.entries.all():
        entry_register(entry_id=entry.pk)
    # A phone someone else holds at another PSP: DICT refuses our registration.
    taken = new_phone()
    key_at_other_psp("PHONE", taken, stranger())
    failing = create_entry(account, "PHONE", taken)
    with django_capture_on_commit_callbacks(execute=True):
        assert entry_register(entry_id=failing.pk).failure_code == "EntryKeyOwnedByDifferentPerson"
    incoming_claim(make_account())  # another PSP claims one of our keys: we are donor, 7 days to answer
    # A payer whose bucket one unknown key empties (20 tokens): its next lookup is refused.
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 20
    payer = client_for(make_account().holder.user)
    assert look(payer, unknown_email()).status_code == 404
    assert look(payer, unknown_email()).status_code == 429
    after = scrape(client)

    assert value(after, "coredict_keys_entries", status="ACTIVE") == 3  # two here, the claimed one
    assert value(after, "coredict_keys_entries", status="FAILED") == 1
    assert value(after, "coredict_keys_entries", status="PENDING") == 0
    code = {"code": "EntryKeyOwnedByDifferentPerson"}
    failures = "coredict_keys_registration_failures_total"
    assert increase(before, after, failures, **code) == 1
    assert value(after, "coredict_claims_open", role="donor", deadline="later") == 1
    assert total(after, "coredict_claims_open") == 1
    refusals = "coredict_lookup_refusals_total"
    assert increase(before, after, refusals, bucket="payer") == 1
    assert increase(before, after, refusals, bucket="psp") == 0
    assert value(after, "coredict_metrics_read_up", read="keys") == 1
    assert value(after, "coredict_metrics_read_up", read="claims") == 1

    # The directory goes down: the first failure opens the breaker, the next call is not even sent.
    request.getfixturevalue("dead_directory")
    settings.LOOKUP_PAYER_NATURAL_CAPACITY = 100  # a failed call keeps its reservation: room for two
    another = client_for(make_account().holder.user)
    assert look(another, unknown_email()).status_code == 503
    assert look(another, unknown_email()).status_code == 503
    down = scrape(client)
    calls = "coredict_connect_calls_total"
    assert value(down, "coredict_connect_breaker_state") == 2
    assert increase(after, down, calls, method="GetEntry", outcome="failed") == 1
    assert increase(after, down, calls, method="GetEntry", outcome="not_asked") == 1
    duration = "coredict_connect_call_duration_seconds_count"
    assert increase(after, down, duration, method="GetEntry") == 1  # the call not sent is not timed


@pytest.mark.django_db
def test_the_redrive_backlog_counts_work_waiting_longer_than_sync_pending_waits(client, make_account) -> None:
    account = make_account()
    made = [
        entry_create(
            user=account.holder.user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4()
        )[0]
        for _ in range(2)
    ]
    Entry.objects.filter(pk=made[0].pk).update(updated_at=timezone.now() - redrive_age() - timedelta(seconds=1))
    samples = scrape(client)
    assert value(samples, "coredict_keys_entries", status="PENDING") == 2
    assert value(samples, "coredict_keys_redrive_backlog_entries", status="PENDING") == 1
    assert value(samples, "coredict_keys_redrive_backlog_entries", status="DELETE_PENDING") == 0


def claim_row(*, role: Role, status: ClaimStatus, resolution_end, completion_end=None) -> Claim:
    now = timezone.now()
    return Claim.objects.create(
        dict_id=uuid.uuid4(),
        role=role,
        claim_type=ClaimType.PORTABILITY,
        status=status,
        key=f"{uuid.uuid4().hex[:10]}@example.com",
        key_type="EMAIL",
        donor_participant="11111111",
        claimer_participant="22222222",
        requested_by_kind=Requester.SYSTEM,
        dict_created_at=now - timedelta(days=3),
        resolution_period_end=resolution_end,
        completion_period_end=completion_end,
        last_modified=now,
    )


@pytest.mark.django_db
def test_open_claims_are_bucketed_by_the_deadline_time_left_counts_down_to(client) -> None:
    """The database's buckets agree with dict_rules.claims.time_left, claim by claim."""
    now = timezone.now()
    claims = [
        claim_row(role=Role.DONOR, status=ClaimStatus.WAITING_RESOLUTION, resolution_end=now - timedelta(minutes=5)),
        claim_row(role=Role.DONOR, status=ClaimStatus.OPEN, resolution_end=now + timedelta(minutes=30)),
        claim_row(role=Role.DONOR, status=ClaimStatus.WAITING_RESOLUTION, resolution_end=now + timedelta(hours=5)),
        claim_row(role=Role.DONOR, status=ClaimStatus.WAITING_RESOLUTION, resolution_end=now + timedelta(days=5)),
        # CONFIRMED: its resolution period is over, the completion period's end is what is left.
        claim_row(
            role=Role.CLAIMER,
            status=ClaimStatus.CONFIRMED,
            resolution_end=now - timedelta(days=1),
            completion_end=now + timedelta(minutes=20),
        ),
        claim_row(role=Role.CLAIMER, status=ClaimStatus.CONFIRMED, resolution_end=now - timedelta(hours=2)),
        claim_row(role=Role.CLAIMER, status=ClaimStatus.COMPLETED, resolution_end=now + timedelta(days=1)),
    ]
    samples = scrape(client)
    expected: dict[tuple[str, str], int] = {}
    for claim in claims:
        left = time_left(claim.facts, now=timezone.now())
        if left is None:
            continue
        bucket = next(name for name, upper in DEADLINE_BUCKETS.items() if upper is None or left <= upper)
        expected[(claim.role.lower(), bucket)] = expected.get((claim.role.lower(), bucket), 0) + 1
    assert expected == {
        ("donor", "overdue"): 1,
        ("donor", "under_1h"): 1,
        ("donor", "under_24h"): 1,
        ("donor", "later"): 1,
        ("claimer", "under_1h"): 1,
        ("claimer", "overdue"): 1,
    }
    for role in ("donor", "claimer"):
        for bucket in DEADLINE_BUCKETS:
            assert value(samples, "coredict_claims_open", role=role, deadline=bucket) == expected.get((role, bucket), 0)


# --- who may read it ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_a_404_to_an_address_outside_the_allowed_networks(client, settings) -> None:
    unknown_path = client.get("/no-such-path", REMOTE_ADDR="203.0.113.9")
    for method in (client.get, client.post):
        refused = method("/metrics", REMOTE_ADDR="203.0.113.9")
        assert refused.status_code == 404  # a POST too: nothing says the path exists
        assert refused.json()["code"] == unknown_path.json()["code"] == "NotFound"
    assert b"coredict" not in refused.content
    settings.METRICS_ALLOWED_NETWORKS = (ip_network("203.0.113.0/24"),)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is allowed only by the default


@pytest.mark.django_db
def test_the_allowed_address_is_the_client_our_proxies_saw(client, settings) -> None:
    """Behind a proxy on loopback every request comes from 127.0.0.1: the client is the proxy's X-Forwarded-For."""
    through_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client.get("/metrics", **through_proxy).status_code == 404
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert (
        client.get("/metrics", **forged).status_code == 404
    )  # with no proxies of ours the header is the client's word
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200  # a dual-stack listener's IPv4


@pytest.mark.django_db
def test_a_scraper_gets_metrics_from_the_pods_address_over_plain_http(client, settings) -> None:
    """Prometheus sends the pod IP as Host, over HTTP: like the probes, no Host check and no HTTPS redirect.
    Anyone else's request still meets both, as on any other path."""
    settings.SECURE_SSL_REDIRECT = True
    pod = {"HTTP_HOST": "10.12.0.7:8000"}
    assert client.get("/metrics", **pod).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", **pod).status_code == 400  # DisallowedHost
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 301  # to https, as any path


# --- no PII in any label ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_api_rate_limit")
def test_no_label_carries_a_key_a_tax_id_or_a_name(client, client_for, make_account) -> None:
    account = make_account()
    holder = account.holder
    email, phone = f"pii-{uuid.uuid4().hex[:8]}@example.com", new_phone()
    api = client_for(holder.user)
    for key_type, key in (("EMAIL", email), ("PHONE", phone), ("CPF", holder.tax_id)):
        body = {"account_id": account.pk, "key_type": key_type, "key_value": key, "request_id": str(uuid.uuid4())}
        if key_type != "CPF":
            body["possession_challenge_id"] = rest_proof(api, key_type, key)
        assert api.post("/api/v1/keys/", body, format="json").status_code == 201
    taken = new_phone()
    key_at_other_psp("PHONE", taken, stranger())
    body = {"account_id": account.pk, "key_type": "PHONE", "key_value": taken, "request_id": str(uuid.uuid4())}
    body["possession_challenge_id"] = rest_proof(api, "PHONE", taken)
    assert api.post("/api/v1/keys/", body, format="json").json()["status"] == "FAILED"
    payer = client_for(make_account().holder.user)
    for key in (email, phone, holder.tax_id, unknown_email(), "not a key"):
        look(payer, key)
    text = client.get("/metrics").content.decode()
    seeded = {
        email,
        phone,
        phone.lstrip("+"),
        taken,
        taken.lstrip("+"),
        holder.tax_id,
        holder.name,
        holder.user.username,
    }
    labels = {v for family in text_string_to_metric_families(text) for s in family.samples for v in s.labels.values()}
    assert labels
    assert not {label for label in labels for pii in seeded if pii in label}
    assert not {pii for pii in seeded if pii in text}


# --- the database is down -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_metrics_are_served_without_the_database_and_say_which_reads_failed(client, monkeypatch) -> None:
    with socket.socket() as closed:  # a port nothing listens on: the connection is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(port))
    try:
        started = time.monotonic()
        samples = scrape(client)
        assert time.monotonic() - started < 5  # one failed connect, not one per read
    finally:
        connection.close()
    assert value(samples, "coredict_metrics_read_up", read="keys") == 0
    assert value(samples, "coredict_metrics_read_up", read="claims") == 0
    assert not total(samples, "coredict_keys_entries")
    assert total(samples, "django_http_requests_total_by_method_total") > 0  # the rest is there


# --- registered once -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_starting_the_apps_again_registers_nothing_twice(client) -> None:
    for label in ("keys", "claims", "connect", "lookup"):
        apps.get_app_config(label).ready()
    names = [family.name for family in EXPOSITION.collect()]
    assert len(names) == len(set(names))
    assert client.get("/metrics").status_code == 200


# --- several gunicorn workers, one count ------------------------------------------------------------------------


def web_env() -> dict[str, str]:
    """The test's database and Redis (under a key prefix of its own); gunicorn_conf picks the metrics directory."""
    db = settings.DATABASES["default"]
    return base_env(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=f"metrics-test-{uuid.uuid4().hex[:8]}",
    )


def http_get(port: int, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_every_scrape_counts_the_requests_of_every_gunicorn_worker() -> None:
    """Two sync workers: one is held by a request whose headers have not ended, so the other serves the
    rest; then whichever answers a scrape must count both workers' requests."""
    port = free_port()
    args = [str(BIN / "gunicorn"), "-c", "python:dict_project.gunicorn_conf", "dict_project.wsgi"]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync", "--no-control-socket"]
    with running(args, web_env(), port=port), socket.create_connection(("127.0.0.1", port), timeout=10) as held:
        held.sendall(b"GET /api/v1/accounts/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # one worker waits for the rest
        served = 5
        for _ in range(served):
            assert http_get(port, "/api/v1/accounts/")[0] == 401  # by the other worker
        held.sendall(b"Connection: close\r\n\r\n")
        assert held.recv(64).startswith(b"HTTP/1.1 401")
        series = ("django_http_responses_total_by_status_view_method_total", "401", "account-list")
        for _ in range(4):
            status, body = http_get(port, "/metrics")
            assert status == 200
            samples = parse(body.decode())
            assert value(samples, series[0], status=series[1], view=series[2], method="GET") == served + 1
            # Reads at scrape time are there too; one worker's runtime metrics are not.
            assert value(samples, "coredict_metrics_read_up", read="keys") == 1
            assert ("coredict_connect_breaker_state", frozenset()) in samples
            assert not total(samples, "process_cpu_seconds_total")


def test_the_arbiter_empties_the_metrics_directory_or_makes_its_own(tmp_path, monkeypatch) -> None:
    """Files of an earlier run would be added to this run's counts."""
    given = tmp_path / "metrics"
    monkeypatch.setenv(gunicorn_conf.MULTIPROC_ENV, str(given))
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"an earlier run")
    gunicorn_conf.on_starting(None)
    assert list(given.iterdir()) == []
    monkeypatch.delenv(gunicorn_conf.MULTIPROC_ENV)
    gunicorn_conf.on_starting(None)
    own = Path(os.environ[gunicorn_conf.MULTIPROC_ENV])  # set for the workers to inherit
    assert own.is_dir() and own != given
    gunicorn_conf.on_exit(None)
    assert not own.exists()


# --- the embedded default's cache --------------------------------------------------------------------------------


def test_the_in_process_cache_returns_falsy_values_it_holds() -> None:
    """keys.selectors caches {} for "not one of ours": it must come back as {}, not as a miss."""
    cache = LocMemCache(f"metrics-test-{uuid.uuid4().hex}", {})
    cache.set("not-ours", {})
    assert cache.get("not-ours") == {}
    assert cache.get("absent", "default") == "default"
