"""The database refuses to change or delete the record, whatever asks it to."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from meetings.actions import account as account_actions
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Meeting, SyncAttempt
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db


def refused(write):
    """True when the database refuses `write` (in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            write()
    except DatabaseError as err:
        # The triggers' words, or on PostgreSQL the app role's missing right: the tests run
        # as that role, and tests/audit/test_tamper.py tries the triggers as the owner too.
        assert "append-only" in str(err) or "permission denied" in str(err)
        return True
    return False


@pytest.fixture
def event(people):
    return account_actions.record_login(people["administrator"], source_ip="10.0.0.1")


@pytest.fixture
def attempt(event):
    meeting = make_meeting()
    return SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=1,
        path="meeting/update",
        started_at=timezone.now(),
        duration_ms=0,
        outcome=SyncAttempt.Outcome.RETRY,
        request={"title": "周会"},
        event=event,
    )


def test_it_refuses_every_way_of_changing_an_event(event):
    table = AuditEvent._meta.db_table

    def save_changed():
        event.actor_username = "someone-else"
        event.save()

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET actor_username = 'x' WHERE id = %s", [event.pk])

    assert refused(save_changed)
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(outcome="failed"))
    assert refused(raw_update)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_username, stored.outcome) == ("wang.admin", "ok")


def test_it_refuses_every_way_of_deleting_an_event(event):
    table = AuditEvent._meta.db_table

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")

    assert refused(lambda: AuditEvent.objects.get(pk=event.pk).delete())
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert refused(lambda: AuditEvent.objects.all().delete())
    assert refused(raw_delete)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_it_refuses_to_truncate_the_record(event):
    def truncate():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {AuditEvent._meta.db_table}")

    assert refused(truncate)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_to_change_what_an_attempt_sent_or_to_delete_it(attempt):
    table = SyncAttempt._meta.db_table

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET version = 9 WHERE id = %s", [attempt.pk])

    assert refused(lambda: SyncAttempt.objects.filter(pk=attempt.pk).update(request={}))
    assert refused(lambda: SyncAttempt.objects.filter(pk=attempt.pk).update(event=None))
    assert refused(raw_update)
    assert refused(lambda: SyncAttempt.objects.filter(pk=attempt.pk).delete())
    stored = SyncAttempt.objects.get(pk=attempt.pk)
    assert (stored.request, stored.version) == ({"title": "周会"}, 1)


def test_it_lets_the_worker_write_wecoms_answer_into_an_attempt(attempt):
    SyncAttempt.objects.filter(pk=attempt.pk).update(
        outcome=SyncAttempt.Outcome.OK, errcode=0, errmsg="ok", duration_ms=120
    )

    assert SyncAttempt.objects.get(pk=attempt.pk).outcome == SyncAttempt.Outcome.OK


def test_it_keeps_the_events_and_attempts_of_a_deleted_meeting(people, attempt):
    meeting = Meeting.objects.get(pk=attempt.meeting_id)
    meeting_actions.edit_meeting(
        meeting,
        {**_body(meeting), "title": "将被删除"},
        actor=people["administrator"],
        loaded_version=meeting.version,
    )

    Meeting.objects.filter(pk=meeting.pk).delete()

    event = AuditEvent.objects.get(action="edit")
    assert (event.meetingid, event.title) == (meeting.meetingid, "将被删除")
    assert SyncAttempt.objects.filter(meetingid=meeting.meetingid).count() == 1


def test_it_keeps_the_events_of_a_deleted_user(people, event):
    people["administrator"].delete()

    assert AuditEvent.objects.get(pk=event.pk).actor_username == "wang.admin"


def _body(meeting):
    from meetings import payloads

    return payloads.desired_body(meeting)
