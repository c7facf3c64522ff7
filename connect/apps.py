from django.apps import AppConfig


class ConnectConfig(AppConfig):
    name = "connect"
    verbose_name = "Connect (port to DICT)"

    def ready(self) -> None:
        """The probes report the directory's state (the breaker's) through the kernel's hook."""
        from common.health import register_directory_state
        from connect import metrics  # noqa: F401  (breaker state and call metrics are exposed from the start)
        from connect.client import connect_state

        register_directory_state(connect_state)
