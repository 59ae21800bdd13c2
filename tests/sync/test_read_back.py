"""What the sync records is what WeCom holds: read after write, occurrences that follow their
series, WeCom's own normalisations taken as no change, and audit outcomes that follow WeCom.

Through the sandbox over HTTP with the real worker, as an administrator would meet them."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from meetings import importing, payloads
from meetings.actions import meeting as meeting_actions
from meetings.actions import pulls as pull_actions
from meetings.models import AuditEvent, Meeting, SyncAttempt, SyncState

from .conftest import edit, import_new, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKLY_TEN = {"is_repeat": 1, "repeat_type": 1, "repeat_until_type": 1, "repeat_until_count": 10}


def fresh(meeting):
    return Meeting.objects.get(pk=meeting.pk)


def local_at(sandbox, hour, minute=0, days=1):
    """Unix seconds of hour:minute in Shanghai, `days` after the sandbox's today."""
    today = datetime.fromtimestamp(sandbox.now(), SHANGHAI).date()
    moment = datetime.combine(today + timedelta(days=days), time(hour, minute), SHANGHAI)
    return int(moment.timestamp())


def weekly_at_two(sandbox):
    return import_new(
        sandbox,
        title="每周例会",
        meeting_start=local_at(sandbox, 14),
        meeting_duration=3600,
        reminders=WEEKLY_TEN,
    )


def local_times(meeting):
    return {
        datetime.fromtimestamp(o["start"], SHANGHAI).strftime("%H:%M") for o in meeting.sub_meetings
    }


def outcome_of(event):
    return AuditEvent.objects.with_outcome().get(pk=event.pk).effective_outcome


def sandbox_info(sandbox, meeting):
    info = sandbox.call("meeting/get_info", {"meetingid": meeting.meetingid})
    assert info["errcode"] == 0, info
    return info


def cancel_from_detail_page(client, meeting, index):
    """Pick the index-th occurrence the detail page lists and confirm its cancellation."""
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    sub_meetingid = fresh(meeting).sub_meetings[index]["sub_meetingid"]
    assert f"sub_meetingid={sub_meetingid}" in page
    return client.post(
        reverse("meetings:cancel", args=[meeting.pk]), {"sub_meetingid": sub_meetingid}
    )


# --- occurrences ----------------------------------------------------------------------------


def test_an_imported_recurring_meeting_lists_its_occurrences_at_once(sandbox):
    meeting = weekly_at_two(sandbox)

    assert len(meeting.sub_meetings) == 10
    assert local_times(meeting) == {"14:00"}
    assert all(meeting.can_cancel(o) for o in meeting.sub_meetings)


def test_an_occurrence_cancelled_after_a_time_change_is_cancelled_in_wecom(
    sandbox, worker, admin_client
):
    meeting = weekly_at_two(sandbox)
    edit(meeting, meeting_start=local_at(sandbox, 15, 30), meeting_duration=3600)
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    # Read after the write: the page lists the series as WeCom now has it.
    assert local_times(meeting) == {"15:30"}
    second = meeting.sub_meetings[1]

    response = cancel_from_detail_page(admin_client, meeting, 1)
    assert response.status_code == 302
    (meeting,) = wait_settled(meeting)

    assert meeting.sync_state == SyncState.SYNCED
    flags = [sub["status"] for sub in sandbox_info(sandbox, meeting)["sub_meetings"]]
    assert flags == [0, 1] + [0] * 8
    assert fresh(meeting).occurrence(second["sub_meetingid"])["deleted"] is True
    cancel = AuditEvent.objects.get(meeting=meeting, action=AuditEvent.Action.CANCEL)
    assert cancel.outcome == AuditEvent.Outcome.PENDING
    assert outcome_of(cancel) == AuditEvent.Outcome.OK
    # The settlement names the attempts that confirmed it: the cancel and the read back.
    settlement = cancel.settlements.get()
    confirming = SyncAttempt.objects.filter(meeting=meeting, path="meeting/cancel").get()
    assert f"#{confirming.pk}" in settlement.detail


