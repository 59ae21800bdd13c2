"""How the editor pages hold up with many meetings. Run on demand; prints figures, asserts none.

    .venv/bin/python tests/bench/bench_editor.py [--meetings 10000] [--runs 30]

It fills its own database (SQLite under $VAR_DIR/bench, or DATABASE_URL when set: use a scratch
database, it is emptied) and measures, through Django's test client, the queries and the
median server time of the list page and the edit page beside the Django admin's changelist
and change page over the same rows, one htmx fieldset redraw at 10 and at 300 invitees
beside its goal (10 ms) and beside the admin's change page of the same meeting, and a
200-occurrence recurrence preview. Run it on SQLite and again with DATABASE_URL set to a
PostgreSQL database. Requests of a pair run
interleaved, so that both see the same machine. Connections are kept or closed after each
request as a server does, by DB_CONN_MAX_AGE (the run prints it): set it as in production.
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
from bench_sync import sqlite_url  # noqa: E402

os.environ.setdefault("DATABASE_URL", sqlite_url("editor.sqlite3"))
# The test client's host.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


GOAL_MS = 10


def invite_many(meeting, count):
    """Give one meeting `count` invitees, so that a long list's redraw is measured too."""
    from meetings.models import Participant

    Participant.objects.filter(meeting=meeting, role=Participant.Role.INVITEE).delete()
    Participant.objects.bulk_create(
        Participant(meeting=meeting, role=Participant.Role.INVITEE, userid=userid, position=i)
        for i, userid in enumerate(["zhangsan", *(f"user{n:04d}" for n in range(count - 1))])
    )


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


def timed(request):
    """Wall and CPU milliseconds of one request, and its queries. The CPU time is this
    thread's: on a busy machine it shows what the code costs when the wall time cannot."""
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        began, began_cpu = time.perf_counter(), time.thread_time()
        # What a server does around each request and the test client leaves out: the
        # connection is kept or closed as DB_CONN_MAX_AGE says, and checked before reuse.
        close_old_connections()
        response = request()
        close_old_connections()
        elapsed, cpu = time.perf_counter() - began, time.thread_time() - began_cpu
    status = getattr(response, "status_code", 200)
    if status >= 400:
        raise SystemExit(f"HTTP {status}")
    return elapsed * 1000, cpu * 1000, len(captured)


def measure(runs, *requests):
    """Median and p95 wall time, median CPU time (ms) and the queries of each request, run in
    interleaved rounds."""
    for request in requests:
        timed(request)  # warm: templates and caches, as on a running server
    timings = [[] for _ in requests]
    cpu = [[] for _ in requests]
    queries = [0] * len(requests)
    for _ in range(runs):
        for index, request in enumerate(requests):
            elapsed, used, queries[index] = timed(request)
            timings[index].append(elapsed)
            cpu[index].append(used)
    return [
        (statistics.median(t), sorted(t)[int(0.95 * (len(t) - 1))], statistics.median(c), q)
        for t, c, q in zip(timings, cpu, queries, strict=True)
    ]


def line(label, figures, *references):
    """One request's figures, and its median as a ratio of each (reference ms, name)."""
    median, p95, cpu, queries = figures
    text = (
        f"{label:<38} {queries:>2} queries  p50 {median:7.2f} ms  p95 {p95:7.2f} ms  "
        f"cpu p50 {cpu:6.2f} ms"
    )
    for reference, reference_label in references:
        text += f"  {median / reference:5.2f}× {reference_label}"
    print(text, flush=True)


def compare(label, runs, ours, theirs, their_label):
    mine, admin = measure(runs, ours, theirs)
    line(label, mine, (admin[0], f"the admin's {their_label}"))
    line(f"  admin {their_label}", admin)


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
    from meetings.actions import account as account_actions
    from meetings.forms import saved_data
    from meetings.models import Meeting

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    began = time.perf_counter()
    fill(args.meetings)
    print(
        f"{connection.vendor}: {args.meetings} meetings filled in "
        f"{time.perf_counter() - began:.1f} s"
    )
    # Wall times mean little on a machine busy with other work: the load says how busy it is.
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"connections kept {connection.settings_dict['CONN_MAX_AGE']} s (DB_CONN_MAX_AGE)")

    # An administrator who is also an auditor, as the people who use both sets of pages
    # are: not a superuser, whose rights Django never reads from the database.
    User = get_user_model()
    user = User.objects.filter(username="bench").first()
    if user is None:
        user = User.objects.create_user("bench", password="bench-password-1")
        for role in account_actions.ROLES:
            account_actions.grant_role(user, role)
    client = Client()
    client.force_login(user)
    middle = Meeting.objects.order_by("start")[args.meetings // 2]
    crowded = Meeting.objects.order_by("start")[args.meetings // 2 + 1]
    invite_many(middle, 10)
    invite_many(crowded, 300)
    edit_url = reverse("meetings:edit", args=[middle.pk])

    compare(
        "list page (first page)",
        args.runs,
        lambda: client.get("/"),
        lambda: client.get("/admin/meetings/meeting/"),
        "changelist",
    )
    # The same rows deep in the list: the admin shows 100 a page, the list 25.
    page = max(1, min(200, args.meetings // 25))
    compare(
        f"list page (page {page})",
        args.runs,
        lambda: client.get(f"/?page={page}"),
        lambda: client.get(f"/admin/meetings/meeting/?p={(page - 1) // 4}"),
        "changelist",
    )
    compare(
        "list page (search by title)",
        args.runs,
        lambda: client.get("/?q=例会 4242"),
        lambda: client.get("/admin/meetings/meeting/?q=例会 4242"),
        "changelist",
    )
    compare(
        "edit page",
        args.runs,
        lambda: client.get(edit_url),
        lambda: client.get(f"/admin/meetings/meeting/{middle.pk}/change/"),
        "change page",
    )
    for meeting in (middle, crowded):
        meeting = Meeting.objects.select_related("settings", "reminders").get(pk=meeting.pk)
        url = reverse("meetings:edit", args=[meeting.pk])
        invitees = len(meeting.invitees)
        for part, field, value in (
            ("settings", "settings-remind_scope", "4"),
            ("people", "settings-hosts", "lisi"),
            ("changes", "title", "改过的标题"),
        ):
            # As htmx posts it: the whole form, urlencoded, naming the part to draw again.
            form = saved_data(meeting)
            form["_render"] = part
            form[field] = value
            body = form.urlencode()

            def redraw(url=url, body=body):
                return client.post(
                    url,
                    body,
                    content_type="application/x-www-form-urlencoded",
                    HTTP_HX_REQUEST="true",
                )

            def admin_page(meeting=meeting):
                return client.get(f"/admin/meetings/meeting/{meeting.pk}/change/")

            # Beside the admin's change page of the same meeting, in the same rounds.
            figures, admin = measure(args.runs, redraw, admin_page)
            line(
                f"htmx redraw ({part}, {invitees} invitees)",
                figures,
                (GOAL_MS, "the 10 ms goal"),
                (admin[0], "the admin's change page"),
            )
    start = int(middle.start.timestamp())
    [figures] = measure(
        args.runs, lambda: recurrence.preview(start, 3600, {"is_repeat": 1, "repeat_type": 0})
    )
    line("200-occurrence preview (daily, no end)", figures)


if __name__ == "__main__":
    main()
