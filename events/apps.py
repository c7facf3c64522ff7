from django.apps import AppConfig
from django.conf import settings


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Domain events (outbox and audit trail)"

    def ready(self) -> None:
        """With the relay configured, every process reports Pulsar in its probes, and the web's /metrics the outbox.

        Without it nothing publishes, so a lag would only grow: neither is reported.
        """
        if settings.PULSAR_URL:
            from common.health import register_event_broker_state
            from common.metrics import register_database_read
            from events.broker_probe import pulsar_state
            from events.metrics import read_outbox

            register_event_broker_state(pulsar_state)
            register_database_read("outbox", read_outbox)
