"""The outbox relay as a process of its own (deploy/entrypoint.sh relay); the work is events.relay's."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from prometheus_client import start_http_server

from events.relay import Relay
from events.relay_liveness import OK

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Publish unpublished domain events to Pulsar (PULSAR_URL), in order per aggregate, at least once. "
        "Several may run at once. SIGTERM or SIGINT lets the batch in hand finish, then stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="one batch, then exit (1 if Pulsar or the database failed)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=100, help="events per batch and transaction (default 100)"
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=1.0,
            help="seconds to wait when nothing is left to publish (default 1)",
        )
        parser.add_argument(
            "--metrics-port", type=int, default=0, help="serve Prometheus metrics on METRICS_BIND:port (default: off)"
        )

    def handle(self, *args, once: bool, batch_size: int, poll_interval: float, metrics_port: int, **options) -> None:
        if not settings.PULSAR_URL:
            raise CommandError("PULSAR_URL is not set: without a broker, events stay in the table.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if metrics_port:
            start_http_server(metrics_port, addr=settings.METRICS_BIND)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        relay = Relay.from_settings(batch_size=batch_size)
        logger.info("relay: publishing to %s* in batches of %d", settings.PULSAR_TOPIC_PREFIX, batch_size)
        try:
            if once:
                relay.round()
            else:
                relay.run(stop, poll_interval=poll_interval)
        finally:
            relay.close()
        if once and relay.state != OK:
            raise CommandError(f"relay: {relay.state}", returncode=1)
