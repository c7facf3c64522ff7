"""A claim's requester is a customer or the system (a claim DICT brought us names no user).

Then the inactive ``dict:system`` user that entries named before keys.0003 is deleted, unless
something still refers to it.
"""

from django.conf import settings
from django.db import migrations, models

SYSTEM_USERNAME = "dict:system"  # the stand-in user before keys.0003


def _referenced(user) -> bool:
    """Whether a row of any model (hidden relations included, e.g. events' actor) points at ``user``."""
    relations = [f for f in user._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete]
    return any(r.related_model._base_manager.filter(**{r.field.name: user}).exists() for r in relations)


def system_requester(apps, schema_editor) -> None:
    Claim = apps.get_model("claims", "Claim")
    Claim.objects.filter(requested_by__username=SYSTEM_USERNAME).update(requested_by=None)
    Claim.objects.filter(requested_by__isnull=True).update(requested_by_kind="SYSTEM")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    system = User.objects.filter(username=SYSTEM_USERNAME).first()
    if system is not None and not _referenced(system):
        system.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('claims', '0002_claimstart'),
        ('events', '0002_domainevent_schema_version'),  # its actor relation is among those checked
        ('keys', '0003_entry_requester'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='requested_by_kind',
            field=models.CharField(choices=[('CUSTOMER', 'customer'), ('SYSTEM', 'system (directory/scheduler)')], default='CUSTOMER', max_length=8, verbose_name='requester'),
            preserve_default=False,
        ),
        migrations.RunPython(system_requester, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('requested_by__isnull', False), ('requested_by_kind', 'CUSTOMER')), models.Q(('requested_by__isnull', True), ('requested_by_kind', 'SYSTEM')), _connector='OR'), name='claim_requester_is_consistent'),
        ),
    ]
