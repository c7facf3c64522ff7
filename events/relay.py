"""The outbox relay: publishes DomainEvent rows to Pulsar in order, at least once, with any number of relays.

One batch is one transaction:

1. take up to ``batch_size`` unpublished, not failed events, lowest ``sequence`` first, leaving out
   those behind a failed event of their aggregate (they wait for a person, and must not fill every
   batch), ``FOR UPDATE SKIP LOCKED``: rows another relay holds are passed over, not waited for;
2. keep an event only if every earlier unpublished event of its aggregate is in this batch too.
   An earlier one may be held by another relay (passed over in 1): publishing past it would break
   the aggregate's order, so the aggregate's later events wait, while other aggregates go on.
   (Per-aggregate advisory locks would serialise the same thing with a lock per key; this costs
   one indexed read per batch and holds nothing extra.)
3. send the kept events one by one, each acknowledged by the broker before the next;
4. mark the sent ones published, charge the refused ones an attempt, commit.

A crash between 3 and 4 sends that batch again: delivery is at least once, and consumers
deduplicate on the event id. A broker outage stops the batch at the first failed send and charges
nobody; what was sent before it is marked. An event refused for its content (events.publisher)
or that the contract cannot carry (events.wire) is charged an attempt and holds its aggregate's
later events back; after PULSAR_MAX_ATTEMPTS it is marked failed and keeps holding them until a
person retries it (the admin's "retry publishing"). No Connect call happens here, and the rows
locked are the outbox's own, which nothing but a relay and that admin action update.
"""

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from common.logging import mask_pii
from events import relay_liveness
from events.metrics import EVENTS_PUBLISHED, PUBLISH_FAILURES
from events.models import TO_PUBLISH, UNPUBLISHED, DomainEvent
from events.publisher import BrokerUnavailable, EventRefused, PulsarPublisher
from events.wire import ContractError, to_message, topic_of, topics

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SEC = 0.5  # after an outage (broker or database), doubling up to the cap
BACKOFF_MAX_SEC = 10.0
LAST_ERROR_LENGTH = 200  # DomainEvent.last_error


@dataclass
class BatchReport:
    """What one batch did; counts only, no event content (it is logged)."""

    taken: int = 0
    published: Counter = field(default_factory=Counter)  # per topic
    held_back: int = 0  # behind an earlier event of their aggregate: another relay's, or refused now
    refused: int = 0  # charged an attempt
    marked_failed: int = 0  # of those, reached PULSAR_MAX_ATTEMPTS
    outage: str = ""  # the broker error that stopped the batch

    def line(self) -> str:
        return (
            f"published {sum(self.published.values())}, held back {self.held_back}, refused {self.refused}"
            f" (marked failed {self.marked_failed}) of {self.taken}"
        )


def _topic_label(event: DomainEvent, prefix: str) -> str:
    try:
        return topic_of(event.aggregate_type, prefix)
    except ContractError:
        return "unroutable"


def _error_text(error: Exception) -> str:
    """What an operator reads in the admin: the kind of error and its message, masked, cut to the column."""
    return mask_pii(f"{type(error).__name__}: {error}")[:LAST_ERROR_LENGTH]


def _take(batch_size: int) -> tuple[list[DomainEvent], int]:
    """Lock up to ``batch_size`` events to publish and keep those whose earlier unpublished events are all
    among them (step 2 above); returns them in order and how many were held back."""
    behind_a_failed_one = DomainEvent.objects.filter(
        UNPUBLISHED,
        failed_at__isnull=False,
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        sequence__lt=OuterRef("sequence"),
    )
    candidates = DomainEvent.objects.filter(TO_PUBLISH).exclude(Exists(behind_a_failed_one)).order_by("sequence")
    taken = list(candidates.select_for_update(skip_locked=True)[:batch_size])
    if not taken:
        return [], 0
    aggregates = {(event.aggregate_type, event.aggregate_id) for event in taken}
    earlier_elsewhere = dict(
        ((aggregate_type, aggregate_id), first)
        for aggregate_type, aggregate_id, first in DomainEvent.objects.filter(UNPUBLISHED)
        .filter(reduce(or_, (Q(aggregate_type=t, aggregate_id=i) for t, i in aggregates)))
        .exclude(pk__in=[event.pk for event in taken])
        .order_by()
        .values_list("aggregate_type", "aggregate_id")
        .annotate(first=Min("sequence"))
    )
    kept = [
        event
        for event in taken
        if event.sequence < earlier_elsewhere.get((event.aggregate_type, event.aggregate_id), event.sequence + 1)
    ]
    return kept, len(taken) - len(kept)


