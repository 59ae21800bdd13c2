from django.db import migrations, models


def occurrences_flagged(apps, schema_editor):
    """Stored occurrences carried the meeting status (4 for a cancelled one); WeCom's own
    flag is whether the occurrence was deleted (get_info sub_meetings[].status 0/1)."""
    Meeting = apps.get_model("meetings", "Meeting")
    for meeting in Meeting.objects.exclude(sub_meetings=[]).only("pk", "sub_meetings"):
        occurrences = [
            {
                "sub_meetingid": o["sub_meetingid"], "start": o["start"], "end": o["end"],
                "deleted": o.get("deleted", o.get("status") == 4),
            }
            for o in meeting.sub_meetings
        ]
        Meeting.objects.filter(pk=meeting.pk).update(sub_meetings=occurrences)


class Migration(migrations.Migration):

    dependencies = [
        ("meetings", "0008_audit_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="pull_requested",
            field=models.BooleanField(default=False, verbose_name="read from WeCom requested"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="sync_problem",
            field=models.JSONField(blank=True, null=True, verbose_name="sync problem (code)"),
        ),
        migrations.RunPython(occurrences_flagged, migrations.RunPython.noop),
    ]
