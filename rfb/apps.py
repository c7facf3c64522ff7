from django.apps import AppConfig


class RfbConfig(AppConfig):
    name = "rfb"
    verbose_name = "Receita Federal (port to the tax id registry)"
