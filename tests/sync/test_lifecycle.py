"""Create, cancel and long invitee lists through the sync, against the sandbox.

A create is not idempotent at WeCom, so the tests that matter most lose its answer on purpose
(the sandbox applies the call and drops the connection) and count the meetings WeCom ends
up with.
"""

import pytest
from django.utils import timezone

from meetings import sync
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Meeting, Status, SyncAttempt, SyncState

from .conftest import edit, import_new, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _runs_by_hand(request, monkeypatch):
    """These tests run the sync themselves, one step at a time: a worker left running by an
    earlier test must not take the meeting from them. The last test uses the worker."""
    if "worker" not in request.fixturenames:
        monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
        # A pull asked for by a callback queues a run too.
        monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)


ADMIN = "zhangsan"


def fresh(meeting):
    return Meeting.objects.get(pk=meeting.pk)


def new_meeting(sandbox, **fields):
    """A meeting saved through the new-meeting action, not yet in WeCom."""
    body = {
        "title": "新项目启动会",
        "meeting_start": sandbox.now() + 7200,
        "meeting_duration": 1800,
        "description": "",
        "location": "",
        "invitees": {"userid": [ADMIN, "lisi", "wangwu"]},
        "settings": {"remind_scope": 2},
        "reminders": {"is_repeat": 0},
        **fields,
    }
    return meeting_actions.create_meeting(body, admin_userid=ADMIN, actor=None)


def run_until_settled(meeting, limit=10):
    """Reconcile as the task would, following AGAIN, until the run has nothing more to do."""
    for _ in range(limit):
        result = sync.reconcile(meeting.pk)
        if result.outcome != sync.AGAIN:
            return result
    raise AssertionError("the sync kept asking for another run")


def sandbox_meetings(sandbox, title):
    listed = sandbox.control("GET", "meetings")["meetings"]
    return [m for m in listed if m["title"] == title]


def test_it_creates_a_new_meeting_in_wecom(sandbox):
    meeting = new_meeting(sandbox, location="3楼大会议室")
    assert meeting.meetingid is None

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.meetingid
    assert meeting.meeting_code
    assert meeting.sync_state == SyncState.SYNCED
    held = sandbox.meeting(meeting.meetingid)
    assert held["title"] == "新项目启动会"
    assert held["location"] == "3楼大会议室"
    assert held["admin_userid"] == ADMIN
    assert set(held["invitees"]) == {ADMIN, "lisi", "wangwu"}
    create = sandbox.requests("meeting/create")
    assert len(create) == 1
    assert create[0]["body"]["admin_userid"] == ADMIN
    # One create, then one read that lists the occurrences and finds nothing more to send.
    calls = [r["path"] for r in sandbox.requests() if r["path"] != "gettoken"]
    assert calls == ["meeting/create", "meeting/get_info"]
    # The attempt is linked to the meeting and to the person's create event.
    attempt = SyncAttempt.objects.get(meeting_id=meeting.pk, path="meeting/create")
    assert attempt.outcome == SyncAttempt.Outcome.OK
    assert attempt.event.action == AuditEvent.Action.CREATE


@pytest.mark.parametrize("kind", ["timeout", "disconnect"])
def test_a_create_whose_answer_is_lost_makes_exactly_one_meeting(sandbox, settings, kind):
    settings.WECOM_READ_TIMEOUT = 1
    # WeCom's duplicate check would catch a second create for five minutes only; the retry
    # here comes later, so only looking the meeting up first keeps it single.
    sandbox.fault(path="meeting/create", kind=kind, value=1.5, after=True)
    meeting = new_meeting(sandbox)

    first = sync.reconcile(meeting.pk)
    assert first.outcome == sync.RETRY
    assert fresh(meeting).meetingid is None
    sandbox.advance(600)

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert len(sandbox_meetings(sandbox, "新项目启动会")) == 1
    assert sandbox_meetings(sandbox, "新项目启动会")[0]["meetingid"] == meeting.meetingid
    assert len(sandbox.requests("meeting/create")) == 1
    # The lost create, the organiser's meetings, the one that matches, and the read of the
    # run that finds nothing more to send.
    calls = [r["path"] for r in sandbox.requests() if r["path"] != "gettoken"]
    assert calls == [
        "meeting/create",
        "meeting/get_user_meetingid",
        "meeting/get_info",
        "meeting/get_info",
    ]
    paths = list(
        SyncAttempt.objects.filter(meeting_id=meeting.pk)
        .order_by("started_at", "pk")
        .values_list("path", "outcome")
    )
    assert paths[0] == ("meeting/create", SyncAttempt.Outcome.RETRY)
    assert ("meeting/get_user_meetingid", SyncAttempt.Outcome.OK) in paths


