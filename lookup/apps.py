from django.apps import AppConfig
from django.core import checks


class LookupConfig(AppConfig):
    name = "lookup"
    verbose_name = "Key lookups (GetEntry) and anti-scan limits"

    def ready(self) -> None:
        from lookup import metrics  # noqa: F401  (its refusal counter is exposed from the start)
        from lookup.checks import check_psp_category

        checks.register(check_psp_category)
