from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims (ownership) and the shared claim lifecycle"

    def ready(self) -> None:
        # keys knows nothing of claims: a claim in progress holds one of its account's key slots,
        # which keys counts among the rows these queries return (keys.services.check_key_slot).
        from claims.selectors import key_slot_holders
        from keys.services import register_key_slot_holders

        register_key_slot_holders(key_slot_holders)

        # Closing an account settles its open claims before keys deletes the keys left (stage 20).
        from accounts.services import register_account_closure_step
        from claims.services import claims_settle_for_closed_account

        register_account_closure_step(claims_settle_for_closed_account, stage=10)
        # ...and a closed account with claims still open is one the closure job runs again (keys.updates).
        from claims.selectors import accounts_with_claims_to_settle
        from keys.selectors import register_closure_backlog

        register_closure_backlog(accounts_with_claims_to_settle)

        # /metrics reads the open claims by deadline at each scrape (common.metrics).
        from claims.metrics import read_open_claims
        from common.metrics import register_database_read

        register_database_read("claims", read_open_claims)
