from django.db import migrations, models

import meetings.models


def install_title_index(apps, schema_editor):
    from meetings import search

    search.install_index(schema_editor.connection)


def drop_title_index(apps, schema_editor):
    from meetings import search

    search.drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0009_sync_read_back"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="saved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last saved"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="unsynced_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="unsynced since"),
        ),
        migrations.AlterField(
            model_name="meeting",
            name="meeting_code",
            field=models.CharField(
                blank=True, db_index=True, max_length=32, verbose_name="meeting code"
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="last_occurrence",
            field=models.GeneratedField(
                db_index=True,
                db_persist=True,
                expression=meetings.models.LastOccurrence("sub_meetings"),
                output_field=models.BigIntegerField(null=True),
                verbose_name="last occurrence",
            ),
        ),
        # Trigram search over titles: pg_trgm on PostgreSQL, FTS5 on SQLite (meetings.search).
        migrations.RunPython(install_title_index, drop_title_index),
    ]
