from django.apps import AppConfig


class PossessionConfig(AppConfig):
    name = "possession"
    verbose_name = "Possession of phone and e-mail keys"
