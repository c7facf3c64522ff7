from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = "PIX keys (DICT entries)"

    def ready(self) -> None:
        """/metrics reads entries by status, the re-drive backlog and the sync checks at each scrape (common.metrics);
        the accounts hooks for renames and closures."""
        from common.metrics import register_database_read
        from keys.metrics import read_entries, read_sync_checks

        register_database_read("keys", read_entries)
        register_database_read("keys_sync", read_sync_checks)

        # accounts knows nothing of keys: a holder's new names and an account's closure reach its keys
        # through these (keys.updates).
        from accounts.services import register_account_closure_step, register_holder_renamed_hook
        from keys.updates import account_entries_close, holder_entries_mark_for_refresh

        register_holder_renamed_hook(holder_entries_mark_for_refresh)
        register_account_closure_step(account_entries_close, stage=20)
