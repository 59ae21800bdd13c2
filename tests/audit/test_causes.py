"""What a sync's ending settles, read by one written-out query (`audit.causes`), is what the
ORM's `with_outcome` says: the same events, the same effective outcomes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings import audit
from meetings.models import AuditEvent, Meeting
from meetings.rows import quote_table
from meetings.sync.lease import Lease
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db

Outcome = AuditEvent.Outcome


def orm_causes(meeting, version, unlike, pending_only=False):
    events = (
        AuditEvent.objects.with_outcome()
        .filter(meeting=meeting, action__in=audit.CAUSES_SYNC, version__lte=version)
        .exclude(outcome=Outcome.REFUSED)
        .exclude(effective_outcome=unlike)
    )
    if pending_only:
        events = events.filter(effective_outcome=Outcome.PENDING)
    return [(event.pk, event.effective_outcome) for event in events]


def at_version(meeting, version):
    meeting.version = version
    return meeting


@pytest.fixture
def history():
    """A meeting's events of every kind: pending, done, failed then done (the newest
    settlement wins), failed, refused, not a cause, and one past the version synced."""
    meeting = make_meeting()
    pending = audit.record("edit", meeting=at_version(meeting, 1), outcome=Outcome.PENDING)
    done = audit.record("edit", meeting=at_version(meeting, 2), outcome=Outcome.PENDING)
    audit.record("sync_result", meeting=meeting, outcome=Outcome.OK, settles=done)
    again = audit.record("retry", meeting=at_version(meeting, 3), outcome=Outcome.PENDING)
    audit.record("sync_result", meeting=meeting, outcome=Outcome.FAILED, settles=again)
    audit.record("sync_result", meeting=meeting, outcome=Outcome.OK, settles=again)
    failed = audit.record("cancel", meeting=at_version(meeting, 4), outcome=Outcome.PENDING)
    audit.record("sync_result", meeting=meeting, outcome=Outcome.FAILED, settles=failed)
    audit.record("edit", meeting=meeting, outcome=Outcome.REFUSED)
    audit.record("import", meeting=meeting)
    audit.record("edit", meeting=at_version(meeting, 9), outcome=Outcome.PENDING)
    Meeting.objects.filter(pk=meeting.pk).update(version=9, title="现在的标题")
    return meeting, {"pending": pending.pk, "failed": failed.pk}


@pytest.mark.parametrize(
    ("unlike", "pending_only"),
    [(Outcome.OK, False), (Outcome.FAILED, True), (Outcome.CONFLICT, True)],
)
def test_the_written_out_query_reads_what_the_orm_reads(history, unlike, pending_only):
    meeting, _pks = history

    found, _head = audit.causes(meeting.pk, 4, unlike=unlike, pending_only=pending_only)

    assert [(e.pk, e.effective_outcome) for e in found] == orm_causes(
        meeting, 4, unlike, pending_only
    )


def test_a_done_sync_settles_what_is_not_done_and_carries_the_meeting_as_it_stands(history):
    meeting, pks = history

    found, _head = audit.causes(meeting.pk, 4, unlike=Outcome.OK)

    # Newest first; the done ones, the refused one and the one past version 4 are left out.
    assert [(e.pk, e.effective_outcome) for e in found] == [
        (pks["failed"], Outcome.FAILED),
        (pks["pending"], Outcome.PENDING),
    ]
    assert {e.meeting.title for e in found} == {"现在的标题"}
    assert found[0].action == "cancel" and found[0].changes == []


def test_the_release_returns_them_with_the_meeting_released_and_the_chain_head(history):
    meeting, pks = history
    Meeting.objects.filter(pk=meeting.pk).update(lease_owner="worker")
    table = quote_table(Meeting)
    returned = []

    with CaptureQueriesContext(connection) as queries:
        Lease(meeting.pk, "worker").release(
            9,
            {"title": "发布后"},
            {},
            then=lambda _version, row: returned.append(row),
            returning=audit.settling(meeting.pk, 4, unlike=Outcome.OK, table=table),
        )

    assert len(queries) == 1
    found, head = audit.settled(returned[0], table)
    assert [(e.pk, e.effective_outcome) for e in found] == [
        (pks["failed"], Outcome.FAILED),
        (pks["pending"], Outcome.PENDING),
    ]
    assert {e.meeting.title for e in found} == {"发布后"}
    assert found[0].meeting.lease_owner == ""
    last = AuditEvent.objects.order_by("-pk").first()
    assert head == (last.hash, last.at)
    # What the release returned is what a read of its own finds.
    again, head_again = audit.causes(meeting.pk, 4, unlike=Outcome.OK)
    assert [(e.pk, e.effective_outcome) for e in again] == [
        (e.pk, e.effective_outcome) for e in found
    ]
    assert head_again == head
