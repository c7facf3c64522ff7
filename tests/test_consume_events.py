"""The example consumer (`manage.py consume_events`, events/consumer.py) against pulsar-lite with the real client:
each event handled once however often it arrives, failures redelivered and then dead-lettered."""

import json
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pulsar
import pytest
from django.conf import settings

from events.consumer import EventConsumer, ProcessedIds
from events.publisher import PulsarPublisher
from events.relay import relay_batch
from events.services import event_record
from events.types import EntryEvent
from events.wire import to_message, topics
from tests.e2e_support import ROOT, base_env, wait_until
from tests.pulsar_lite_broker import client, read_topic

pytestmark = pytest.mark.e2e


@pytest.fixture
def publisher(broker, prefix) -> Iterator[PulsarPublisher]:
    made = PulsarPublisher(broker.url, topics(prefix), send_timeout_ms=2000, operation_timeout_sec=2)
    made.open()
    yield made
    made.close()


def entry_event(aggregate_id: str, status: str):
    return event_record(
        event_type=EntryEvent.CREATED, aggregate_id=aggregate_id, payload={"status": status, "key_type": "EVP"}
    )


@pytest.mark.django_db
def test_the_command_prints_each_event_once_in_order_however_often_it_arrives(broker, prefix, publisher, tmp_path):
    written = [entry_event(f"key-{i % 2}", f"S{i}") for i in range(6)]
    relay_batch(publisher, batch_size=100, max_attempts=3, prefix=prefix)
    publisher.send(to_message(written[2], prefix))  # published again, as after a relay's crash
    publisher.send(to_message(written[5], prefix))
    written.append(entry_event("key-0", "S6"))  # after the copies: once it is printed, they were read
    relay_batch(publisher, batch_size=100, max_attempts=3, prefix=prefix)
    env = base_env(
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=f"consume-{uuid.uuid4().hex}",  # processed ids of its own
        PULSAR_URL=broker.url,
        PULSAR_TOPIC_PREFIX=prefix,
        PULSAR_OPERATION_TIMEOUT_SEC="2",
    )
    printed, log = tmp_path / "printed.jsonl", tmp_path / "consumer.log"
    with printed.open("w") as stdout, log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "consume_events", "--topic", "entries"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        wait_until(lambda: len(printed.read_text().splitlines()) >= 7 or process.poll() is not None, "7 events", 60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)

    events = [json.loads(line) for line in printed.read_text().splitlines()]
    assert [e["event_id"] for e in events] == [str(e.id) for e in written]  # each once, in order
    assert events[0]["payload"] == {"status": "S0", "key_type": "EVP"}
    assert "7 handled, 2 duplicates skipped, 0 failures" in log.read_text()


def test_a_message_that_keeps_failing_goes_to_the_dead_letter_topic_and_blocks_no_other_key(broker, prefix) -> None:
    topic = prefix + "entries"
    good = {"event_id": str(uuid.uuid4()), "event_type": "EntryCreated", "schema_version": 1, "sequence": 1}
    good |= {"aggregate_type": "entry", "aggregate_id": "k-good", "occurred_at": "2026-11-29T00:00:00+00:00"}
    good["payload"] = {"status": "PENDING", "key_type": "EVP"}
    producing = client(broker.url)
    try:
        producer = producing.create_producer(topic)
        producer.send(b"not an event", partition_key="k-bad", properties={"event_id": "bad-1"})
        producer.send(json.dumps(good).encode(), partition_key="k-good", properties={"event_id": good["event_id"]})
    finally:
        producing.close()

    handled: list[dict] = []
    consumer = EventConsumer(
        broker.url,
        topic,
        "dlq-test",
        act=handled.append,
        processed=ProcessedIds(ttl=60),
        max_redeliveries=2,
        redelivery_delay_ms=100,
        operation_timeout_sec=2,
        consumer_type=pulsar.ConsumerType.Shared,  # pulsar-lite redelivers only once on Key_Shared
    )
    stop = threading.Event()
    running = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    running.start()
    try:
        wait_until(lambda: consumer.counts.failed >= 3, "the bad message delivered three times", timeout=30)
        dead = read_topic(broker.url, consumer.dead_letter_topic, 1)
    finally:
        stop.set()
        running.join(timeout=30)
        consumer.close()
    assert not running.is_alive()
    assert [h["event_id"] for h in handled] == [good["event_id"]]  # the other key went on
    assert consumer.counts.failed == 3  # delivered once, redelivered twice, then dead-lettered
    assert [(d.key, d.properties["event_id"], d.body) for d in dead] == [("k-bad", "bad-1", {"raw": "not an event"})]
