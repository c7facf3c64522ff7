from django.apps import AppConfig


class CommonConfig(AppConfig):
    """An app only so Django finds the kernel's management commands (``grpcserver``); it has no models."""

    name = "common"
    verbose_name = "Kernel"