def test_an_edit_made_while_the_create_answer_was_lost_still_reaches_wecom(sandbox, settings):
    settings.WECOM_READ_TIMEOUT = 1
    sandbox.fault(path="meeting/create", kind="disconnect", after=True)
    meeting = new_meeting(sandbox)
    sync.reconcile(meeting.pk)
    meeting = fresh(meeting)
    # The administrator changes the title before the worker finds the lost meeting.
    meeting = edit(meeting, title="改过名的启动会")

    run_until_settled(meeting)

    meeting = fresh(meeting)
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "改过名的启动会"
    assert len(sandbox.control("GET", "meetings")["meetings"]) == 1


def test_wecoms_already_created_answer_adopts_the_meeting(sandbox):
    # The same meeting was made in WeCom a moment ago (another tab, another app user).
    meeting = new_meeting(sandbox)
    twin = sandbox.create_meeting(
        title=meeting.title,
        meeting_start=int(meeting.start.timestamp()),
        meeting_duration=1800,
        admin_userid=ADMIN,
        skip_duplicate_check=False,
    )

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.meetingid == twin
    assert len(sandbox.control("GET", "meetings")["meetings"]) == 1
    attempt = SyncAttempt.objects.get(meeting_id=meeting.pk, path="meeting/create")
    assert attempt.errcode == 400302


def test_a_create_in_flight_is_waited_for_then_adopted(sandbox, settings):
    settings.SYNC_CREATE_WAIT = 0.1
    meeting = new_meeting(sandbox)
    # Another create of the same meeting is under way; by the next run it has completed.
    made = sandbox.create_meeting(
        title=meeting.title,
        meeting_start=int(meeting.start.timestamp()),
        meeting_duration=1800,
        admin_userid=ADMIN,
    )
    sandbox.fault(path="meeting/create", kind="errcode", value=400301)

    first = sync.reconcile(meeting.pk)
    assert first.outcome == sync.RETRY
    assert fresh(meeting).sync_state == SyncState.RETRYING

    run_until_settled(meeting)

    assert fresh(meeting).meetingid == made
    assert len(sandbox.control("GET", "meetings")["meetings"]) == 1


def test_a_create_still_in_flight_after_a_timeout_is_never_made_twice(sandbox, settings):
    settings.WECOM_READ_TIMEOUT = 1
    settings.SYNC_CREATE_WAIT = 0.1
    # WeCom takes three seconds over the create; the worker gives up waiting after one.
    sandbox.fault(path="meeting/create", kind="delay", value=3)
    meeting = new_meeting(sandbox)

    assert sync.reconcile(meeting.pk).outcome == sync.RETRY
    # At once again: the lost create is not there yet, and sending it again meets WeCom's
    # "being created" answer, which is waited out rather than failed.
    assert sync.reconcile(meeting.pk).outcome == sync.RETRY
    assert SyncAttempt.objects.filter(meeting_id=meeting.pk, errcode=400301).exists()
    wait_for(
        lambda: sandbox_meetings(sandbox, "新项目启动会"),
        timeout=10,
        message="the slow create to land",
    )

    assert run_until_settled(meeting).outcome == sync.SYNCED

    held = sandbox_meetings(sandbox, "新项目启动会")
    assert [m["meetingid"] for m in held] == [fresh(meeting).meetingid]


