"""How the editor pages hold up with many meetings. Run on demand; prints figures, asserts none.

    .venv/bin/python tests/bench/bench_editor.py [--meetings 10000] [--runs 30]

It fills its own database (SQLite under var/, or DATABASE_URL when set: use a scratch
database, it is emptied) and measures, through Django's test client, the queries and the
median server time of the list page, the edit page, one htmx partial re-render, and a
200-occurrence recurrence preview.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-editor.sqlite3'}")
# The test client's host.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def fill(count):
    from datetime import timedelta

    from django.utils import timezone

    from meetings.models import Meeting, MeetingSettings, Participant, Reminders, SyncState

    Meeting.objects.all().delete()
    first = timezone.now() + timedelta(days=1)
    people = ["lisi", "wangwu", "zhaoliu", "sunqi", "zhouba", "wujiu", "zhengshi", "chenyi"]
    batch = 1000
    for offset in range(0, count, batch):
        meetings = Meeting.objects.bulk_create(
            Meeting(
                meetingid=f"hybench{n:08d}",
                admin_userid="zhangsan",
                title=f"项目例会 {n}",
                start=first + timedelta(minutes=37 * n),
                duration=3600,
                version=1,
                synced_version=1,
                sync_state=SyncState.SYNCED,
            )
            for n in range(offset, min(offset + batch, count))
        )
        MeetingSettings.objects.bulk_create(MeetingSettings(meeting=m) for m in meetings)
        Reminders.objects.bulk_create(
            Reminders(meeting=m, is_repeat=True, repeat_type=0) for m in meetings
        )
        Participant.objects.bulk_create(
            Participant(
                meeting=m,
                role=Participant.Role.INVITEE,
                userid=userid,
                position=i,
            )
            for m in meetings
            for i, userid in enumerate(["zhangsan", *people[: 2 + m.pk % 6]])
        )


def measure(label, runs, request):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = request()
            timings.append(time.perf_counter() - began)
        status = getattr(response, "status_code", 200)
        if status >= 400:
            raise SystemExit(f"{label}: HTTP {status}")
        queries = len(captured)
    median = statistics.median(timings) * 1000
    p95 = sorted(timings)[int(0.95 * (len(timings) - 1))] * 1000
    print(f"{label:<42} {queries:>3} queries   median {median:7.2f} ms   p95 {p95:7.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from meetings import recurrence
    from meetings.forms import saved_data
    from meetings.models import Meeting

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    began = time.perf_counter()
    fill(args.meetings)
    print(f"{connection.vendor}: {args.meetings} meetings filled in "
          f"{time.perf_counter() - began:.1f} s")

    User = get_user_model()
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", password="bench-password-1"
    )
    client = Client()
    client.force_login(user)
    meeting = Meeting.objects.order_by("start")[args.meetings // 2]
    edit_url = reverse("meetings:edit", args=[meeting.pk])
    form = saved_data(meeting)
    form["_render"] = "settings"
    form["settings-remind_scope"] = "4"

    measure("list page (first page)", args.runs, lambda: client.get("/"))
    measure("list page (page 200)", args.runs, lambda: client.get("/?page=200"))
    measure("list page (search by userid)", args.runs, lambda: client.get("/?q=sunqi"))
    measure("edit page", args.runs, lambda: client.get(edit_url))
    measure(
        "htmx partial re-render (settings)",
        args.runs,
        lambda: client.post(edit_url, form, HTTP_HX_REQUEST="true"),
    )
    start = int(meeting.start.timestamp())
    measure(
        "200-occurrence preview (daily, no end)",
        args.runs,
        lambda: recurrence.preview(start, 3600, {"is_repeat": 1, "repeat_type": 0}),
    )


if __name__ == "__main__":
    main()
