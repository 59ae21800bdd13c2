"""The written-out statements (`meetings.rows`) read and write what the ORM would: a meeting
read in one query (the edit page, its redraws, the sync's load) is the meeting the ORM reads,
every column converted as the ORM converts it, the lists in order; the sync's rows of calls
are stored and changed as the ORM would store and change them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import audit, settle
from meetings.models import Meeting, MeetingSettings, Reminders, SyncAttempt
from meetings.rows import store_all, update_columns, update_where, where_sql, whole_meeting

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def lists(meeting):
    return meeting.invitees, meeting.hosts, meeting.ring_users


def columns(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_every_column_reads_as_the_orm_reads_it():
    meeting = make_meeting(
        title="季度复盘 ' \" %s",
        description="第一行\n第二行",
        settings={"password": "123456", "enable_waiting_room": True, "hosts": ["lisi"]},
        reminders={
            "is_repeat": 1,
            "repeat_type": 0,
            "repeat_until_type": 1,
            "repeat_until": int((timezone.now() + timedelta(days=20)).timestamp()),
            "remind_before": [0, 900],
        },
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        synced_state={"title": "旧", "settings": {"mute_all": False}},
        sub_meetings=[{"sub_meetingid": "s1", "start": 1_900_000_000, "deleted": False}],
        lease_expires=timezone.now(),
        pull_requested=True,
    )
    orm = Meeting.objects.select_related("settings", "reminders").get(pk=meeting.pk)

    read = whole_meeting(meeting.pk)

    assert columns(read) == columns(orm)
    assert columns(read.settings) == columns(orm.settings)
    assert columns(read.reminders) == columns(orm.reminders)
    assert read.reminders.repeat_until is not None and read.settings.password == "123456"
    assert read.reminders.remind_before == [0, 900]
    # A whole instance: it saves like any other.
    read.title = "改过"
    read.save(update_fields=["title"])
    assert Meeting.objects.get(pk=meeting.pk).title == "改过"


def test_its_settings_and_reminders_cost_no_query(django_assert_num_queries):
    meeting = make_meeting()
    read = whole_meeting(meeting.pk)

    with django_assert_num_queries(0):
        assert isinstance(read.settings, MeetingSettings)
        assert isinstance(read.reminders, Reminders)
        lists(read)


def test_the_lists_keep_their_order():
    # Out of alphabetical order on purpose: the order is WeCom's, not the database's.
    meeting = make_meeting(
        invitees=["wangwu", "lisi", "zhaoliu", "zhangsan"],
        settings={"hosts": ["zhaoliu", "lisi"], "remind_scope": 4, "ring_users": ["wangwu"]},
    )
    empty = make_meeting(invitees=[])

    assert lists(whole_meeting(meeting.pk)) == (
        ["wangwu", "lisi", "zhaoliu", "zhangsan"],
        ["zhaoliu", "lisi"],
        ["wangwu"],
    )
    assert lists(whole_meeting(meeting.pk)) == lists(
        Meeting.objects.get(pk=meeting.pk).load_userids()
    )
    assert lists(whole_meeting(empty.pk)) == ([], [], [])


def test_a_missing_meeting_reads_none():
    assert whole_meeting(10**9) is None


def test_a_meeting_without_its_settings_row_says_so_as_the_orm_does():
    meeting = make_meeting()
    MeetingSettings.objects.filter(meeting=meeting).delete()

    read = whole_meeting(meeting.pk)

    assert read is not None
    with pytest.raises(Meeting.settings.RelatedObjectDoesNotExist):
        _ = read.settings


def test_the_sync_reads_its_causing_event_in_the_same_query():
    meeting = make_meeting()
    older = audit.record("edit", meeting=meeting)
    newest = audit.record("edit", meeting=meeting)
    audit.record("edit", meeting=meeting, outcome="refused")
    audit.record("import", meeting=meeting)
    # An event of a version the meeting's row does not have yet is not its cause.
    meeting.version += 1
    audit.record("edit", meeting=meeting)

    read = whole_meeting(meeting.pk, cause=audit.causing_event("m"))

    assert older.pk < newest.pk
    assert read.cause == newest.pk
    assert whole_meeting(make_meeting().pk, cause=audit.causing_event("m")).cause is None


def attempt(meeting, path, **fields):
    return SyncAttempt(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=meeting.version,
        path=path,
        started_at=timezone.now(),
        duration_ms=3,
        request={"meetingid": meeting.meetingid, "title": "周会 ' \" %s", "n": [1, 2.5, None]},
        **fields,
    )


def test_rows_inserted_together_get_their_own_pks_in_order():
    meeting = make_meeting()
    rows = [attempt(meeting, "meeting/get_info"), attempt(meeting, "meeting/update")]
    before = SyncAttempt.objects.count()

    store_all(rows)

    assert SyncAttempt.objects.count() == before + 2
    assert rows[0].pk < rows[1].pk
    for row in rows:
        stored = SyncAttempt.objects.get(pk=row.pk)
        assert columns(stored) == columns(row)
        assert not row._state.adding


def test_an_update_changes_the_columns_named_and_no_other():
    meeting = make_meeting()
    row = attempt(meeting, "meeting/update", outcome=SyncAttempt.Outcome.RETRY)
    other = attempt(meeting, "meeting/get_info")
    store_all([row, other])

    update_columns(row, errcode=400031, errmsg="invalid settings", outcome="failed")

    stored = SyncAttempt.objects.get(pk=row.pk)
    assert (stored.errcode, stored.errmsg, stored.outcome) == (400031, "invalid settings", "failed")
    assert columns(stored) == columns(row)
    assert columns(SyncAttempt.objects.get(pk=other.pk)) == columns(other)
    with pytest.raises(AssertionError):
        update_columns(row, not_a_column=1)


def test_stored_rows_are_written_over_and_new_ones_inserted_in_one_statement():
    meeting = make_meeting()
    sent = attempt(meeting, "meeting/update", outcome=SyncAttempt.Outcome.RETRY)
    store_all([sent])
    sent.outcome, sent.errcode, sent.duration_ms = "ok", 0, 51
    read = attempt(meeting, "meeting/get_info", outcome="ok")
    before = SyncAttempt.objects.count()

    with CaptureQueriesContext(connection) as queries:
        store_all([sent, read], changed=("outcome", "errcode", "duration_ms"))

    assert len(queries) == 1
    assert SyncAttempt.objects.count() == before + 1
    assert read.pk > sent.pk
    for row in (sent, read):
        assert columns(SyncAttempt.objects.get(pk=row.pk)) == columns(row)


def test_an_update_by_condition_sets_values_and_expressions_and_returns_what_is_asked():
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(sync_tries=2, synced_state={"title": "旧"})
    table = connection.ops.quote_name(Meeting._meta.db_table)

    returned = update_where(
        Meeting,
        {"sync_tries": F("sync_tries") + 1, "synced_state": None, "title": "新 ' %s"},
        (f"{table}.version, %s", ["asked"]),
        pk=meeting.pk,
        version=meeting.version,
    )

    assert returned == (meeting.version, "asked")
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.sync_tries, stored.synced_state, stored.title) == (3, None, "新 ' %s")
    # No row matched: nothing written, nothing returned.
    assert update_where(Meeting, {"title": "x"}, pk=meeting.pk, version=-1) is None
    assert Meeting.objects.get(pk=meeting.pk).title == "新 ' %s"
    assert update_where(Meeting, {"title": "y"}, pk=meeting.pk) == (meeting.pk,)


def test_a_condition_built_once_selects_what_the_orm_selects(settings):
    settings.SYNC_SETTLE_SECONDS = 60
    settled, recent = make_meeting(), make_meeting()
    Meeting.objects.filter(pk=settled.pk).update(saved_at=Now() - timedelta(hours=1))
    Meeting.objects.filter(pk=recent.pk).update(saved_at=Now())
    pks = [settled.pk, recent.pk]

    condition, params = where_sql(Meeting, settle.settled())
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Meeting._meta.db_table)
        cursor.execute(
            f"SELECT id FROM {table} WHERE {condition} AND id IN (%s, %s)",  # noqa: S608
            [*params, *pks],
        )
        found = {pk for (pk,) in cursor.fetchall()}

    assert found == set(
        Meeting.objects.filter(settle.settled(), pk__in=pks).values_list("pk", flat=True)
    )
    assert found == {settled.pk}
    # Built once for equal conditions; another window is another condition.
    assert where_sql(Meeting, settle.settled()) is where_sql(Meeting, settle.settled())
    settings.SYNC_SETTLE_SECONDS = 7200
    assert where_sql(Meeting, settle.settled()) != (condition, params)


def test_more_rows_than_one_statement_binds_are_stored_in_order():
    meeting = make_meeting()
    many = [attempt(meeting, "meeting/get_info", errcode=n) for n in range(700)]

    store_all(many)

    assert [row.errcode for row in sorted(many, key=lambda row: row.pk)] == list(range(700))
    stored = SyncAttempt.objects.filter(meeting=meeting).order_by("pk")
    assert [(row.pk, row.errcode) for row in stored] == [(row.pk, row.errcode) for row in many]
