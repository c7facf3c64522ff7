from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = "PIX keys (DICT entries)"

    def ready(self) -> None:
        """/metrics reads entries by status and the re-drive backlog at each scrape (common.metrics)."""
        from common.metrics import register_database_read
        from keys.metrics import read_entries

        register_database_read("keys", read_entries)
