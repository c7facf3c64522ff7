"""The outbox relay against a Pulsar-protocol broker of the test's own (pulsar-lite) with the real pulsar-client.

Publishing what the use cases record, order per aggregate, a relay killed mid-batch, a broker hung
and stopped, two relays at once, a poison event, the admin's retry, the metrics and the probes.
Relays run in this process where the test needs to look inside, as `manage.py relay_events`
processes where it kills or races them.
"""

import re
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pulsar
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from common import health
from common import metrics as kernel_metrics
from common.grpc_service import health_to_pb
from dict_rules.errors import Forbidden
from events.broker_probe import pulsar_state
from events.metrics import read_outbox
from events.models import DomainEvent
from events.publisher import PulsarPublisher
from events.relay import Relay, relay_batch
from events.relay_liveness import OK, PULSAR_UNAVAILABLE
from events.services import event_record, event_retry_publishing_by_staff
from events.types import EntryEvent
from events.wire import topic_of, topics
from keys.services import entry_delete, entry_unregister
from tests.e2e_support import ROOT, base_env, free_port, shared_database_url, wait_until
from tests.factories import incoming_claim
from tests.pulsar_lite_broker import PulsarLite, Received, client, first_deliveries, read_topic

pytestmark = pytest.mark.e2e

SEND_TIMEOUT_MS = 1000
OPERATION_TIMEOUT_SEC = 2


@pytest.fixture
def publisher(broker, prefix) -> Iterator[PulsarPublisher]:
    made = PulsarPublisher(
        broker.url, topics(prefix), send_timeout_ms=SEND_TIMEOUT_MS, operation_timeout_sec=OPERATION_TIMEOUT_SEC
    )
    made.open()
    yield made
    made.close()


def entry_event(aggregate_id: str, status: str = "PENDING") -> DomainEvent:
    return event_record(
        event_type=EntryEvent.CREATED, aggregate_id=aggregate_id, payload={"status": status, "key_type": "EVP"}
    )


def interleaved(aggregates: list[str], count: int) -> list[DomainEvent]:
    """``count`` events spread over the aggregates in turn, each status naming its place (S0, S1...)."""
    return [entry_event(aggregates[i % len(aggregates)], f"S{i}") for i in range(count)]


def in_order_per_aggregate(received: list[Received]) -> bool:
    sequences: dict[str, list[int]] = defaultdict(list)
    for message in received:
        sequences[message.key].append(message.body["sequence"])
    return all(seq == sorted(seq) and len(seq) == len(set(seq)) for seq in sequences.values())


def unpublished() -> int:
    return DomainEvent.objects.filter(published_at__isnull=True).count()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def bounded(call: Callable[[], Any], timeout: float = 30) -> Any:
    """``call()`` on a thread of its own, so a hang fails the test instead of holding CI."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(call())
        finally:
            connection.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"still running after {timeout}s"
    return result[0]


def relay_env(broker: PulsarLite, prefix: str, heartbeat: Path) -> dict[str, str]:
    return base_env(
        DATABASE_URL=shared_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="1",
        PULSAR_URL=broker.url,
        PULSAR_TOPIC_PREFIX=prefix,
        PULSAR_SEND_TIMEOUT_MS=str(SEND_TIMEOUT_MS),
        PULSAR_OPERATION_TIMEOUT_SEC=str(OPERATION_TIMEOUT_SEC),
        RELAY_HEARTBEAT_FILE=str(heartbeat),
    )


RELAY = [sys.executable, "manage.py", "relay_events"]


@contextmanager
def relay_process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A `relay_events` process logging to ``log``; killed if the test leaves it running."""
    with log.open("w") as output:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


