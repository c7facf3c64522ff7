from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims (ownership) and the shared claim lifecycle"

    def ready(self) -> None:
        # keys knows nothing of claims: a claim in progress holds one of its account's key slots
        # through this counter (keys.services.check_key_slot).
        from claims.selectors import key_slots_held_by_claims
        from keys.services import register_key_slot_counter

        register_key_slot_counter(key_slots_held_by_claims)

        # /metrics reads the open claims by deadline at each scrape (common.metrics).
        from claims.metrics import read_open_claims
        from common.metrics import register_database_read

        register_database_read("claims", read_open_claims)
