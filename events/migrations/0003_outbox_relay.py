# The outbox relay's columns. Events already stored are numbered in (occurred_at, id) order before
# the column takes its default (a PostgreSQL sequence; see events/sequence.py), so the relay
# publishes the history oldest first.

import events.sequence
from django.db import migrations, models

SEQUENCE = events.sequence.SEQUENCE_NAME


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


def number_stored_events(apps, schema_editor):
    schema_editor.execute(
        "UPDATE events_domainevent SET sequence = numbered.n FROM ("
        " SELECT id, row_number() OVER (ORDER BY occurred_at, id) AS n FROM events_domainevent"
        ") AS numbered WHERE events_domainevent.id = numbered.id"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"SELECT setval('{SEQUENCE}', COALESCE(MAX(sequence), 0) + 1, false) FROM events_domainevent"
        )
        schema_editor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY events_domainevent.sequence")


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_domainevent_schema_version"),
    ]

    operations = [
        migrations.RunPython(create_sequence, drop_sequence),
        migrations.AddField(
            model_name="domainevent",
            name="sequence",
            field=models.BigIntegerField(null=True, editable=False),
        ),
        migrations.RunPython(number_stored_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="domainevent",
            name="sequence",
            field=models.BigIntegerField(db_default=events.sequence.NextEventSequence(), editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="domainevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="domainevent",
            name="last_error",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="domainevent",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterModelOptions(
            name="domainevent",
            options={
                "ordering": ["sequence"],
                "permissions": [("retry_publishing", "Can retry publishing failed events")],
            },
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(
                condition=models.Q(("failed_at__isnull", True), ("published_at__isnull", True)),
                fields=["sequence"],
                name="event_to_publish",
            ),
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(
                condition=models.Q(("published_at__isnull", True)),
                fields=["aggregate_type", "aggregate_id", "sequence"],
                name="event_unpublished_by_aggregate",
            ),
        ),
    ]