def test_a_create_wecom_refuses_fails_with_the_reason_and_can_be_fixed(sandbox):
    sandbox.set_users([ADMIN, "lisi"])
    meeting = new_meeting(sandbox)

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.FAILED
    assert meeting.meetingid is None
    assert meeting.sync_state == SyncState.FAILED
    assert "wangwu" in meeting.sync_error or meeting.sync_error_field == "invitees"
    # Fixed by an edit: this time WeCom creates it.
    meeting = edit(meeting, invitees={"userid": [ADMIN, "lisi"]})
    assert run_until_settled(meeting).outcome == sync.SYNCED
    assert fresh(meeting).meetingid


def test_a_new_meeting_cancelled_before_it_reached_wecom_calls_nothing(sandbox):
    meeting = new_meeting(sandbox)
    meeting_actions.cancel_meeting(meeting, actor=None)

    run_until_settled(meeting)

    meeting = fresh(meeting)
    assert meeting.status == Status.CANCELLED
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.requests("meeting/create") == []


# --- cancel ----------------------------------------------------------------------------------


def test_it_cancels_a_whole_meeting(sandbox):
    meeting = import_new(sandbox)

    meeting_actions.cancel_meeting(meeting, actor=None)
    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.status == Status.CANCELLED
    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["status"] == Status.CANCELLED
    assert sandbox.requests("meeting/cancel")[-1]["body"] == {"meetingid": meeting.meetingid}
    assert not fresh(meeting).is_editable


@pytest.mark.parametrize(
    "failed_first", [False, True], ids=["cancelled at once", "after a failure"]
)
def test_an_edit_never_sent_before_the_meeting_was_cancelled_is_not_called_done(
    sandbox, failed_first
):
    meeting = import_new(sandbox, title="原标题")
    if failed_first:
        sandbox.fault(path="meeting/update", kind="errcode", value=400031, times=1)
    edit(meeting, title="没发出去的标题", location="3楼")
    if failed_first:
        assert sync.reconcile(meeting.pk).outcome == sync.FAILED
    edited = AuditEvent.objects.get(meeting=meeting, action="edit")

    meeting_actions.cancel_meeting(fresh(meeting), actor=None)
    assert run_until_settled(meeting).outcome == sync.SYNCED

    held = sandbox.meeting(meeting.meetingid)
    assert held["status"] == Status.CANCELLED and held["title"] == "原标题"
    meeting = fresh(meeting)
    # The meeting shows what WeCom holds, not what never reached it.
    assert (meeting.title, meeting.location) == ("原标题", held.get("location", ""))
    assert meeting.sync_state == SyncState.SYNCED
    outcomes = AuditEvent.objects.with_outcome()
    assert outcomes.get(pk=edited.pk).effective_outcome == AuditEvent.Outcome.OVERRIDDEN
    settled = edited.settlements.order_by("-pk").first()
    assert settled.detail == "not sent, the meeting was cancelled first: location, title"
    assert {(r["field"], r["old"], r["new"]) for r in settled.changes} >= {
        ("title", "没发出去的标题", "原标题")
    }
    cancel = AuditEvent.objects.get(meeting=meeting, action="cancel")
    assert outcomes.get(pk=cancel.pk).effective_outcome == AuditEvent.Outcome.OK


def weekly(sandbox, count=4):
    return import_new(
        sandbox,
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "repeat_until_type": 1,
            "repeat_until_count": count,
        },
    )


def test_it_lists_a_recurring_meetings_occurrences_as_wecom_does(sandbox):
    meeting = weekly(sandbox)
    edit(meeting, title="每周例会")
    run_until_settled(meeting)

    meeting = fresh(meeting)
    assert len(meeting.sub_meetings) == 4
    starts = [o["start"] for o in meeting.sub_meetings]
    assert starts == sorted(starts)
    assert starts[1] - starts[0] == 7 * 86400
    assert {meeting.occurrence_status(o) for o in meeting.sub_meetings} == {Status.SCHEDULED}


