"""A storm of 45009 on one WeCom API, with the real worker: WeCom blocks that API only, so the
meetings that need it wait while the others (creates, cancellations) keep syncing, and the
blocked API is not called again before its block is over."""

import pytest

from meetings.actions import meeting as meeting_actions
from meetings.models import Meeting, Status, SyncAttempt, SyncState
from wecom.limits import RateLimited

from .conftest import edit, import_new, in_site_language, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_45009_storm_on_update_leaves_creates_and_cancels_syncing(sandbox, worker):
    edited = [import_new(sandbox, title=f"周会{n}") for n in range(3)]
    to_cancel = import_new(sandbox, title="取消的会")
    # Every update is answered 45009 for as long as the test lasts.
    sandbox.fault(path="meeting/update", kind="errcode", value=45009, rate=1, times=1000)

    for n, meeting in enumerate(edited):
        edit(meeting, title=f"周会{n}（改）")
    wait_for(
        lambda: (
            Meeting.objects.filter(
                pk__in=[m.pk for m in edited], sync_state=SyncState.RETRYING
            ).count()
            == 3
        ),
        message="the edits to wait out the block",
    )
    meeting_actions.cancel_meeting(Meeting.objects.get(pk=to_cancel.pk), actor=None)
    created = meeting_actions.create_meeting(
        {
            "title": "新会",
            "meeting_start": sandbox.now() + 7200,
            "meeting_duration": 1800,
            "description": "",
            "location": "",
            "invitees": {"userid": ["zhangsan"]},
            "settings": {"remind_scope": 2},
            "reminders": {"is_repeat": 0},
        },
        admin_userid="zhangsan",
        actor=None,
    )

    cancelled, created = wait_settled(to_cancel, created)
    assert cancelled.sync_state == SyncState.SYNCED and cancelled.status == Status.CANCELLED
    assert created.sync_state == SyncState.SYNCED and created.meetingid

    # Only updates already on their way when WeCom first answered 45009 reached it (the
    # worker runs four at a time); every later one was held back here, not sent.
    sent = len(sandbox.requests("meeting/update"))
    assert 1 <= sent <= 3
    waiting = Meeting.objects.filter(pk__in=[m.pk for m in edited])
    assert {m.sync_state for m in waiting} == {SyncState.RETRYING}
    # Only an edit WeCom answered with 45009 used up one of its tries.
    assert sorted(m.sync_tries for m in waiting) == [0] * (3 - sent) + [1] * sent
    assert all(m.next_attempt_at is not None for m in waiting)
    # The pages say why, in the administrators' language.
    held_back = in_site_language(RateLimited("meeting/update").message)
    assert sum(m.sync_error == held_back for m in waiting) == 3 - sent
    # An update held back is recorded as not sent, so no later run takes it for a lost one.
    held = SyncAttempt.objects.filter(path="meeting/update", outcome=SyncAttempt.Outcome.NOTHING)
    assert held.count() == 3 - sent
    # And none goes out while the block lasts.
    assert len(sandbox.requests("meeting/update")) == sent
