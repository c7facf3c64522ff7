"""An example consumer (events/consumer.py): prints each event of a topic once, as a JSON line."""

import json
import signal
import threading
from typing import Any

import pulsar
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from events.consumer import EventConsumer, ProcessedIds
from events.wire import TOPICS

SUBSCRIPTION_TYPES = {"key_shared": pulsar.ConsumerType.KeyShared, "shared": pulsar.ConsumerType.Shared}


class Command(BaseCommand):
    help = (
        "Consume one events topic (Key_Shared unless told otherwise): each event once (deduplicated by id), "
        "printed as a JSON line; failures are redelivered, then dead-lettered. SIGTERM or SIGINT stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--topic",
            required=True,
            help=f"a full topic name, or one of {', '.join(TOPICS.values())} (with the prefix)",
        )
        parser.add_argument("--subscription", default="coredict-example", help="default coredict-example")
        parser.add_argument("--max-redeliveries", type=int, default=5, help="then the dead-letter topic (default 5)")
        parser.add_argument("--redelivery-delay-ms", type=int, default=60000, help="after a failure (default 60000)")
        parser.add_argument(
            "--subscription-type",
            choices=sorted(SUBSCRIPTION_TYPES),
            default="key_shared",
            help="key_shared (default: one consumer at a time per key, in order) or shared",
        )
        parser.add_argument(
            "--dedupe-ttl", type=int, default=7 * 24 * 3600, help="seconds an event id is remembered (default 7 days)"
        )

    def handle(
        self,
        *args,
        topic: str,
        subscription: str,
        max_redeliveries: int,
        redelivery_delay_ms: int,
        dedupe_ttl: int,
        subscription_type: str,
        **options,
    ) -> None:
        if not settings.PULSAR_URL:
            raise CommandError("PULSAR_URL is not set.")
        if topic in TOPICS.values():
            topic = settings.PULSAR_TOPIC_PREFIX + topic
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        consumer = EventConsumer(
            settings.PULSAR_URL,
            topic,
            subscription,
            act=self.print_event,
            processed=ProcessedIds(ttl=dedupe_ttl),
            max_redeliveries=max_redeliveries,
            redelivery_delay_ms=redelivery_delay_ms,
            operation_timeout_sec=settings.PULSAR_OPERATION_TIMEOUT_SEC,
            consumer_type=SUBSCRIPTION_TYPES[subscription_type],
        )
        try:
            consumer.run(stop)
        finally:
            consumer.close()
        counts = consumer.counts
        self.stderr.write(
            f"consumer: {counts.handled} handled, {counts.duplicates} duplicates skipped, {counts.failed} failures"
        )

    def print_event(self, event: dict[str, Any]) -> None:
        """The action; a real consumer does its work here (idempotently, as a redelivery may repeat it)."""
        self.stdout.write(json.dumps(event, sort_keys=True))
        self.stdout.flush()