def test_it_cancels_one_occurrence_and_keeps_the_others(sandbox):
    meeting = weekly(sandbox)
    edit(meeting, title="每周例会")
    run_until_settled(meeting)
    meeting = fresh(meeting)
    second = meeting.sub_meetings[1]["sub_meetingid"]

    meeting_actions.cancel_meeting(meeting, actor=None, sub_meetingid=second)
    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.status == Status.SCHEDULED
    assert meeting.is_editable
    assert [o["deleted"] for o in meeting.sub_meetings] == [False, True, False, False]
    cancel = sandbox.requests("meeting/cancel")
    assert [c["body"] for c in cancel] == [
        {"meetingid": meeting.meetingid, "sub_meetingid": second}
    ]
    info = sandbox.call("meeting/get_info", {"meetingid": meeting.meetingid})
    # WeCom's own flag: 0 exists, 1 deleted (get_info page 93708).
    assert [s["status"] for s in info["sub_meetings"]] == [0, 1, 0, 0]
    # Another sync sends nothing more.
    sandbox.clear_requests()
    edit(meeting, location="5楼")
    run_until_settled(meeting)
    assert sandbox.requests("meeting/cancel") == []


def test_an_occurrence_that_started_before_the_cancel_is_reported(sandbox):
    meeting = weekly(sandbox)
    edit(meeting, title="每周例会")
    run_until_settled(meeting)
    meeting = fresh(meeting)
    first = meeting.sub_meetings[0]
    meeting_actions.cancel_meeting(meeting, actor=None, sub_meetingid=first["sub_meetingid"])
    sandbox.set_now(first["start"] + 60)

    result = run_until_settled(meeting)

    # WeCom has the meeting in progress (the sandbox's clock has moved, this app's has
    # not): nothing to cancel there any more, and the page shows the meeting in progress.
    # The cancel is not done, and the page says so rather than calling the meeting synced.
    meeting = fresh(meeting)
    assert sandbox.requests("meeting/cancel") == []
    assert meeting.status == Status.IN_PROGRESS
    assert result.outcome == sync.FAILED
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_problem["code"] == "not_scheduled"
    cancel = AuditEvent.objects.with_outcome().get(meeting=meeting, action="cancel")
    assert cancel.effective_outcome == AuditEvent.Outcome.FAILED


def test_a_meeting_cancelled_in_wecom_is_news_not_a_failure(sandbox):
    meeting = import_new(sandbox)
    sandbox.patch_meeting(meeting.meetingid, status=4)
    # What a cancel_meeting callback does: ask for a pull.
    from meetings.actions.pulls import request_pull as queue_pull

    queue_pull(meeting.meetingid, "cancel_meeting")
    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED
    assert meeting.status == Status.CANCELLED
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.sync_error == ""
    event = AuditEvent.objects.filter(meeting=meeting).first()
    assert event.detail == sync.TAKEN_IN
    assert event.changes == [{"field": "status", "old": 1, "new": 4}]


def test_an_edit_cut_off_by_a_cancel_in_wecom_fails_and_says_why(sandbox):
    meeting = import_new(sandbox)
    meeting = edit(meeting, title="没能送出的标题")
    sandbox.patch_meeting(meeting.meetingid, status=4)

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.FAILED
    assert meeting.status == Status.CANCELLED
    assert meeting.sync_state == SyncState.FAILED
    assert meeting.sync_error


# --- invitees past the update's cap -----------------------------------------------------------

MANY = [f"user{n:04d}" for n in range(500)]


@pytest.fixture
def big_directory(sandbox):
    sandbox.set_users([ADMIN, "lisi", "wangwu", *MANY])
    sandbox.configure(invitee_cap=100)
    return sandbox


