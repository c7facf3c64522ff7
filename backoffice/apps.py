"""Django's admin app, as the back-office: the staff home page is its site's index, and the staff roles
are ensured after every migrate.

INSTALLED_APPS names this config in place of ``django.contrib.admin`` (Django's documented way to replace
the default site); its label stays ``admin``.
"""

from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AdminConfig):
    default_site = "backoffice.sites.BackofficeSite"

    def ready(self) -> None:
        super().ready()
        from backoffice.services import roles_after_migrate

        # sender=self: once per migrate (and flush); roles_ensure creates the permissions it needs first.
        post_migrate.connect(roles_after_migrate, sender=self, dispatch_uid="backoffice.roles_after_migrate")
