"""A confirmed batch's page, as administrators follow it: what the summary says while the
worker has meetings in hand, and why each refused meeting was left out."""

import pytest
from django.urls import reverse

from meetings import audit
from meetings.actions import batch as batch_actions
from meetings.models import AuditEvent, Batch, Meeting, SyncState
from meetings.sync.endings import Ending, Settlement
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db

ANSWERED = "企业微信已对每个会议作出答复。"
SENDING = "后台正在将修改发送到企业微信；本页会随之更新。"


def confirmed(people, meetings, change):
    the_batch = batch_actions.choose(
        Meeting.objects.filter(pk__in=[m.pk for m in meetings]).order_by("start", "pk"),
        actor=people["administrator"],
    )
    batch_actions.set_change(the_batch, change)
    batch_actions.confirm(the_batch, actor=people["administrator"])
    return the_batch


def settle(meeting, outcome, sync_state):
    """The worker's ending for the meeting's batch action, as WeCom answered it."""
    meeting = Meeting.objects.get(pk=meeting.pk)

    class Lease:
        pk = meeting.pk

    settlement = Settlement(outcome)
    found = audit.causes(meeting.pk, meeting.version, **settlement.which)
    Ending(Lease(), version=meeting.version)._settle(settlement, *found)
    Meeting.objects.filter(pk=meeting.pk).update(sync_state=sync_state)


def test_after_a_retry_the_page_does_not_say_wecom_has_answered_for_every_meeting(
    people, client_for
):
    done, failed = (make_meeting(meeting_start=local_unix(2 + n)) for n in range(2))
    the_batch = confirmed(
        people,
        [done, failed],
        batch_actions.Change(Batch.Kind.SETTING, "settings.enable_enroll", True),
    )
    settle(done, AuditEvent.Outcome.OK, SyncState.SYNCED)
    settle(failed, AuditEvent.Outcome.FAILED, SyncState.FAILED)
    client = client_for("administrator")
    url = reverse("meetings:batch", args=[the_batch.pk])
    page = client.get(url).content.decode()
    assert ANSWERED in page and SENDING not in page

    # Retry from the failed row: the row reads Failed, waiting to sync, until the worker ends.
    client.post(reverse("meetings:sync_retry", args=[failed.pk]), {"part": "badge"})
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-sync-state="pending"' in page
    assert ANSWERED not in page and SENDING in page
    assert 'hx-trigger="every 2s"' in page

    settle(failed, AuditEvent.Outcome.OK, SyncState.SYNCED)
    page = client.get(url).content.decode()
    assert ANSWERED in page and SENDING not in page
