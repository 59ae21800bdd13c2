"""How the list's search holds up as meetings grow. Run on demand; prints figures, asserts none.

    .venv/bin/python tests/bench/bench_search.py [--sizes 1000,10000,50000] [--runs 30]

It fills its own database (SQLite under $VAR_DIR/bench, or DATABASE_URL when set: use a scratch
database, it is emptied) in steps up to each size, like a company that grows: one person in
the directory for every ten meetings, each meeting with its organiser and five colleagues, so
that a person has about as many meetings at every size. At each size it measures, through
Django's test client, the list page searching by title, by a person's name, by userid and by
meeting code (each finding a few meetings), and the list's first page, and prints each median
beside the same search's median at the first size, as a ratio (the goal: at most 1.5).
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from bench_sync import sqlite_url  # noqa: E402

os.environ.setdefault("DATABASE_URL", sqlite_url("search.sqlite3"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from bench_editor import line, measure  # noqa: E402

TOPICS = ["产品评审", "项目例会", "季度复盘", "预算讨论", "招聘面试", "客户沟通", "技术分享"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
DEPARTMENTS = ["研发部", "财务部", "市场部", "人事部", "销售部", "法务部"]
PER_MEETING = 5


def person(n):
    """The n-th person of the directory: a userid and a name of their own."""
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[n // len(SURNAMES) % len(GIVEN)]
    name += GIVEN[n // (len(SURNAMES) * len(GIVEN)) % len(GIVEN)]
    return f"user{n:05d}", f"{name}{n:05d}"


def grow(start, count):
    """Meetings start…count-1 and the directory that goes with them."""
    from datetime import timedelta

    from django.utils import timezone

    from meetings.models import (
        Meeting,
        MeetingSettings,
        Participant,
        Person,
        Reminders,
        SyncState,
    )

    people = count // 10
    Person.objects.bulk_create(
        [
            Person(
                userid=userid,
                name=name,
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                source=Person.Source.CSV,
            )
            for n in range(start // 10, people)
            for userid, name in [person(n)]
        ]
    )
    first = timezone.now() + timedelta(days=1)
    randomly = random.Random(start)
    batch = 2000
    for offset in range(start, count, batch):
        numbers = range(offset, min(offset + batch, count))
        meetings = Meeting.objects.bulk_create(
            Meeting(
                meetingid=f"hysearch{n:08d}",
                meeting_code=f"{100000000 + n * 7919 % 899999999}",
                admin_userid=person(n % people)[0],
                title=f"{TOPICS[n % len(TOPICS)]}{n:06d}",
                start=first + timedelta(minutes=17 * n),
                duration=3600,
                synced_version=1,
                sync_state=SyncState.SYNCED,
            )
            for n in numbers
        )
        MeetingSettings.objects.bulk_create(MeetingSettings(meeting=m) for m in meetings)
        Reminders.objects.bulk_create(Reminders(meeting=m) for m in meetings)
        rows = []
        for meeting in meetings:
            organiser = meeting.admin_userid
            invited = {organiser}
            while len(invited) < PER_MEETING + 1:
                invited.add(person(randomly.randrange(people))[0])
            rows += [
                Participant(meeting=meeting, role=Participant.Role.INVITEE, userid=u, position=i)
                for i, u in enumerate(sorted(invited, key=lambda u: u != organiser))
            ]
        Participant.objects.bulk_create(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from meetings.forms import MeetingFilterForm
    from meetings.models import Meeting, Person

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    Meeting.objects.all().delete()
    Person.objects.all().delete()
    User = get_user_model()
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", password="bench-password-1"
    )
    client = Client()
    client.force_login(user)

    # Found at every size: a meeting and a person among the first thousand.
    target = Meeting(title=f"{TOPICS[500 % len(TOPICS)]}{500:06d}")
    userid, name = person(37)
    searches = {
        "title": target.title,
        "person's name": name,
        "userid": userid,
        "meeting code": None,
        "first page, no search": "",
    }
    reference = {}
    filled = 0
    for size in sizes:
        began = time.perf_counter()
        grow(filled, size)
        filled = size
        if connection.vendor == "postgresql":
            # The statistics autovacuum would have gathered on a database that grew this way.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        code = Meeting.objects.get(meetingid=f"hysearch{500:08d}").meeting_code
        searches["meeting code"] = f"{code[:3]} {code[3:6]} {code[6:]}"
        print(
            f"\n{connection.vendor}: {size} meetings, {Person.objects.count()} people "
            f"(filled in {time.perf_counter() - began:.1f} s)"
        )
        for label, text in searches.items():
            query = {"q": text} if text else {}

            def search(query=query):
                return client.get("/", query)

            found = MeetingFilterForm(query).filter(Meeting.objects.all()).count()
            [figures] = measure(args.runs, search)
            reference.setdefault(label, figures[0])
            line(f"{label} ({found} found)", figures, (reference[label], f"its time at {sizes[0]}"))


if __name__ == "__main__":
    main()
