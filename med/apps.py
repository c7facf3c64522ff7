from django.apps import AppConfig


class MedConfig(AppConfig):
    name = "med"
    verbose_name = "MED: infraction reports, refunds and fraud markers"

    def ready(self) -> None:
        # /metrics reads the reports due for analysis at each scrape (common.metrics).
        from common.metrics import register_database_read
        from med.metrics import read_med_due

        register_database_read("med", read_med_due)