def test_a_cancel_chosen_from_the_list_before_the_move_follows_its_occurrence(sandbox, worker):
    meeting = weekly_at_two(sandbox)
    second = meeting.sub_meetings[1]
    # Saved one after the other before the worker runs: the cancel names the 14:00 id.
    with_time = edit(meeting, meeting_start=local_at(sandbox, 15, 30), meeting_duration=3600)
    meeting_actions.cancel_meeting(with_time, actor=None, sub_meetingid=second["sub_meetingid"])

    (meeting,) = wait_settled(meeting, timeout=40)

    assert meeting.sync_state == SyncState.SYNCED, meeting.sync_error
    subs = sandbox_info(sandbox, meeting)["sub_meetings"]
    deleted = [sub for sub in subs if sub["status"] == 1]
    assert len(deleted) == 1
    # Same date as the occurrence chosen, at the series' new time.
    moved = datetime.fromtimestamp(deleted[0]["start_time"], SHANGHAI)
    assert moved.date() == datetime.fromtimestamp(second["start"], SHANGHAI).date()
    assert moved.strftime("%H:%M") == "15:30"
    for event in AuditEvent.objects.filter(meeting=meeting, action__in=("edit", "cancel")):
        assert outcome_of(event) == AuditEvent.Outcome.OK


