"""Updates at DICT (keys.updates): the last update asked of DICT and whether it is still pending, and
the mark a holder's rename leaves on its keys until their owner data is refreshed at DICT."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("keys", "0003_entry_requester"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="update_account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.account",
            ),
        ),
        migrations.AddField(
            model_name="entry",
            name="update_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("USER_REQUESTED", "USER_REQUESTED"),
                    ("BRANCH_TRANSFER", "BRANCH_TRANSFER"),
                    ("RECONCILIATION", "RECONCILIATION"),
                    ("RFB_VALIDATION", "RFB_VALIDATION"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="entry",
            name="update_request_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="entry",
            name="update_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="entry",
            name="update_pending",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="entry",
            name="owner_refresh_due",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                condition=models.Q(("update_pending", True)),
                fields=["update_requested_at"],
                name="entry_update_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                condition=models.Q(("owner_refresh_due", True)), fields=["account"], name="entry_owner_refresh_due"
            ),
        ),
    ]
