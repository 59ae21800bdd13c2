"""meeting/get_info answers in its own shape, not update's: the contract of
https://developer.work.weixin.qq.com/document/path/98149, read beside SKIT.FlurlHttpClient.Wechat's
CgibinMeetingGetInfoResponse (model and sample) and silenceper/wechat's work/meeting types."""

import pytest

MEMBER_FIGURES = ("first_join_time", "last_quit_time", "total_join_count", "cumulative_time")


def test_it_answers_in_get_info_shape(sandbox, info):
    meetingid = sandbox.create_meeting(
        settings={
            "password": "4321",
            "hosts": {"userid": ["lisi"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["wangwu"]},
        },
    )
    answer = info(meetingid)
    assert answer["errmsg"] == "ok"
    assert answer["meetingid"] == meetingid
    assert answer["admin_userid"] == "zhangsan"
    assert answer["status"] == 1
    assert answer["meeting_type"] == 0
    # zhangsan is in 产品部, the first department of the demo directory (1 is the company).
    assert answer["main_department"] == 2
    assert "invitees" not in answer
    members = answer["attendees"]["member"]
    assert [m["userid"] for m in members] == ["zhangsan", "lisi", "wangwu"]
    for member in members:
        # 98149 / wecom-cli: 2 is "did not take part", with join figures beside it.
        assert member["status"] == 2
        assert all(member[figure] == 0 for figure in MEMBER_FIGURES)
    settings = answer["settings"]
    assert settings["hosts"] == {"userid": ["lisi"]}
    assert settings["ring_users"] == {"userid": ["wangwu"]}
    assert settings["remind_scope"] == 4
    assert settings["password"] == "4321"
    assert settings["need_password"] is True
    assert settings["current_hosts"] == {"userid": ["zhangsan"]}
    assert settings["co_hosts"] == {"userid": []}
    assert answer["meeting_code"] == sandbox.meeting(meetingid)["meeting_code"]
    assert answer["meeting_link"].startswith("https://")


def test_it_answers_the_whole_settings_object_with_wecom_defaults(sandbox, meeting, info):
    # A meeting created without settings: get_info still answers every setting, at the
    # defaults 98154 names (watermark_type 0, allow_external_user true, remind_scope 2) and
    # Tencent Meeting's for the rest; no password, no host key.
    answer = info(meeting)
    assert answer["settings"] == {
        "enable_waiting_room": False,
        "allow_enter_before_host": True,
        "enable_enter_mute": 2,
        "allow_unmute_self": True,
        "mute_all": False,
        "allow_external_user": True,
        "enable_screen_watermark": False,
        "watermark_type": 0,
        "auto_record_type": "none",
        "attendee_join_auto_record": False,
        "enable_host_pause_auto_record": True,
        "enable_doc_upload_permission": True,
        "enable_enroll": False,
        "enable_host_key": False,
        "remind_scope": 2,
        "need_password": False,
        "hosts": {"userid": []},
        "ring_users": {"userid": []},
        "current_hosts": {"userid": ["zhangsan"]},
        "co_hosts": {"userid": []},
    }
    assert answer["reminders"] == {"is_repeat": 0, "remind_before": []}


def test_it_leaves_out_optional_fields_never_set(sandbox, meeting, info):
    answer = info(meeting)
    for field in ("description", "location", "cal_id", "sub_meetings", "sub_repeat_list"):
        assert field not in answer


def test_it_answers_repeat_until_as_a_number(sandbox, info):
    # 98149's example and SKIT's model (a long) both carry repeat_until as a number.
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        reminders={"is_repeat": 1, "repeat_type": 0, "repeat_until": start + 4 * 86400},
    )
    reminders = info(meetingid)["reminders"]
    assert reminders["repeat_until"] == start + 4 * 86400
    assert reminders["is_repeat"] == 1
    assert reminders["repeat_until_type"] == 0


def test_it_answers_the_capped_end_of_a_series_without_one(sandbox, info):
    # 98154: an end not given "默认设置为最大结束时间", 200 occurrences for a daily series.
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(meeting_start=start, reminders={"is_repeat": 1})
    assert info(meetingid)["reminders"]["repeat_until"] == start + 199 * 86400


def test_it_lists_the_occurrences_of_a_recurring_meeting(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        meeting_duration=1800,
        reminders={
            "is_repeat": 1,
            "repeat_type": 1,
            "repeat_until_type": 1,
            "repeat_until_count": 4,
        },
    )
    answer = info(meetingid)
    assert answer["meeting_type"] == 1
    [segment] = answer["sub_repeat_list"]
    assert segment["repeat_type"] == 1
    assert segment["repeat_until_type"] == 1
    assert segment["repeat_until_count"] == 4
    assert answer["sub_meetings"] == [
        {
            "sub_meetingid": str(start + week * 7 * 86400),
            "start_time": start + week * 7 * 86400,
            "end_time": start + week * 7 * 86400 + 1800,
            # The occurrence's own flag: 0 exists (page 93708), not the meeting status.
            "status": 0,
            "title": "项目周会",
            "repeat_id": segment["repeat_id"],
        }
        for week in range(4)
    ]
    assert answer["has_more_sub_meeting"] == 0
    assert answer["remain_sub_meetings"] == 4
    assert answer["current_sub_meetingid"] == str(start)

    sandbox.set_now(start + 7 * 86400 + 60)
    answer = info(meetingid)
    # Running or over shows in the times, not in the flag: every occurrence still exists.
    assert [sub["status"] for sub in answer["sub_meetings"]] == [0, 0, 0, 0]
    assert answer["current_sub_meetingid"] == str(start + 7 * 86400)
    assert answer["remain_sub_meetings"] == 3


def test_it_answers_one_occurrence_when_asked_by_sub_meetingid(sandbox, info):
    start = sandbox.now() + 3600
    meetingid = sandbox.create_meeting(
        meeting_start=start,
        reminders={
            "is_repeat": 1,
            "repeat_type": 0,
            "repeat_until_type": 1,
            "repeat_until_count": 3,
        },
    )
    third = str(start + 2 * 86400)
    assert info(meetingid, sub_meetingid=third)["meeting_start"] == start + 2 * 86400
    # 90313: 730003 for a sub_meetingid the meeting does not have.
    answer = sandbox.call("meeting/get_info", {"meetingid": meetingid, "sub_meetingid": "1"})
    assert answer["errcode"] == 730003


def test_it_finds_a_meeting_by_its_code(sandbox, meeting):
    code = sandbox.meeting(meeting)["meeting_code"]
    answer = sandbox.call("meeting/get_info", {"meeting_code": code})
    assert answer["meetingid"] == meeting
    # 90313: 730004 for a meeting_code that names no meeting.
    assert sandbox.call("meeting/get_info", {"meeting_code": "000"})["errcode"] == 730004


@pytest.mark.parametrize("request_body", [{}, {"meetingid": None, "meeting_code": None}])
def test_it_wants_a_meetingid_or_a_meeting_code(sandbox, request_body):
    # 98149: one of the two is required.
    assert sandbox.call("meeting/get_info", request_body)["errcode"] == 40058


def test_it_shows_a_change_made_directly_in_wecom(sandbox, meeting, info):
    sandbox.patch_meeting(meeting, title="客户端里改的", description="直接修改")
    answer = info(meeting)
    assert answer["title"] == "客户端里改的"
    assert answer["description"] == "直接修改"
