import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from meetings import payloads, rules
from meetings.actions import meeting as meeting_actions
from meetings.actions.errors import NotEditable, StaleVersion
from meetings.models import AuditEvent, Meeting, Participant, Status, SyncState

pytestmark = pytest.mark.django_db


def test_it_imports_a_meeting_by_id_with_every_field(sandbox):
    cal_id = sandbox.add_calendar(summary="产品日历")
    meetingid = sandbox.create_meeting(
        title="需求评审",
        location="3楼大会议室",
        description="评审下个版本的需求",
        cal_id=cal_id,
        invitees={"userid": ["lisi", "wangwu", "zhaoliu"]},
        settings={
            "password": "2468",
            "hosts": {"userid": ["lisi"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["wangwu"]},
            "auto_record_type": "cloud",
            "attendee_join_auto_record": True,
        },
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 2,
            "repeat_day_of_week": [1, 3],
            "repeat_until_type": 1,
            "repeat_until_count": 6,
            "remind_before": [0, 900],
        },
    )
    call_command("wecom_import", meetingid)

    meeting = Meeting.objects.get(meetingid=meetingid)
    stored = sandbox.meeting(meetingid)
    assert meeting.title == "需求评审"
    assert meeting.location == "3楼大会议室"
    assert meeting.cal_id == cal_id
    assert int(meeting.start.timestamp()) == stored["meeting_start"]
    assert meeting.admin_userid == "zhangsan"
    assert meeting.status == Status.SCHEDULED
    assert meeting.meeting_code == stored["meeting_code"]
    assert meeting.invitees == ["zhangsan", "lisi", "wangwu", "zhaoliu"]
    assert meeting.hosts == ["lisi"]
    assert meeting.ring_users == ["wangwu"]
    assert meeting.settings.password == "2468"
    assert meeting.settings.attendee_join_auto_record is True
    reminders = meeting.reminders
    assert reminders.is_repeat and reminders.is_custom_repeat
    assert reminders.repeat_interval == 2
    # WeCom adds the start's own weekday to a custom weekly repeat.
    start_weekday = timezone.localtime(meeting.start).isoweekday()
    assert reminders.repeat_day_of_week == sorted({1, 3, start_weekday})
    assert reminders.repeat_until_count == 6
    assert reminders.remind_before == [0, 900]
    # Imported means synced: what we hold is what WeCom holds.
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.version == meeting.synced_version == 1
    assert payloads.changes(meeting.synced_state, payloads.desired_body(meeting)) == []


def test_it_finds_meetings_where_a_person_is_invited(sandbox):
    first = sandbox.create_meeting(title="甲", invitees={"userid": ["lisi"]})
    sandbox.create_meeting(title="乙", invitees={"userid": ["wangwu"]})
    call_command("wecom_pull", "--userid", "zhangsan")

    invited = Meeting.objects.filter(
        participants__userid="lisi", participants__role=Participant.Role.INVITEE
    )
    assert list(invited.values_list("meetingid", flat=True)) == [first]
    assert Meeting.objects.count() == 2


def test_it_reports_a_meeting_wecom_does_not_know(sandbox):
    with pytest.raises(CommandError):
        call_command("wecom_import", "hy-no-such-meeting")
    assert not Meeting.objects.exists()


def test_it_refreshes_a_synced_meeting_but_never_a_pending_edit(sandbox, django_user_model):
    meetingid = sandbox.create_meeting(title="原标题")
    call_command("wecom_import", meetingid)
    sandbox.patch_meeting(meetingid, title="在企业微信里改过")
    call_command("wecom_import", meetingid)
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert meeting.title == "在企业微信里改过"

    body = payloads.desired_body(meeting)
    body["title"] = "本地待同步"
    meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=meeting.version)
    call_command("wecom_import", meetingid)
    meeting.refresh_from_db()
    assert meeting.title == "本地待同步"
    assert meeting.sync_state == SyncState.PENDING


def test_a_refresh_that_finds_nothing_new_leaves_an_open_form_valid(sandbox):
    meetingid = sandbox.create_meeting(title="原标题")
    call_command("wecom_import", meetingid)
    call_command("wecom_import", meetingid)
    meeting = Meeting.objects.get(meetingid=meetingid)
    assert meeting.version == 1
    assert AuditEvent.objects.filter(meeting=meeting).count() == 1

    body = payloads.desired_body(meeting) | {"title": "表单里改的"}
    result = meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=1)
    assert result.changed


def imported(sandbox, **fields):
    meetingid = sandbox.create_meeting(**fields)
    call_command("wecom_import", meetingid)
    return Meeting.objects.get(meetingid=meetingid)


def test_it_saves_an_edit_as_a_new_version_with_its_changes(sandbox):
    meeting = imported(sandbox, settings={"password": "1234"})
    body = payloads.desired_body(meeting)
    body["title"] = "改后的标题"
    body["settings"]["password"] = "5678"

    result = meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=1)

    meeting.refresh_from_db()
    assert meeting.version == 2 and meeting.synced_version == 1
    assert meeting.title == "改后的标题"
    assert meeting.settings.password == "5678"
    assert meeting.sync_state == SyncState.PENDING
    assert ("title", "项目周会", "改后的标题") in result.changes
    assert ("settings.password", "1234", "5678") in result.changes


def test_it_writes_nothing_for_an_unchanged_form(sandbox):
    meeting = imported(sandbox)
    result = meeting_actions.edit_meeting(
        meeting, payloads.desired_body(meeting), actor=None, loaded_version=1
    )
    meeting.refresh_from_db()
    assert not result.changed
    assert meeting.version == 1
    assert meeting.sync_state == SyncState.SYNCED


def test_it_refuses_an_edit_made_on_an_older_version(sandbox):
    meeting = imported(sandbox)
    first = payloads.desired_body(meeting)
    first["title"] = "先保存的"
    meeting_actions.edit_meeting(meeting, first, actor=None, loaded_version=1)

    second = payloads.desired_body(meeting)
    second["title"] = "后保存的"
    with pytest.raises(StaleVersion) as refused:
        meeting_actions.edit_meeting(meeting, second, actor=None, loaded_version=1)
    assert refused.value.meeting.title == "先保存的"
    meeting.refresh_from_db()
    assert meeting.title == "先保存的"


def test_it_refuses_to_edit_a_meeting_that_has_started(sandbox):
    meeting = imported(sandbox)
    Meeting.objects.filter(pk=meeting.pk).update(status=Status.IN_PROGRESS)
    with pytest.raises(NotEditable):
        meeting_actions.edit_meeting(
            meeting, payloads.desired_body(meeting), actor=None, loaded_version=1
        )


def test_it_empties_ring_users_once_they_no_longer_apply(sandbox):
    meeting = imported(sandbox, settings={"remind_scope": 4, "ring_users": {"userid": ["lisi"]}})
    body = payloads.desired_body(meeting)
    body["settings"]["remind_scope"] = 2
    meeting_actions.edit_meeting(meeting, rules.prune(body), actor=None, loaded_version=1)
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.ring_users == []
    assert "ring_users" not in payloads.desired_body(meeting)["settings"]


def test_it_seeds_the_demo_once(sandbox, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.WECOM_API_BASE = f"http://127.0.0.1:{settings.SANDBOX_PORT}"
    call_command("setup_demo")
    titles = set(Meeting.objects.values_list("title", flat=True))
    assert {"周一产品例会", "季度业务复盘", "新员工入职培训"} <= titles
    assert (tmp_path / "sandbox.json").exists()
    call_command("setup_demo")
    assert Meeting.objects.count() == len(titles)
