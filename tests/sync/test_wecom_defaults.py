"""What WeCom fills in by default is WeCom's default, not a change made in WeCom.

get_info (https://developer.work.weixin.qq.com/document/path/98149) answers the whole
settings object whatever was sent, leaves empty text and an unset password out, and gives a
series without an end the end of its 200th (monthly 50th) meeting (98154). A meeting created
without any of those, then imported or synced, must give no take-in, no conflict and no call
beyond the read.
"""

import pytest

from meetings import payloads, sync
from meetings.actions import meeting as meeting_actions
from meetings.actions import pulls as pull_actions
from meetings.models import AuditEvent, Meeting, SyncState

from .conftest import edit, import_new

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _runs_by_hand(monkeypatch):
    """These tests run the sync themselves: a worker left running by an earlier test must
    not take the meeting from them, after a save or a pull."""
    monkeypatch.setattr("meetings.tasks.enqueue_after_save", lambda pk: None)
    monkeypatch.setattr("meetings.tasks.enqueue", lambda pk, countdown=None: None)


def wecom_writes(sandbox):
    reads = ("gettoken", "meeting/get_info", "meeting/get_user_meetingid")
    return [r["path"] for r in sandbox.requests() if r["path"] not in reads]


def assert_nothing_taken_in(meeting):
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.conflict == {}
    details = AuditEvent.objects.filter(meeting_id=meeting.pk).values_list("detail", flat=True)
    assert sync.TAKEN_IN not in details


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="one-off, nothing set"),
        pytest.param({"reminders": {"is_repeat": 1}}, id="daily series without an end"),
        pytest.param(
            {"reminders": {"is_repeat": 1, "repeat_type": 2, "repeat_until_type": 1}},
            id="monthly series by count without a count",
        ),
    ],
)
def test_a_meeting_made_in_wecom_without_settings_imports_and_syncs_as_it_is(sandbox, fields):
    meeting = import_new(sandbox, **fields)
    sandbox.clear_requests()
    # A meeting_change callback makes the sync read WeCom and merge, as any later run does.
    pull_actions.request_pull(meeting.meetingid, "modify_meeting")

    result = sync.reconcile(meeting.pk)

    # Read, found equal, confirmed: no update, no cancel, no set_invitees.
    assert result.outcome == sync.SYNCED, result
    assert [r["path"] for r in sandbox.requests()][-1] == "meeting/get_info"
    assert wecom_writes(sandbox) == []
    assert_nothing_taken_in(meeting)
    # The filled-in end is no end chosen here: the edit form shows none.
    reminders = Meeting.objects.get(pk=meeting.pk).reminders
    assert reminders.repeat_until is None and reminders.repeat_until_count is None


def test_a_meeting_made_here_without_settings_finds_nothing_to_send_after_its_create(sandbox):
    body = {
        "title": "只填了必填项",
        "meeting_start": sandbox.now() + 7200,
        "meeting_duration": 1800,
        "invitees": {"userid": ["zhangsan", "lisi"]},
        "reminders": {"is_repeat": 1},
    }
    meeting = meeting_actions.create_meeting(body, admin_userid="zhangsan", actor=None)
    first = sync.reconcile(meeting.pk)
    assert first.outcome in (sync.SYNCED, sync.AGAIN), first
    sandbox.clear_requests()
    pull_actions.request_pull(Meeting.objects.get(pk=meeting.pk).meetingid, "modify_meeting")

    result = sync.reconcile(meeting.pk)

    # Read, found equal, confirmed: no update, no cancel, no set_invitees.
    assert result.outcome == sync.SYNCED, result
    assert [r["path"] for r in sandbox.requests()][-1] == "meeting/get_info"
    assert wecom_writes(sandbox) == []
    assert_nothing_taken_in(meeting)


def test_a_host_key_turned_on_without_one_is_the_key_wecom_assigns(sandbox):
    meeting = import_new(sandbox)
    edit(meeting, settings={"enable_host_key": True, "host_key": ""})

    result = sync.reconcile(meeting.pk)

    # Held at the first read-back: WeCom's own key is no refusal of an empty one.
    assert result.outcome == sync.SYNCED, result
    assigned = sandbox.meeting(meeting.meetingid)["settings"]["host_key"]
    assert len(assigned) == 6 and assigned.isdigit()
    meeting = Meeting.objects.select_related("settings").get(pk=meeting.pk)
    # The meeting's key, shown to administrators who pass it on, is the one WeCom gave.
    assert meeting.settings.host_key == assigned
    assert meeting.synced_state["settings"]["host_key"] == assigned
    sandbox.clear_requests()
    pull_actions.request_pull(meeting.meetingid, "modify_meeting")
    assert sync.reconcile(meeting.pk).outcome == sync.SYNCED
    assert wecom_writes(sandbox) == []