# --- publishing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keys_created_deleted_and_claimed_publish_each_event_once_on_its_topic_without_pii(
    broker, prefix, publisher, make_account, make_entry
) -> None:
    account = make_account()
    entry = make_entry(account, "EMAIL", "maria.silva@example.com")
    entry_delete(user=account.holder.user, entry_id=entry.pk)
    entry_unregister(entry_id=entry.pk)
    claim, claimed = incoming_claim(account)
    events = list(DomainEvent.objects.order_by("sequence"))
    assert {"HolderCreated", "AccountCreated", "EntryCreated", "EntryActivated", "EntryDeleteRequested"} <= {
        e.event_type for e in events
    }
    assert {"EntryDeleted", "ClaimReceived"} <= {e.event_type for e in events}

    report = relay_batch(publisher, batch_size=100, max_attempts=3, prefix=prefix)

    assert (sum(report.published.values()), unpublished()) == (len(events), 0)
    on_topic = {topic: [e for e in events if topic_of(e.aggregate_type, prefix) == topic] for topic in topics(prefix)}
    received = {topic: read_topic(broker.url, topic, len(expected)) for topic, expected in on_topic.items()}
    for topic, messages in received.items():
        expected = on_topic[topic]
        assert [m.event_id for m in messages] == [str(e.id) for e in expected], topic
        for message, event in zip(messages, expected, strict=True):
            assert message.key == event.aggregate_id
            assert message.properties == {
                "event_id": str(event.id),
                "event_type": event.event_type,
                "schema_version": str(event.schema_version),
            }
            assert message.body["event_id"] == str(event.id)
            assert (message.body["sequence"], message.body["payload"]) == (event.sequence, event.payload)
    wire = repr(received)
    holder = account.holder
    for pii in (entry.key_value, claimed.key_value, holder.tax_id, holder.name, holder.user.username):
        assert pii not in wire


@pytest.mark.django_db
def test_events_go_out_in_the_order_they_were_written_per_aggregate_whatever_their_clocks(
    broker, prefix, publisher
) -> None:
    aggregates = [str(uuid.uuid4()) for _ in range(3)]
    with transaction.atomic():  # one transaction: timestamps say little
        written = interleaved(aggregates, 30)
    # The second half written by a process whose clock runs an hour behind.
    DomainEvent.objects.filter(pk__in=[e.pk for e in written[15:]]).update(
        occurred_at=F("occurred_at") - timedelta(hours=1)
    )

    for _ in range(20):  # batches of 4 until nothing is left; bounded
        if not relay_batch(publisher, batch_size=4, max_attempts=3, prefix=prefix).taken:
            break

    statuses: dict[str, list[str]] = defaultdict(list)
    for message in read_topic(broker.url, prefix + "entries", len(written)):
        statuses[message.key].append(message.body["payload"]["status"])
    assert statuses == {a: [f"S{i}" for i in range(30) if i % 3 == n] for n, a in enumerate(aggregates)}


# --- crashes, outages, concurrency ----------------------------------------------------------------


def published_ids() -> set[str]:
    return {str(i) for i in DomainEvent.objects.filter(published_at__isnull=False).values_list("id", flat=True)}


