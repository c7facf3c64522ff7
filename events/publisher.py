"""The relay's side of Pulsar: one client, one producer per topic, every wait bounded.

A send returns once the broker has stored the message, or raises one of two errors, and which one
decides what the relay does next:

- ``BrokerUnavailable``: the broker or the way to it (timeouts, connection, lookups, a topic not
  ready, authorization). The batch stops there and no event is charged: the backlog waits.
- ``EventRefused``: this message can never be taken as it is (too big, malformed). The event is
  charged an attempt, and after PULSAR_MAX_ATTEMPTS of them marked failed.

A hung broker holds a send at most ``send_timeout_ms`` and any other operation (connecting,
creating a producer) ``operation_timeout_sec``.
"""

import pulsar

from events.wire import WireMessage

# Failures only a message's own content causes; every other PulsarException is the broker's.
_REFUSALS = (pulsar.MessageTooBig, pulsar.InvalidMessage)


class BrokerUnavailable(Exception):
    pass


class EventRefused(Exception):
    pass


def pulsar_client(url: str, *, operation_timeout_sec: int) -> pulsar.Client:
    """A client that logs through the C++ console logger: a Python logger makes the process abort at
    exit (apache/pulsar-client-python#256, STACK_NOTES_2 §1). Its lines name topics, never payloads."""
    return pulsar.Client(
        url,
        operation_timeout_seconds=operation_timeout_sec,
        connection_timeout_ms=operation_timeout_sec * 1000,
        logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn),
    )


class PulsarPublisher:
    """Producers for a fixed set of topics, opened together, so the relay knows the broker's state
    before it takes a batch (and takes none while it cannot publish)."""

    def __init__(self, url: str, topics: list[str], *, send_timeout_ms: int, operation_timeout_sec: int) -> None:
        self._client = pulsar_client(url, operation_timeout_sec=operation_timeout_sec)
        self._topics = topics
        self._send_timeout_ms = send_timeout_ms
        self._producers: dict[str, pulsar.Producer] = {}

    def open(self) -> None:
        """Create the producers not created yet; BrokerUnavailable at the first that fails."""
        for topic in self._topics:
            if topic not in self._producers:
                try:
                    self._producers[topic] = self._client.create_producer(
                        topic,
                        send_timeout_millis=self._send_timeout_ms,
                        block_if_queue_full=False,
                        batching_enabled=False,  # one synchronous send per event: its receipt is the event's
                    )
                except pulsar.PulsarException as error:
                    raise BrokerUnavailable(f"{type(error).__name__}: {error}") from error

    def connected(self) -> bool:
        """Every producer exists and holds a connection (no network round trip)."""
        return len(self._producers) == len(self._topics) and all(p.is_connected() for p in self._producers.values())

    def send(self, message: WireMessage) -> None:
        producer = self._producers.get(message.topic)
        if producer is None:
            raise BrokerUnavailable(f"no producer for {message.topic} (call open first)")
        try:
            producer.send(
                message.body,
                properties=message.properties,
                partition_key=message.key,
                event_timestamp=message.event_timestamp,
            )
        except _REFUSALS as error:
            raise EventRefused(f"{type(error).__name__}: {error}") from error
        except pulsar.PulsarException as error:
            raise BrokerUnavailable(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        self._client.close()
