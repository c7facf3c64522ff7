from django.apps import AppConfig


class LookupConfig(AppConfig):
    name = "lookup"
    verbose_name = "Key lookups (GetEntry) and anti-scan limits"