@pytest.mark.django_db(transaction=True)
def test_a_relay_stopped_mid_batch_finishes_it_and_one_killed_repeats_at_most_its_batch(
    broker, prefix, tmp_path
) -> None:
    batch, total = 500, 2000
    with transaction.atomic():
        written = interleaved([str(uuid.uuid4()) for _ in range(10)], total)
    env = relay_env(broker, prefix, tmp_path / "relay.alive")
    watcher = client(broker.url)
    try:
        consumer = watcher.subscribe(
            prefix + "entries", "watch", consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )  # fmt: skip
        delivered: set[str] = set()  # message ids: pulsar-lite may deliver one twice

        def receive_until(count: int) -> None:
            while len(delivered) < count:
                delivered.add(str(consumer.receive(timeout_millis=30_000).message_id()))

        with relay_process([*RELAY, "--batch-size", str(batch)], env, tmp_path / "stopped.log") as relay:
            receive_until(100)
            relay.send_signal(signal.SIGTERM)
            assert relay.wait(timeout=30) == 0
        stopped_at = published_ids()
        assert len(stopped_at) % batch == 0 and len(stopped_at) < total  # whole batches, then it stopped
        sent = read_topic(broker.url, prefix + "entries", len(stopped_at))
        assert len(sent) == len(stopped_at)  # nothing sent and left unmarked

        with relay_process([*RELAY, "--batch-size", str(batch)], env, tmp_path / "killed.log") as relay:
            receive_until(len(stopped_at) + batch + 100)  # into its second batch
            relay.send_signal(signal.SIGKILL)
            relay.wait(timeout=30)
    finally:
        watcher.close()
    killed_at = published_ids()
    assert len(killed_at) % batch == 0 and len(delivered) > len(killed_at), "killed between two batches"
    unmarked = DomainEvent.objects.filter(published_at__isnull=True).order_by("sequence")
    killed_batch = {str(i) for i in unmarked.values_list("id", flat=True)[:batch]}

    again = subprocess.run(
        [*RELAY, "--once", "--batch-size", str(total)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert unpublished() == 0

    messages = read_topic(broker.url, prefix + "entries", total)
    copies = Counter(m.event_id for m in messages)
    assert set(copies) == {str(e.id) for e in written}  # none lost
    repeated = {event_id for event_id, count in copies.items() if count > 1}
    assert repeated <= killed_batch and len(messages) - total <= batch, len(messages) - total  # only that batch
    assert in_order_per_aggregate(first_deliveries(messages))


@pytest.mark.django_db(transaction=True)
def test_a_hung_or_stopped_broker_holds_the_backlog_until_it_is_back(broker, prefix, publisher, tmp_path, settings):
    settings.RELAY_HEARTBEAT_FILE = str(tmp_path / "relay.alive")
    written = interleaved([str(uuid.uuid4()) for _ in range(4)], 20)
    relay = Relay(publisher, batch_size=100, max_attempts=3, prefix=prefix)
    failures = sample("coredict_outbox_publish_failures_total", topic=prefix + "entries")

    broker.pause()
    try:
        hung = bounded(relay.round)  # a send waits PULSAR_SEND_TIMEOUT_MS at most
    finally:
        broker.resume()
    assert "Timeout" in hung.outage and relay.state == PULSAR_UNAVAILABLE
    with pytest.raises(CommandError, match="pulsar unavailable"):
        call_command("relay_alive", "--ready")
    call_command("relay_alive")  # alive all the same: liveness asks no dependency

    broker.stop()
    try:
        stopped = bounded(relay.round)
    finally:
        broker.start()
    assert stopped.outage and not sum(stopped.published.values())
    assert (unpublished(), DomainEvent.objects.filter(attempts__gt=0).count()) == (20, 0)  # nobody charged
    assert sample("coredict_outbox_publish_failures_total", topic=prefix + "entries") == failures + 2

    wait_until(lambda: bounded(relay.round) is not None and unpublished() == 0, "the backlog drained", timeout=30)
    assert relay.state == OK
    call_command("relay_alive", "--ready")
    received = read_topic(broker.url, prefix + "entries", len(written))
    assert [m.event_id for m in first_deliveries(received)] == [str(e.id) for e in written]


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_publish_everything_once_in_order_per_aggregate(broker, prefix, tmp_path) -> None:
    metrics_port = free_port()
    args = [*RELAY, "--batch-size", "10", "--poll-interval", "0.05"]
    env_a, env_b = (relay_env(broker, prefix, tmp_path / f"{name}.alive") for name in "ab")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with (
        relay_process([*args, "--metrics-port", str(metrics_port)], env_a, logs[0]) as a,
        relay_process(args, env_b, logs[1]) as b,
    ):
        beats = [Path(env["RELAY_HEARTBEAT_FILE"]) for env in (env_a, env_b)]
        wait_until(lambda: all(beat.exists() for beat in beats), "both relays turning", timeout=60)
        written = interleaved([str(uuid.uuid4()) for _ in range(4)], 600)  # committed one by one, as they race
        wait_until(lambda: unpublished() == 0, "the backlog drained", timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        for relay in (a, b):
            relay.send_signal(signal.SIGTERM)
        assert (a.wait(timeout=30), b.wait(timeout=30)) == (0, 0)  # each finished its batch and stopped

    received = read_topic(broker.url, prefix + "entries", len(written))
    assert sorted(m.event_id for m in received) == sorted(str(e.id) for e in written)  # all, each once
    assert in_order_per_aggregate(received)
    for log in logs:  # both took part
        assert sum(int(n) for n in re.findall(r"relay: published (\d+)", log.read_text())) > 0, log.read_text()
    assert re.search(rf'coredict_outbox_events_published_total{{topic="{re.escape(prefix)}entries"}} [1-9]', metrics)


# --- a poison event, the admin, metrics ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_poison_event_is_marked_failed_and_holds_back_only_its_own_aggregate(broker, prefix, publisher) -> None:
    entries = prefix + "entries"
    published, failures = (
        sample("coredict_outbox_events_published_total", topic=entries),
        sample("coredict_outbox_publish_failures_total", topic=entries),
    )
    first = entry_event("good-1")
    # A row the contract cannot carry (a tax id where the event type belongs), and one too big for the broker.
    poison = DomainEvent.objects.create(aggregate_type="entry", aggregate_id="poison", event_type="52998224725")
    behind = [entry_event("poison", f"S{i}") for i in range(5)]  # more than a batch holds
    too_big = entry_event("big", "x" * 6_000_000)
    other = entry_event("good-2")
    later = entry_event("good-1", "ACTIVE")

    reports = []
    for _ in range(10):  # rounds of 4 until one takes nothing; bounded
        reports.append(relay_batch(publisher, batch_size=4, max_attempts=3, prefix=prefix))
        if not reports[-1].taken:
            break

    assert reports[-1].taken == 0 and sum(r.marked_failed for r in reports) == 2
    assert [m.event_id for m in read_topic(broker.url, entries, 3)] == [str(e.id) for e in (first, other, later)]
    poison.refresh_from_db()
    too_big.refresh_from_db()
    assert (poison.attempts, too_big.attempts) == (3, 3) and poison.failed_at and too_big.failed_at
    assert poison.last_error.startswith("ContractError") and "52998224725" not in poison.last_error
    assert too_big.last_error.startswith("EventRefused: MessageTooBig")
    assert not DomainEvent.objects.filter(pk__in=[e.pk for e in behind], published_at__isnull=False).exists()
    assert sample("coredict_outbox_events_published_total", topic=entries) == published + 3
    assert sample("coredict_outbox_publish_failures_total", topic=entries) == failures + 6

    gauges = {family.name: family.samples[0].value for family in read_outbox()}
    assert (gauges["coredict_outbox_events_failed"], gauges["coredict_outbox_backlog_events"]) == (2, 7)
    assert gauges["coredict_outbox_lag_seconds"] > 0  # the first event behind the poison is waiting


@pytest.mark.django_db
def test_retrying_failed_events_takes_the_permission_and_puts_them_back_in_line(client, make_staff) -> None:
    failed = DomainEvent.objects.create(aggregate_type="entry", aggregate_id="x", event_type="EntryFrobbed")
    DomainEvent.objects.filter(pk=failed.pk).update(attempts=5, failed_at=timezone.now(), last_error="ContractError")
    url = reverse("admin:events_domainevent_changelist")
    action = {"action": "retry_publishing", "_selected_action": [str(failed.pk)]}

    viewer = make_staff("events.view_domainevent")
    with pytest.raises(Forbidden):
        event_retry_publishing_by_staff(user=viewer, event_ids=[failed.pk])
    client.force_login(viewer)
    assert "retry_publishing" not in client.get(f"{url}?failed_at__isempty=0").content.decode()
    client.post(url, action)
    failed.refresh_from_db()
    assert failed.failed_at is not None

    client.force_login(make_staff("events.view_domainevent", "events.retry_publishing"))
    page = client.post(url, action, follow=True).content.decode()
    assert "1 failed event(s) back in line to publish." in page
    failed.refresh_from_db()
    assert (failed.failed_at, failed.attempts) == (None, 0)


# --- probes and configuration ------------------------------------------------------------------------


@pytest.mark.django_db
def test_probes_report_pulsar_when_the_relay_is_configured_and_never_require_it(
    client, broker, settings, monkeypatch
) -> None:
    monkeypatch.setattr(health, "_event_broker_state", pulsar_state)
    settings.PULSAR_URL = broker.url
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["pulsar"]) == (200, "ok")
    assert health_to_pb(health.readiness()).pulsar == "ok"

    settings.PULSAR_URL = f"pulsar://127.0.0.1:{free_port()},127.0.0.1:{free_port()}"  # nobody listens
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["status"], answer.json()["pulsar"]) == (200, "ok", "unavailable")
    assert health_to_pb(health.readiness()).pulsar == "unavailable"


@pytest.mark.django_db
def test_with_pulsar_url_set_the_probes_report_the_broker_and_the_web_metrics_the_outbox(
    client, broker, settings, monkeypatch
) -> None:
    monkeypatch.setattr(health, "_event_broker_state", None)
    monkeypatch.setattr(kernel_metrics, "_reads", dict(kernel_metrics._reads))  # this test's registrations only
    settings.PULSAR_URL = broker.url
    apps.get_app_config("events").ready()  # as every process starting with PULSAR_URL set
    entry_event("waiting")

    assert client.get("/readyz").json()["pulsar"] == "ok"
    metrics = client.get("/metrics").content.decode()
    assert 'coredict_metrics_read_up{read="outbox"} 1.0' in metrics
    assert "coredict_outbox_backlog_events 1.0" in metrics and "coredict_outbox_events_failed 0.0" in metrics
    assert float(re.search(r"^coredict_outbox_lag_seconds (\S+)$", metrics, re.MULTILINE)[1]) >= 0


def test_without_pulsar_url_the_relay_refuses_to_start(settings) -> None:
    settings.PULSAR_URL = ""
    with pytest.raises(CommandError, match="PULSAR_URL is not set"):
        call_command("relay_events", "--once")