def test_a_cancel_whose_date_the_series_no_longer_has_fails_and_says_why(
    sandbox, worker, admin_client
):
    meeting = weekly_at_two(sandbox)
    second = meeting.sub_meetings[1]
    # The series moves a day later: the chosen date is no longer one of its dates.
    moved = edit(meeting, meeting_start=local_at(sandbox, 14, days=2), meeting_duration=3600)
    meeting_actions.cancel_meeting(moved, actor=None, sub_meetingid=second["sub_meetingid"])

    (meeting,) = wait_settled(meeting, timeout=40)

    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_problem["code"] == "occurrence_gone"
    assert "这一场已不存在" in meeting.sync_error
    assert all(sub["status"] == 0 for sub in sandbox_info(sandbox, meeting)["sub_meetings"])
    # The edit is done in WeCom; the cancel is not, and the record says so.
    edit_event = AuditEvent.objects.get(meeting=meeting, action="edit")
    cancel_event = AuditEvent.objects.get(meeting=meeting, action="cancel")
    assert outcome_of(edit_event) == AuditEvent.Outcome.OK
    assert outcome_of(cancel_event) == AuditEvent.Outcome.FAILED
    # The page and the list say why, in the reader's language.
    page = admin_client.get(
        reverse("meetings:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "no longer exists" in page
    listing = admin_client.get(reverse("meetings:list")).content.decode()
    assert "这一场已不存在" in listing

    # A later edit that WeCom takes never turns the lost cancel into a done one.
    edit(meeting, title="改期后的例会")
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert outcome_of(cancel_event) == AuditEvent.Outcome.FAILED


def test_a_cancel_of_an_occurrence_no_longer_listed_is_refused_with_the_current_list(
    sandbox, admin_client
):
    meeting = weekly_at_two(sandbox)
    stale = meeting.sub_meetings[1]["sub_meetingid"]
    Meeting.objects.filter(pk=meeting.pk).update(
        sub_meetings=[
            {**o, "sub_meetingid": str(int(o["sub_meetingid"]) + 5400)}
            for o in meeting.sub_meetings
        ]
    )

    response = admin_client.post(
        reverse("meetings:cancel", args=[meeting.pk]),
        {"sub_meetingid": stale},
        follow=True,
    )

    page = response.content.decode()
    assert "企业微信已不再列出这一场" in page
    # The detail page, with the occurrences as listed now.
    assert f"sub_meetingid={int(stale) + 5400}" in page
    assert fresh(meeting).cancel_sub_meetingids == []


def test_an_occurrence_deleted_in_wecom_reads_as_cancelled_and_is_not_cancelled_again(sandbox):
    meeting = weekly_at_two(sandbox)
    third = meeting.sub_meetings[2]["sub_meetingid"]
    assert (
        sandbox.call("meeting/cancel", {"meetingid": meeting.meetingid, "sub_meetingid": third})[
            "errcode"
        ]
        == 0
    )

    meeting, _ = importing.import_by_id(meeting.meetingid)

    occurrence = meeting.occurrence(third)
    assert occurrence["deleted"] is True
    assert not meeting.can_cancel(occurrence)
    assert meeting.occurrence_status(occurrence) == 4


# --- WeCom's normalisations are no change ---------------------------------------------------


def test_the_organiser_wecom_keeps_among_the_invitees_is_no_conflict(sandbox, worker):
    meeting = import_new(sandbox, invitees={"userid": ["zhangsan", "lisi", "wangwu"]})
    edit(meeting, invitees={"userid": ["lisi", "wangwu"]})
    (meeting,) = wait_settled(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["invitees"] == ["zhangsan", "lisi", "wangwu"]

    edit(meeting, invitees={"userid": ["lisi"]})
    (meeting,) = wait_settled(meeting)

    assert meeting.sync_state == SyncState.SYNCED, meeting.conflict
    assert sorted(sandbox.meeting(meeting.meetingid)["invitees"]) == ["lisi", "zhangsan"]
    assert not AuditEvent.objects.filter(meeting=meeting, detail__contains="changed in WeCom")


def test_a_title_edit_after_the_organiser_was_dropped_takes_nothing_in(sandbox, worker):
    meeting = import_new(sandbox, invitees={"userid": ["zhangsan", "lisi", "wangwu"]})
    edit(meeting, invitees={"userid": ["lisi", "wangwu"]})
    (meeting,) = wait_settled(meeting)

    edit(meeting, title="新的标题")
    (meeting,) = wait_settled(meeting)

    assert meeting.sync_state == SyncState.SYNCED
    assert not AuditEvent.objects.filter(meeting=meeting, detail__contains="changed in WeCom")
    held = sandbox.meeting(meeting.meetingid)
    assert held["title"] == "新的标题"
    assert held["invitees"] == ["zhangsan", "lisi", "wangwu"]


def test_an_edit_that_only_drops_the_organiser_changes_nothing(sandbox):
    meeting = import_new(sandbox, invitees={"userid": ["zhangsan", "lisi"]})
    body = payloads.desired_body(meeting)
    body["invitees"] = {"userid": ["LISI"]}

    result = meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=meeting.version)

    assert not result.changed
    assert fresh(meeting).version == meeting.version


# --- what the run records ------------------------------------------------------------------


def test_a_run_that_wrote_reads_back_once_and_one_that_did_not_reads_once(sandbox, worker):
    meeting = import_new(sandbox)
    sandbox.clear_requests()
    edit(meeting, title="读回")
    (meeting,) = wait_settled(meeting)
    assert [r["path"] for r in sandbox.requests() if r["path"].startswith("meeting/")] == [
        "meeting/get_info",
        "meeting/update",
        "meeting/get_info",
    ]

    sandbox.clear_requests()
    pull_actions.request_pull(meeting.meetingid, "modify_meeting")
    wait_for(lambda: not fresh(meeting).pull_requested, message="the pull")
    assert [r["path"] for r in sandbox.requests() if r["path"].startswith("meeting/")] == [
        "meeting/get_info",
    ]


def test_a_pull_that_finds_nothing_new_leaves_open_forms_valid(sandbox, worker):
    meeting = import_new(sandbox)
    loaded = meeting.version

    pull_actions.request_pull(meeting.meetingid, "modify_meeting")
    wait_for(lambda: not fresh(meeting).pull_requested, message="the pull")

    assert fresh(meeting).version == loaded
    body = {**payloads.desired_body(meeting), "title": "表单里改的"}
    assert meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=loaded).changed


def test_a_change_wecom_does_not_keep_ends_as_a_failure_not_as_done(sandbox, worker, settings):
    settings.SYNC_MAX_TRIES = 2
    meeting = import_new(sandbox)
    edit(meeting, location="3楼")
    # WeCom answers ok but keeps nothing: only the read back can tell.
    sandbox.fault(path="meeting/update", kind="errcode", value=0, times=10)

    (meeting,) = wait_settled(meeting)

    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_problem["code"] == "not_held"
    event = AuditEvent.objects.get(meeting=meeting, action="edit")
    assert outcome_of(event) == AuditEvent.Outcome.FAILED
