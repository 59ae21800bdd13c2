"""A property of the whole sync, against the sandbox over HTTP: whatever sequence of edits,
time changes, occurrence cancels, changes made directly in WeCom and faults happens, once the
sync has drained (a person retrying what failed and settling each conflict for their own
value), WeCom holds what was asked, every occurrence cancel is done in WeCom or visibly failed
with a reason, and every audit outcome agrees with WeCom."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings import payloads, sync
from meetings.actions import meeting as meeting_actions
from meetings.actions import pulls as pull_actions
from meetings.models import AuditEvent, Meeting, SyncState
from meetings.sync.merge import differing, leaves
from meetings.sync.plan import held, local_date, wanted

from .conftest import edit, import_new

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _drained_by_hand(monkeypatch):
    """The test drains the sync itself: a worker left running by an earlier test must not
    take a meeting (or bump its version) between two steps."""
    monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
    monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)


SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE = ["lisi", "wangwu", "zhaoliu", "sunqi"]
FAULTS = [
    {"kind": "errcode", "value": -1},
    {"kind": "errcode", "value": 45033},
    {"kind": "disconnect"},
    {"kind": "disconnect", "after": True},
]

operations = st.one_of(
    st.tuples(st.just("title"), st.sampled_from(["周会", "例会", "评审会", "复盘"])),
    st.tuples(st.just("location"), st.sampled_from(["", "3楼", "5楼大会议室"])),
    st.tuples(
        st.just("invitees"),
        st.lists(st.sampled_from(["zhangsan", *PEOPLE]), unique=True, max_size=4),
    ),
    st.tuples(st.just("time"), st.sampled_from([0, 90, 24 * 60, -30])),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("in_wecom"), st.sampled_from(["企业微信里改的", "外部修改"])),
    st.tuples(
        st.just("fault"),
        st.tuples(
            st.sampled_from(["meeting/update", "meeting/get_info", "meeting/cancel"]),
            st.sampled_from(range(len(FAULTS))),
        ),
    ),
    st.tuples(st.just("run"), st.none()),
)


def fresh(meeting):
    return Meeting.objects.get(pk=meeting.pk)


def two_pm(sandbox):
    today = datetime.fromtimestamp(sandbox.now(), SHANGHAI).date()
    return int(datetime.combine(today + timedelta(days=1), time(14), SHANGHAI).timestamp())


def step(sandbox, meeting, operation, cancelled):
    kind, value = operation
    meeting = fresh(meeting)
    if not meeting.is_editable or meeting.sync_state in (SyncState.FAILED, SyncState.CONFLICT):
        # What a person does first: look at the problem and try again, or keep their values.
        settle(meeting)
        meeting = fresh(meeting)
    if kind in ("title", "location"):
        edit(meeting, **{kind: value})
    elif kind == "invitees":
        edit(meeting, invitees={"userid": value})
    elif kind == "time":
        start = payloads.to_unix(meeting.start) + value * 60
        if start > sandbox.now() + 600:
            edit(meeting, meeting_start=start, meeting_duration=meeting.duration)
    elif kind == "cancel":
        listed = [o for o in meeting.sub_meetings if meeting.can_cancel(o)]
        if listed:
            chosen = listed[value % len(listed)]
            meeting_actions.cancel_meeting(
                meeting, actor=None, sub_meetingid=chosen["sub_meetingid"]
            )
            cancelled.append(local_date(chosen["start"]))
    elif kind == "in_wecom":
        sandbox.patch_meeting(meeting.meetingid, title=value)
        # WeCom's callback for the change.
        pull_actions.request_pull(meeting.meetingid, "modify_meeting")
    elif kind == "fault":
        path, index = value
        sandbox.fault(path=path, times=1, **FAULTS[index])
    else:
        sync.reconcile(meeting.pk)


def settle(meeting):
    """What a person does with a stopped sync; False when there is nothing left to do (a
    cancel that can no longer be carried out, which the page explains)."""
    if meeting.sync_state == SyncState.CONFLICT:
        meeting_actions.resolve_conflict(
            meeting, dict.fromkeys(meeting.conflict, "mine"), actor=None
        )
        return True
    if meeting.sync_state == SyncState.FAILED:
        if (
            meeting.sync_problem["code"] in ("occurrence_gone", "occurrence_started")
            and meeting.synced_version == meeting.version
        ):
            return False
        meeting_actions.retry_sync(meeting, actor=None)
        return True
    return True


def drain(sandbox, meeting):
    sandbox.clear_faults()
    for _ in range(30):
        if not settle(fresh(meeting)):
            return fresh(meeting)
        sync.reconcile(meeting.pk)
        current = fresh(meeting)
        if current.sync_state == SyncState.SYNCED and current.synced_version == current.version:
            return current
    raise AssertionError(f"the sync did not drain: {fresh(meeting).sync_state}")


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=10), by_date=st.booleans())
def test_after_draining_wecom_holds_what_was_asked(sandbox, steps, by_date):
    sandbox.clear_faults()
    start = two_pm(sandbox)
    # A series that ends after six meetings, or on a date five weeks on.
    end = (
        {"repeat_until_type": 0, "repeat_until": start + 35 * 86400}
        if by_date
        else {"repeat_until_type": 1, "repeat_until_count": 6}
    )
    meeting = import_new(
        sandbox,
        title="周会",
        meeting_start=start,
        meeting_duration=3600,
        invitees={"userid": ["zhangsan", "lisi"]},
        reminders={"is_repeat": 1, "repeat_type": 1, **end},
    )
    cancelled = []
    for operation in steps:
        step(sandbox, meeting, operation, cancelled)

    meeting = drain(sandbox, meeting)

    info = sandbox.call("meeting/get_info", {"meetingid": meeting.meetingid})
    assert info["errcode"] == 0, info
    theirs = held(info, meeting.admin_userid)
    desired = wanted(payloads.desired_body(meeting), theirs, meeting.admin_userid)
    # Every field WeCom reports (get_info leaves some out: a calendar never set, the
    # settings that do not apply).
    reported = leaves(theirs)
    assert [leaf for leaf in differing(desired, theirs) if leaf in reported] == []
    assert meeting.sync_state in (SyncState.SYNCED, SyncState.FAILED)

    # A date is cancelled in WeCom when no occurrence on it exists there (deleted, or gone
    # with a series that moved).
    live = {
        local_date(sub["start_time"])
        for sub in info.get("sub_meetings") or []
        if sub["status"] == 0
    }
    events = AuditEvent.objects.with_outcome().filter(meeting=meeting)
    for event in events.filter(action__in=("edit", "cancel", "retry", "resolve_conflict")):
        assert event.effective_outcome in (AuditEvent.Outcome.OK, AuditEvent.Outcome.FAILED), (
            event.action,
            event.effective_outcome,
        )
        if event.effective_outcome == AuditEvent.Outcome.FAILED:
            assert event.settlements.order_by("-pk").first().detail
    for event in events.filter(action="cancel"):
        date = local_date(int(event.changes[0]["old"]))
        if event.effective_outcome == AuditEvent.Outcome.OK:
            assert date not in live, "a cancel recorded as done that WeCom does not hold"
    for date in cancelled:
        failed = events.filter(action="cancel", effective_outcome=AuditEvent.Outcome.FAILED)
        assert date not in live or any(
            local_date(int(e.changes[0]["old"])) == date for e in failed
        ), "a cancel neither done in WeCom nor failed with a reason"
