from django.apps import AppConfig


class CommonConfig(AppConfig):
    """An app only so Django finds the kernel's management commands (``grpcserver``, ``serve``); it has no models."""

    name = "common"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from common.throttling import drf_lockout

        user_locked_out.connect(drf_lockout, dispatch_uid="common.throttling.drf_lockout")
