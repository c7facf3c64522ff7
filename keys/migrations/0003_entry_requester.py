"""An entry's requester is a customer or the system: no user stands in for the system any more.

Entries that named the inactive ``dict:system`` user name no user now, with the SYSTEM requester;
claims.0003 deletes that user once nothing refers to it.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations, models

SYSTEM_USERNAME = "dict:system"  # the stand-in user before this migration


def system_user_to_system_requester(apps, schema_editor) -> None:
    Entry = apps.get_model("keys", "Entry")
    Entry.objects.filter(requested_by__username=SYSTEM_USERNAME).update(requested_by=None, requested_by_kind="SYSTEM")


def system_requester_to_system_user(apps, schema_editor) -> None:
    """Backwards, every entry needs a user again: the stand-in, inactive and with no usable password."""
    Entry = apps.get_model("keys", "Entry")
    system_entries = Entry.objects.filter(requested_by_kind="SYSTEM")
    if system_entries.exists():
        User = apps.get_model(settings.AUTH_USER_MODEL)
        defaults = {"is_active": False, "password": make_password(None)}
        user, _ = User.objects.get_or_create(username=SYSTEM_USERNAME, defaults=defaults)
        system_entries.update(requested_by=user)
        if schema_editor.connection.vendor == "postgresql":  # check the new references now: PostgreSQL
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # alters no table with checks pending


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('keys', '0002_entry_delete_pending'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='entry',
            name='requested_by_kind',
            field=models.CharField(choices=[('CUSTOMER', 'customer'), ('SYSTEM', 'system (directory/scheduler)')], default='CUSTOMER', max_length=8, verbose_name='requester'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='entry',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(system_user_to_system_requester, system_requester_to_system_user),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('requested_by__isnull', False), ('requested_by_kind', 'CUSTOMER')), models.Q(('requested_by__isnull', True), ('requested_by_kind', 'SYSTEM')), _connector='OR'), name='entry_requester_is_consistent'),
        ),
    ]
