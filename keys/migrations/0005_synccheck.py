"""Sync check results per key type (keys.SyncCheck): what the scheduled check_sync found and repaired."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("keys", "0004_entry_update"),
    ]

    operations = [
        migrations.CreateModel(
            name="SyncCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "key_type",
                    models.CharField(
                        choices=[
                            ("CPF", "CPF"),
                            ("CNPJ", "CNPJ"),
                            ("PHONE", "PHONE"),
                            ("EMAIL", "EMAIL"),
                            ("EVP", "EVP"),
                        ],
                        max_length=8,
                    ),
                ),
                ("checked_at", models.DateTimeField()),
                (
                    "repair",
                    models.BooleanField(help_text="whether a repair ran (asked for, and the type was out of sync)"),
                ),
                ("ok_before", models.BooleanField(verbose_name="OK before repair")),
                ("ok", models.BooleanField(help_text="the result: after the repair when one ran", verbose_name="OK")),
                ("entries", models.PositiveIntegerField(help_text="our keys of this type at DICT, at the last check")),
                ("vsync", models.CharField(max_length=64, verbose_name="our VSync")),
                ("directory_vsync", models.CharField(max_length=64, verbose_name="DICT's VSync")),
                (
                    "differences",
                    models.PositiveIntegerField(default=0, help_text="CIDs on one side only, before the repair"),
                ),
                ("added_here", models.PositiveIntegerField(default=0)),
                ("corrected_here", models.PositiveIntegerField(default=0)),
                ("removed_here", models.PositiveIntegerField(default=0)),
                ("updated_at_dict", models.PositiveIntegerField(default=0, verbose_name="updated at DICT")),
                ("deleted_at_dict", models.PositiveIntegerField(default=0, verbose_name="deleted at DICT")),
                (
                    "skipped",
                    models.PositiveIntegerField(default=0, help_text="changed meanwhile: the next check sees them"),
                ),
                ("unresolved", models.PositiveIntegerField(default=0, help_text="left for staff")),
            ],
            options={
                "ordering": ["-checked_at", "-id"],
                "indexes": [models.Index(fields=["key_type", "-checked_at"], name="keys_syncch_key_typ_cd933f_idx")],
            },
        ),
    ]
