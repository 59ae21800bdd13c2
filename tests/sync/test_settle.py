"""Quick successive saves reach WeCom as one call, through the real worker."""

import time

import pytest

from meetings.models import SyncState

from .conftest import edit, import_new, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def titles_sent(sandbox):
    return [request["body"]["title"] for request in sandbox.requests("meeting/update")]


def test_five_saves_half_a_second_apart_go_out_as_one_update(sandbox, worker, settings):
    # Two seconds: a save slowed down by a busy machine still comes within the window, and
    # a wait that did not restart with each save would end during the saves.
    settings.SYNC_SETTLE_SECONDS = 2
    settings.SYNC_SETTLE_MAX_SECONDS = 30
    meeting = import_new(sandbox)

    for number in range(1, 6):
        meeting = edit(meeting, title=f"第 {number} 版")
        time.sleep(0.5)

    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert titles_sent(sandbox) == ["第 5 版"]
    assert sandbox.meeting(meeting.meetingid)["title"] == "第 5 版"


def test_a_meeting_saved_without_pause_still_syncs_within_the_ceiling(sandbox, worker, settings):
    settings.SYNC_SETTLE_SECONDS = 1
    settings.SYNC_SETTLE_MAX_SECONDS = 2
    meeting = import_new(sandbox)

    for number in range(1, 11):
        meeting = edit(meeting, title=f"第 {number} 版")
        time.sleep(0.5)
    sent_while_saving = titles_sent(sandbox)

    (meeting,) = wait_settled(meeting)
    # The window never closed while saving, yet WeCom heard of the meeting meanwhile.
    assert sent_while_saving
    assert sent_while_saving[0] != "第 10 版"
    assert titles_sent(sandbox)[-1] == "第 10 版"
    assert sandbox.meeting(meeting.meetingid)["title"] == "第 10 版"
