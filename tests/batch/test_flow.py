"""A batch change through its pages, with the test client: chosen in the list, previewed with
the rules' verdicts, confirmed as one action per meeting, each with its audit event."""

import pytest
from django.urls import reverse

from meetings import batch
from meetings.chain import verify_chain
from meetings.models import AuditEvent, Batch, Meeting, SyncState
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db


def choose(client, meetings):
    response = client.post(
        reverse("meetings:batch_new"), {"meeting": [m.pk for m in meetings], "filter": ""}
    )
    assert response.status_code == 302, response
    return Batch.objects.get()


def set_change(client, chosen, **data):
    response = client.post(reverse("meetings:batch_change", args=[chosen.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("meetings:batch_preview", args=[chosen.pk])
    chosen.refresh_from_db()
    return chosen


def test_it_turns_the_waiting_room_on_for_the_ticked_meetings_and_leaves_out_a_refused_one(
    office_client,
):
    first = make_meeting(title="周会 A", meeting_start=local_unix(3))
    second = make_meeting(title="周会 B", meeting_start=local_unix(4))
    # Already ended: the edit page would refuse it too.
    ended = make_meeting(title="已结束", meeting_start=local_unix(5), status=3)
    chosen = choose(office_client, [first, second, ended])
    set_change(office_client, chosen, kind="setting", setting="enable_waiting_room=1")

    page = office_client.get(reverse("meetings:batch_preview", args=[chosen.pk]))
    assert page.status_code == 200
    rows = {row.meeting.pk: row for row in page.context["rows"]}
    assert rows[first.pk].state == batch.CHANGE
    line = rows[first.pk].changes[0]
    assert (line.label, line.old, line.new) == ("等候室", "否", "是")
    assert rows[ended.pk].state == batch.REFUSED
    assert rows[ended.pk].reasons

    response = office_client.post(reverse("meetings:batch_confirm", args=[chosen.pk]))
    assert response.status_code == 302
    chosen.refresh_from_db()
    assert (chosen.applied, chosen.refused, chosen.unchanged) == (2, 1, 0)
    for meeting in (first, second):
        fresh = Meeting.objects.select_related("settings").get(pk=meeting.pk)
        assert fresh.settings.enable_waiting_room is True
        assert fresh.version == meeting.version + 1
        assert fresh.sync_state == SyncState.PENDING
    assert Meeting.objects.get(pk=ended.pk).version == ended.version

    events = AuditEvent.objects.filter(batch=chosen).order_by("pk")
    assert [(e.meeting_id, e.action, e.outcome) for e in events] == [
        (first.pk, "edit", "pending"),
        (second.pk, "edit", "pending"),
        (ended.pk, "edit", "refused"),
    ]
    assert events[0].changes == [
        {"field": "settings.enable_waiting_room", "old": False, "new": True}
    ]
    assert events[0].version == first.version + 1
    assert verify_chain(AuditEvent.objects.order_by("pk")).broken is None

    progress = office_client.get(reverse("meetings:batch", args=[chosen.pk]))
    assert progress.context["counts"] == {"done": 0, "waiting": 2, "failed": 0}
