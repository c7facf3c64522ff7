from django.apps import AppConfig


class DictsimConfig(AppConfig):
    name = "dictsim"
    verbose_name = "Simulated DICT (central directory)"
