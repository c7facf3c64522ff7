"""The back-office's one write: the staff roles' groups (backoffice.roles), kept as defined after every migrate."""

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS, transaction

from backoffice.roles import ROLES


def roles_ensure(*, using: str = DEFAULT_DB_ALIAS, apps: Apps = global_apps) -> dict[str, str]:
    """Create each role's group and give it exactly its permissions; idempotent. Returns each role's outcome:
    ``created``, ``updated`` (its permissions differed) or ``unchanged``.

    Django creates permissions in post_migrate, app by app in INSTALLED_APPS order, so this first asks for
    those the roles name itself (Django's own create_permissions, which creates only what is missing):
    it works on a fresh database whatever runs before it. ``apps`` is the migration state post_migrate gives.
    """
    for app_label in sorted({permission.split(".")[0] for permissions in ROLES.values() for permission in permissions}):
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    outcomes = {}
    with transaction.atomic(using=using):
        for name, permissions in ROLES.items():
            wanted = {
                permission_model.objects.using(using).get(content_type__app_label=app_label, codename=codename).pk
                for app_label, codename in (permission.split(".") for permission in permissions)
            }
            group, created = group_model.objects.using(using).get_or_create(name=name)
            held = set(group.permissions.values_list("pk", flat=True))
            if held != wanted:
                group.permissions.set(wanted)
            outcomes[name] = "created" if created else "updated" if held != wanted else "unchanged"
    return outcomes


def roles_after_migrate(*, using: str, apps: Apps = global_apps, **kwargs: object) -> None:
    """post_migrate's receiver (backoffice.apps): every migrate, a fresh database's included, and every flush
    (which empties the groups and passes no ``apps``; TransactionTestCase flushes after each test) leaves the roles
    as defined."""
    roles_ensure(using=using, apps=apps)
