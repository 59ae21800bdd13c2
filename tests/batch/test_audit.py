"""The record of a batch change: one event per meeting, each with its own version and the
batch's id, sealed into the hash chain like any other, settled by the worker's results, and
shown to auditors with the batch named."""

import pytest
from django.urls import reverse

from meetings import audit
from meetings.actions import batch as batch_actions
from meetings.chain import verify_chain
from meetings.models import AuditEvent, Batch, Meeting
from meetings.payloads import apply_body
from meetings.sync.endings import Ending, Settlement
from tests.audit.test_tamper import TABLE, as_owner_without_triggers
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(people):
    Meeting.objects.all().delete()
    meetings = [
        make_meeting(title=f"周会 {n}", meeting_start=local_unix(2 + n), invitees=["lisi"])
        for n in range(3)
    ]
    # lisi hosts the last one: taking lisi off its invitees is refused, as on its edit page.
    last = meetings[-1]
    make_host = batch_actions.Change(Batch.Kind.ADD_PERSON, role="host", userid="lisi")
    apply_body(
        last,
        {"settings": make_host.apply(batch_actions.whole_body(last.load_userids()))["settings"]},
    )
    the_batch = batch_actions.choose(
        Meeting.objects.order_by("start", "pk"), actor=people["administrator"]
    )
    batch_actions.set_change(
        the_batch, batch_actions.Change(Batch.Kind.REMOVE_PERSON, role="invitee", userid="lisi")
    )
    batch_actions.confirm(the_batch, actor=people["administrator"], source_ip="10.0.0.8")
    return the_batch, meetings


def test_each_meeting_has_its_own_event_and_version_tied_to_the_batch(confirmed, people):
    the_batch, meetings = confirmed
    events = list(AuditEvent.objects.filter(batch=the_batch).order_by("pk"))
    assert [(e.meeting_id, e.outcome) for e in events] == [
        (meetings[0].pk, "pending"),
        (meetings[1].pk, "pending"),
        (meetings[2].pk, "refused"),
    ]
    for event, meeting in zip(events[:2], meetings, strict=False):
        assert event.actor == people["administrator"]
        assert event.source_ip == "10.0.0.8"
        assert event.version == Meeting.objects.get(pk=meeting.pk).version
        assert event.changes == [{"field": "invitees", "old": ["lisi"], "new": []}]
    assert "lisi" in events[2].detail
    assert Meeting.objects.get(pk=meetings[2].pk).invitees == ["lisi"]
    assert verify_chain(AuditEvent.objects.order_by("pk")).broken is None


# Transactional: the owner signs in on a connection of its own.
@pytest.mark.django_db(transaction=True)
@pytest.mark.audit_tampered
def test_the_batch_id_is_part_of_the_chain(confirmed):
    the_batch, _meetings = confirmed
    event = AuditEvent.objects.filter(batch=the_batch).first()
    other = Batch.objects.create(actor_username="someone")
    # Behind the application's back, by an owner who sets the record's triggers aside.
    as_owner_without_triggers(
        (f"UPDATE {TABLE} SET batch_id = %s WHERE id = %s", [other.pk, event.pk])
    )
    report = verify_chain(AuditEvent.objects.order_by("pk"))
    assert report.broken is not None and report.broken.pk == event.pk


def test_the_worker_settles_each_event_of_the_batch(confirmed):
    the_batch, meetings = confirmed
    first = Meeting.objects.get(pk=meetings[0].pk)

    class Lease:
        pk = first.pk

    done = Settlement(AuditEvent.Outcome.OK)
    found = audit.causes(first.pk, first.version, **done.which)
    Ending(Lease(), version=first.version)._settle(done, *found)
    counts = batch_actions.counts(the_batch)
    assert counts == {"done": 1, "waiting": 1, "failed": 0}


def test_auditors_see_the_batch_of_an_event_and_filter_by_it(confirmed, client_for):
    the_batch, _meetings = confirmed
    client = client_for("auditor")
    event = AuditEvent.objects.filter(batch=the_batch).first()
    page = client.get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert f"batch__id__exact={the_batch.pk}" in page.content.decode()
    listed = client.get(
        reverse("admin:meetings_auditevent_changelist"), {"batch__id__exact": the_batch.pk}
    )
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 3
    export = client.get(
        reverse("admin:meetings_auditevent_export"), {"batch__id__exact": the_batch.pk}
    )
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert len(rows) == 4