def test_five_hundred_invitees_go_through_set_invitees(big_directory, settings):
    sandbox = big_directory
    settings.WECOM_INVITEE_CAP = 100
    meeting = import_new(sandbox)
    meeting = edit(
        meeting,
        invitees={"userid": [ADMIN, *MANY]},
        settings={
            "hosts": {"userid": ["user0450"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["user0007", "user0499"]},
        },
    )

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED, meeting.sync_error
    held = sandbox.meeting(meeting.meetingid)
    assert len(held["invitees"]) == 501
    assert set(held["invitees"]) == {ADMIN, *MANY}
    assert held["settings"]["hosts"] == {"userid": ["user0450"]}
    set_invitees = sandbox.requests("meeting/set_invitees")
    assert len(set_invitees) == 1
    assert set_invitees[0]["body"]["invitees"][0] == {"userid": ADMIN}
    assert all("invitees" not in u["body"] for u in sandbox.requests("meeting/update"))
    # Synced means synced: the next look at WeCom finds nothing to send.
    sandbox.clear_requests()
    edit(meeting, location="大礼堂")
    run_until_settled(meeting)
    assert sandbox.requests("meeting/set_invitees") == []
    assert [set(u["body"]) for u in sandbox.requests("meeting/update")] == [
        {"meetingid", "location"}
    ]


def test_a_host_dropped_from_a_long_list_is_taken_off_before_the_list_goes(big_directory, settings):
    sandbox = big_directory
    settings.WECOM_INVITEE_CAP = 100
    meeting = import_new(sandbox)
    meeting = edit(
        meeting,
        invitees={"userid": [ADMIN, *MANY]},
        settings={"hosts": {"userid": ["user0450", "user0451"]}, "remind_scope": 2},
    )
    assert run_until_settled(meeting).outcome == sync.SYNCED
    sandbox.clear_requests()

    # user0450 leaves the meeting, and so its hosts: WeCom refuses a list without a host.
    meeting = edit(
        fresh(meeting),
        invitees={"userid": [ADMIN, *(u for u in MANY if u != "user0450")]},
        settings={"hosts": {"userid": ["user0451"]}, "remind_scope": 2},
    )
    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED, meeting.sync_error
    held = sandbox.meeting(meeting.meetingid)
    assert "user0450" not in held["invitees"] and len(held["invitees"]) == 500
    assert held["settings"]["hosts"] == {"userid": ["user0451"]}
    writes = [
        r["path"]
        for r in sandbox.requests()
        if r["path"] != "meeting/get_info" and r["path"] != "gettoken"
    ]
    assert writes == ["meeting/update", "meeting/set_invitees", "meeting/update"]
    assert sandbox.requests("meeting/update")[0]["body"]["settings"] == {
        "hosts": {"userid": ["user0451"]}
    }


def test_a_new_meeting_with_five_hundred_invitees_is_created_then_filled(big_directory, settings):
    sandbox = big_directory
    settings.WECOM_INVITEE_CAP = 100
    meeting = new_meeting(
        sandbox,
        invitees={"userid": [ADMIN, *MANY]},
        settings={"hosts": {"userid": ["user0001"]}, "remind_scope": 2},
    )

    result = run_until_settled(meeting)

    meeting = fresh(meeting)
    assert result.outcome == sync.SYNCED, meeting.sync_error
    held = sandbox.meeting(meeting.meetingid)
    assert len(held["invitees"]) == 501
    assert held["settings"]["hosts"] == {"userid": ["user0001"]}
    assert len(sandbox.requests("meeting/create")) == 1
    assert "invitees" not in sandbox.requests("meeting/create")[0]["body"]


def test_a_new_meeting_reaches_wecom_through_the_worker(worker, sandbox):
    meeting = new_meeting(sandbox)

    (meeting,) = wait_settled(meeting)

    assert meeting.sync_state == SyncState.SYNCED
    assert sandbox.meeting(meeting.meetingid)["title"] == "新项目启动会"
    assert meeting.synced_at <= timezone.now()
