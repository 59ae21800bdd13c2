"""What a batch change of 1,000 meetings costs. Run on demand; prints figures, asserts none.

    .venv/bin/python tests/bench/bench_batch.py [--size 1000] [--runs 10]

It fills its own database (SQLite under $VAR_DIR/bench, or DATABASE_URL when set: use a scratch
database, it is emptied) with `size` meetings as bench_search.py does, chooses them all as one
batch that turns the waiting room on, and measures, through Django's test client: a page of
the preview beside the list's first page (the page it is chosen from), the preview's totals
over every page (and asked for again, as kept), and the confirmation of all of them, per
meeting, beside the same change saved one meeting at a time through the edit page's action
(`meeting_actions.edit_meeting`) on a hundred other meetings, measured in the same run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from bench_sync import sqlite_url  # noqa: E402

os.environ.setdefault("DATABASE_URL", sqlite_url("batch.sqlite3"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Confirming queues a sync per meeting: into the bench's own broker folder, never consumed.
os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")

from bench_editor import line, measure  # noqa: E402
from bench_search import grow  # noqa: E402

REFERENCE = 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meetings import payloads
    from meetings.actions import batch as batch_actions
    from meetings.actions import meeting as meeting_actions
    from meetings.models import Batch, Meeting, Person

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    Batch.objects.all().delete()
    Meeting.objects.all().delete()
    Person.objects.all().delete()
    User = get_user_model()
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", password="bench-password-1"
    )
    client = Client()
    client.force_login(user)
    grow(0, args.size + REFERENCE)
    chosen_ones = Meeting.objects.order_by("start", "pk")
    reference_pks = list(chosen_ones.values_list("pk", flat=True)[args.size :])
    chosen = batch_actions.choose(chosen_ones.exclude(pk__in=reference_pks), actor=user)
    batch_actions.set_change(
        chosen, batch_actions.Change(Batch.Kind.SETTING, "settings.enable_waiting_room", True)
    )
    print(
        f"\n{connection.vendor}: a batch of {chosen.size} meetings (page {batch_actions.PAGE_SIZE})"
    )

    def listing():
        return client.get("/")

    def preview():
        return client.get(f"/batches/{chosen.pk}/preview/", {"page": 2})

    list_figures, preview_figures = measure(args.runs, listing, preview)
    line("list, first page", list_figures)
    line("preview, one page", preview_figures, (list_figures[0], "the list's page"))

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        counts = batch_actions.summary(chosen)
    took = (time.perf_counter() - began) * 1000
    print(
        f"{'preview totals, every page':<38} {len(queries):>3} queries  {took:9.1f} ms ({counts})"
    )

    # The totals as the preview asks for them: judged once, then kept while nothing changes.
    def totals():
        return client.get(f"/batches/{chosen.pk}/summary/")

    [kept] = measure(args.runs, totals)
    line("preview totals, asked again (kept)", kept, (list_figures[0], "the list's page"))

    # The reference: the same change, one edit at a time, as the edit page saves it.
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for meeting in Meeting.objects.select_related("settings", "reminders").filter(
            pk__in=reference_pks
        ):
            body = payloads.desired_body(meeting.load_userids())
            body["settings"] = {**body["settings"], "enable_waiting_room": True}
            meeting_actions.edit_meeting(meeting, body, actor=user, loaded_version=meeting.version)
    single = (time.perf_counter() - began) * 1000 / REFERENCE
    single_queries = len(queries) / REFERENCE
    print(f"{'single edits, per meeting':<38} {single_queries:>5.1f} queries  {single:7.2f} ms")

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/batches/{chosen.pk}/confirm/")
    assert response.status_code == 302, response
    took = (time.perf_counter() - began) * 1000
    per_meeting = took / chosen.size
    print(
        f"{'batch confirmation, per meeting':<38} {len(queries) / chosen.size:>5.1f} queries  "
        f"{per_meeting:7.2f} ms  {per_meeting / single:5.2f}× a single edit  "
        f"(all {chosen.size}: {len(queries)} queries, {took / 1000:.1f} s)"
    )


if __name__ == "__main__":
    main()