# --- body_from_info on the documented shape -------------------------------------------------

# 98149's own example, trimmed of nothing the product reads: member join figures,
# tmp_external_user, main_department, enable_enter_mute_type, enable_doc_upload_permission,
# co_hosts and the like are answered and ignored.
DOCUMENTED = {
    "errcode": 0,
    "errmsg": "ok",
    "admin_userid": "zhangsan",
    "title": "title",
    "meeting_start": 1600000007,
    "meeting_duration": 1800,
    "description": "test meeting description",
    "location": "广州媒体港",
    "main_department": 1,
    "status": 1,
    "meeting_type": 1,
    "attendees": {
        "member": [
            {
                "userid": "lisi",
                "status": 1,
                "first_join_time": 166666666,
                "last_quit_time": 166666666,
                "total_join_count": 5,
                "cumulative_time": 300,
            },
            {
                "userid": "zhangsan",
                "status": 2,
                "first_join_time": 166666666,
                "last_quit_time": 166666666,
                "total_join_count": 5,
                "cumulative_time": 300,
            },
        ],
        "tmp_external_user": [
            {
                "tmp_external_userid": "woabc",
                "status": 3,
                "first_join_time": 166666666,
                "last_quit_time": 166666666,
                "total_join_count": 5,
                "cumulative_time": 300,
            },
        ],
    },
    "settings": {
        "remind_scope": 4,
        "need_password": True,
        "password": "1234",
        "enable_waiting_room": False,
        "allow_enter_before_host": True,
        "enable_enter_mute": 1,
        "enable_enter_mute_type": 2,
        "allow_unmute_self": True,
        "allow_external_user": False,
        "enable_screen_watermark": False,
        "watermark_type": 1,
        "auto_record_type": "cloud",
        "participant_join_auto_record": True,
        "enable_host_pause_auto_record": False,
        "enable_doc_upload_permission": True,
        "enable_enroll": True,
        "enable_host_key": True,
        "host_key": "123456",
        "hosts": {"userid": ["lisi"]},
        "current_hosts": {"userid": ["lisi"]},
        "co_hosts": {"userid": ["lisi"]},
        "ring_users": {"userid": ["zhangsan", "lisi"]},
    },
    "cal_id": "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA",
    "reminders": {
        "is_repeat": 1,
        "repeat_type": 0,
        "repeat_until": 1606976813,
        "repeat_interval": 1,
        "remind_before": [0, 900],
    },
    "meeting_code": "123456789",
    "meeting_link": "https://wecomm.com/znigeot",
    "has_vote": False,
    "sub_meetings": [
        {
            "sub_meetingid": "1600000007",
            "start_time": 1600000007,
            "end_time": 1600001807,
            "status": 0,
            "title": "title",
            "repeat_id": "1",
        },
    ],
    "has_more_sub_meeting": 0,
    "remain_sub_meetings": 1,
    "current_sub_meetingid": "1600000007",
    "sub_repeat_list": [{"repeat_id": "1", "repeat_type": 0, "repeat_until_type": 0}],
    "a_field_of_a_later_version": {"anything": True},
}


def test_it_reads_the_documented_answer_and_ignores_what_it_does_not_use():
    body = payloads.body_from_info(DOCUMENTED)
    assert body["title"] == "title"
    assert body["location"] == "广州媒体港"
    assert body["cal_id"] == "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"
    assert body["invitees"] == {"userid": ["lisi", "zhangsan"]}
    settings = body["settings"]
    assert settings["password"] == "1234"
    assert settings["remind_scope"] == 4
    assert settings["ring_users"] == {"userid": ["zhangsan", "lisi"]}
    # The example's spelling of the cloud-recording option is read as update's.
    assert settings["attendee_join_auto_record"] is True
    for ignored in (
        "need_password",
        "enable_enter_mute_type",
        "current_hosts",
        "co_hosts",
        "enable_doc_upload_permission",
        "participant_join_auto_record",
    ):
        assert ignored not in settings
    # repeat_until as a number, as in the example (a numeric string reads the same).
    assert body["reminders"]["repeat_until"] == 1606976813
    as_text = payloads.body_from_info(
        {**DOCUMENTED, "reminders": {**DOCUMENTED["reminders"], "repeat_until": "1606976813"}}
    )
    assert as_text["reminders"] == body["reminders"]


def test_it_reads_what_get_info_leaves_out_as_empty():
    answer = {
        key: value
        for key, value in DOCUMENTED.items()
        if key not in ("description", "location", "cal_id")
    }
    answer["settings"] = {k: v for k, v in DOCUMENTED["settings"].items() if k != "password"} | {
        "need_password": False
    }
    body = payloads.body_from_info(answer)
    assert (body["description"], body["location"], body["cal_id"]) == ("", "", "")
    assert body["settings"]["password"] == ""
