"""An example consumer of the events topics, written to be copied by downstream teams (`manage.py consume_events`).

- Key_Shared subscription: consumers of one subscription share the topic, and each aggregate's
  events go to one of them at a time, in order.
- At least once: the relay may publish an event twice (a crash before it marked the batch), so
  the consumer deduplicates on ``event_id``. It remembers the ids it has handled in Django's cache
  (Redis in every deployment but the embedded one) for ``dedupe_ttl`` seconds: a SET with a TTL is
  atomic, shared by every consumer of the subscription and expires on its own, where a table would
  need a cleanup job. The window only has to outlast redeliveries, which come within minutes. An
  id is remembered only once its event was handled, so a crash in between means handling again.
  The cache failing stops the consumer (its unacknowledged messages go to the others) instead of
  sending every event to the dead-letter topic: that is no fault of the events.
- A message that fails is negatively acknowledged and comes back after ``redelivery_delay_ms``
  (meanwhile later events of its key may arrive: an action that needs strict order must check the
  ``sequence``). After ``max_redeliveries`` it goes to the dead-letter topic and stops blocking.
  (pulsar-lite, the test broker, redelivers on Key_Shared only once, so its dead-letter test runs
  on a Shared subscription; Apache Pulsar dead-letters on both.)
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulsar
from django.core.cache import cache

from events.publisher import pulsar_client

logger = logging.getLogger(__name__)

RECEIVE_TIMEOUT_MS = 500  # how soon a stop request is noticed while the topic is quiet
WIRE_FIELDS = frozenset(
    {"event_id", "event_type", "schema_version", "aggregate_type", "aggregate_id", "sequence", "occurred_at", "payload"}
)


class MalformedEvent(ValueError):
    """A message that is no event of our contract (events.wire): handling it again will not help."""


class ProcessedIds:
    """Event ids already handled, in the cache, each for ``ttl`` seconds."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl

    def seen(self, event_id: str) -> bool:
        return cache.get(f"events:processed:{event_id}") is not None

    def remember(self, event_id: str) -> None:
        cache.set(f"events:processed:{event_id}", 1, timeout=self.ttl)


def parse_event(message: pulsar.Message) -> dict[str, Any]:
    """The event a message carries; MalformedEvent if it does not follow events.wire."""
    try:
        event = json.loads(message.data())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"not JSON: {error}") from error
    if not isinstance(event, dict) or not event.keys() >= WIRE_FIELDS or not isinstance(event["payload"], dict):
        raise MalformedEvent("not an event object")
    if event["event_id"] != message.properties().get("event_id"):
        raise MalformedEvent("event_id differs from the message's property")
    return event


@dataclass
class ConsumerCounts:
    handled: int = 0
    duplicates: int = 0
    failed: int = 0


class EventConsumer:
    """Receives, deduplicates and hands each event to ``act``; stops when ``stop`` is set."""

    def __init__(
        self,
        url: str,
        topic: str,
        subscription: str,
        *,
        act: Callable[[dict[str, Any]], None],
        processed: ProcessedIds,
        max_redeliveries: int,
        redelivery_delay_ms: int,
        operation_timeout_sec: int,
        consumer_type: pulsar.ConsumerType = pulsar.ConsumerType.KeyShared,
    ) -> None:
        self.act = act
        self.processed = processed
        self.counts = ConsumerCounts()
        self.dead_letter_topic = f"{topic}-{subscription}-DLQ"  # Pulsar's own default name, spelled out
        self._client = pulsar_client(url, operation_timeout_sec=operation_timeout_sec)
        self._consumer = self._client.subscribe(
            topic,
            subscription,
            consumer_type=consumer_type,
            initial_position=pulsar.InitialPosition.Earliest,
            negative_ack_redelivery_delay_ms=redelivery_delay_ms,
            dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(
                max_redeliver_count=max_redeliveries, dead_letter_topic=self.dead_letter_topic
            ),
        )

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                message = self._consumer.receive(timeout_millis=RECEIVE_TIMEOUT_MS)
            except pulsar.Timeout:
                continue
            self.handle(message)

    def handle(self, message: pulsar.Message) -> None:
        """Acknowledge a duplicate or a handled event; negatively acknowledge a failure (ids only in the log)."""
        event_id = message.properties().get("event_id", "")
        if event_id and self.processed.seen(event_id):
            self.counts.duplicates += 1
            self._consumer.acknowledge(message)
            return
        try:
            event = parse_event(message)
            self.act(event)
        except Exception as error:  # the event's failure: the broker redelivers it, then dead-letters it
            self.counts.failed += 1
            logger.warning(
                "consumer: event %s failed (delivery %d): %s",
                event_id or "without id",
                message.redelivery_count() + 1,
                type(error).__name__,
            )
            self._consumer.negative_acknowledge(message)
            return
        self.processed.remember(event["event_id"])
        self.counts.handled += 1
        self._consumer.acknowledge(message)

    def close(self) -> None:
        self._client.close()
