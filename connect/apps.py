from django.apps import AppConfig
from django.core import checks


class ConnectConfig(AppConfig):
    name = "connect"
    verbose_name = "Connect (port to DICT)"

    def ready(self) -> None:
        """The probes report the directory's state (the breaker's) through the kernel's hook; the TLS
        files are checked at start-up."""
        from common.health import register_directory_state
        from connect import metrics  # noqa: F401  (breaker state and call metrics are exposed from the start)
        from connect.checks import check_tls_files
        from connect.client import connect_state

        register_directory_state(connect_state)
        checks.register(check_tls_files)
