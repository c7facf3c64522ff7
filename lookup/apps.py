from django.apps import AppConfig
from django.core import checks


class LookupConfig(AppConfig):
    name = "lookup"
    verbose_name = "Key lookups (GetEntry) and anti-scan limits"

    def ready(self) -> None:
        from lookup import metrics  # noqa: F401  (its refusal counter is exposed from the start)
        from lookup.checks import check_psp_category

        checks.register(check_psp_category)

        # The payer's entry in Redis follows every change to a user or a holder (lookup.payers).
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_save

        from accounts.models import Holder
        from lookup.payers import on_holder_changed, on_holder_saving, on_user_changed

        for signal in (post_save, post_delete):
            signal.connect(on_user_changed, sender=get_user_model(), dispatch_uid=f"lookup-payer-user-{signal}")
            signal.connect(on_holder_changed, sender=Holder, dispatch_uid=f"lookup-payer-holder-{signal}")
        pre_save.connect(on_holder_saving, sender=Holder, dispatch_uid="lookup-payer-holder-moved")
