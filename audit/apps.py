from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The LGPD audit trail of staff seeing PII in clear in the back-office."""

    name = "audit"
    verbose_name = "LGPD audit"

    def ready(self) -> None:
        """The kernel's admin mixin imports no app, so the audit names its recorder here."""
        from audit.services import pii_views_record
        from common.admin_helpers import register_pii_view_recorder

        register_pii_view_recorder(pii_views_record)