def _charge(refused: list[tuple[DomainEvent, Exception]], max_attempts: int) -> int:
    """One attempt more for each refused event; those at ``max_attempts`` are marked failed. Returns how many."""
    now = timezone.now()
    marked = 0
    for event, error in refused:
        attempts = event.attempts + 1
        gave_up = attempts >= max_attempts
        text = _error_text(error)
        DomainEvent.objects.filter(pk=event.pk).update(
            attempts=attempts, last_error=text, failed_at=now if gave_up else None
        )
        if gave_up:
            marked += 1
            logger.error(
                "relay: event %s (%s) marked failed after %d attempts, holding back its aggregate: %s",
                event.pk,
                event.event_type,
                attempts,
                text,
            )
    return marked


def relay_batch(publisher: PulsarPublisher, *, batch_size: int, max_attempts: int, prefix: str) -> BatchReport:
    """One batch, steps 1 to 4 of the module's docstring, in one transaction."""
    report = BatchReport()
    sent: list[DomainEvent] = []
    with transaction.atomic():
        batch, report.held_back = _take(batch_size)
        report.taken = len(batch) + report.held_back
        stopped: set[tuple[str, str]] = set()  # aggregates whose next event may not go out in this batch
        refused: list[tuple[DomainEvent, Exception]] = []
        for event in batch:
            aggregate = (event.aggregate_type, event.aggregate_id)
            if aggregate in stopped:
                report.held_back += 1
                continue
            try:
                publisher.send(to_message(event, prefix))
            except BrokerUnavailable as error:
                PUBLISH_FAILURES.labels(topic=_topic_label(event, prefix)).inc()
                report.outage = str(error)
                break
            except (ContractError, EventRefused) as error:
                PUBLISH_FAILURES.labels(topic=_topic_label(event, prefix)).inc()
                stopped.add(aggregate)
                refused.append((event, error))
            else:
                sent.append(event)
        DomainEvent.objects.filter(pk__in=[event.pk for event in sent]).update(published_at=timezone.now())
        report.refused = len(refused)
        report.marked_failed = _charge(refused, max_attempts)
    for event in sent:  # counted once committed: a batch sent again after a crash counts once
        topic = topic_of(event.aggregate_type, prefix)
        EVENTS_PUBLISHED.labels(topic=topic).inc()
        report.published[topic] += 1
    return report


class Relay:
    """The relay process's loop: rounds of one batch, a heartbeat after each, backing off during outages."""

    def __init__(self, publisher: PulsarPublisher, *, batch_size: int, max_attempts: int, prefix: str) -> None:
        self.publisher = publisher
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.prefix = prefix
        self.state = relay_liveness.OK

    @classmethod
    def from_settings(cls, *, batch_size: int) -> "Relay":
        prefix = settings.PULSAR_TOPIC_PREFIX
        publisher = PulsarPublisher(
            settings.PULSAR_URL,
            topics(prefix),
            send_timeout_ms=settings.PULSAR_SEND_TIMEOUT_MS,
            operation_timeout_sec=settings.PULSAR_OPERATION_TIMEOUT_SEC,
        )
        return cls(publisher, batch_size=batch_size, max_attempts=settings.PULSAR_MAX_ATTEMPTS, prefix=prefix)

    def round(self) -> BatchReport:
        """Open the producers, publish one batch, write the heartbeat; outages are reported, never raised."""
        started = time.monotonic()
        report = BatchReport()
        try:
            self.publisher.open()
            report = relay_batch(
                self.publisher, batch_size=self.batch_size, max_attempts=self.max_attempts, prefix=self.prefix
            )
            state = relay_liveness.OK if not report.outage else relay_liveness.PULSAR_UNAVAILABLE
        except BrokerUnavailable as error:
            report.outage, state = str(error), relay_liveness.PULSAR_UNAVAILABLE
        except (OperationalError, InterfaceError) as error:
            connection.close()  # the next round connects afresh
            report.outage, state = type(error).__name__, relay_liveness.DATABASE_UNAVAILABLE
        if sum(report.published.values()) or report.refused:  # progress only: held back alone repeats every poll
            logger.info("relay: %s in %.2fs", report.line(), time.monotonic() - started)
        if state != self.state:
            log = logger.info if state == relay_liveness.OK else logger.warning
            log("relay: %s%s", state, f" ({report.outage}); the backlog waits" if report.outage else "")
        self.state = state
        relay_liveness.beat(state)
        return report

    def run(self, stop: threading.Event, *, poll_interval: float) -> None:
        """Until ``stop`` is set (a signal): a set ``stop`` lets the current batch finish, then returns."""
        backoff = BACKOFF_FIRST_SEC
        while not stop.is_set():
            report = self.round()
            if self.state != relay_liveness.OK:
                wait, backoff = backoff, min(backoff * 2, BACKOFF_MAX_SEC)
            else:  # a full batch that moved leaves more waiting: go again at once
                more = report.taken == self.batch_size and report.held_back < report.taken
                wait, backoff = (0.0 if more else poll_interval), BACKOFF_FIRST_SEC
            stop.wait(wait)

    def close(self) -> None:
        self.publisher.close()
        relay_liveness.stop_beating()
