"""An entry a claim took from us keeps the reason the claim was confirmed with: DEFAULT_OPERATION is
longer than the 16 characters DICT's delete reasons needed, and a choice of its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("keys", "0005_synccheck"),
    ]

    operations = [
        migrations.AlterField(
            model_name="entry",
            name="delete_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("USER_REQUESTED", "USER_REQUESTED"),
                    ("ACCOUNT_CLOSURE", "ACCOUNT_CLOSURE"),
                    ("RECONCILIATION", "RECONCILIATION"),
                    ("FRAUD", "FRAUD"),
                    ("RFB_VALIDATION", "RFB_VALIDATION"),
                    ("DEFAULT_OPERATION", "DEFAULT_OPERATION"),
                ],
                max_length=20,
            ),
        ),
    ]
